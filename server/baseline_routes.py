"""``GET /baseline``: plays one whole episode in the server with a built-in agent or the
operator's LLM, and grades it. Built-in agents play in a worker thread (``JobGate``); the LLM
plays on the event loop, one run at a time (``server.llm_baseline``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from server import agents
from server.constants import MAX_SEED
from server.episode_loop import Agent
from server.grader_routes import grade_claimed
from server.in_process_episode import run_episode
from server.jobs import JOBS_BUSY, JobGate
from server.llm_baseline import ALLOW_VAR, LLMBaseline
from server.scenario import validate_seed
from server.task_catalog import task_names

DEFAULT_BASELINE_AGENT = "heuristic"
LLM_AGENT = "llm"


def _baseline_agent_name(requested: str | None, configured: str | None, llm_available: bool) -> str:
    """The request's agent, else ``$BASELINE_AGENT``, else the LLM when the operator enabled
    one, else the heuristic."""
    if requested is not None:
        return requested
    if configured:
        return configured
    return LLM_AGENT if llm_available else DEFAULT_BASELINE_AGENT


def _play_baseline(agent: Agent, task_name: str, seed: int | None) -> dict[str, Any]:
    result = run_episode(agent, task_name, seed)
    grade = grade_claimed(task_name, result.profit, result.seed)
    return {
        "task_name": task_name,
        "seed": result.seed,
        "agent": result.agent,
        "profit": result.profit,
        "total_reward": result.total_reward,
        "score": grade["score"],
        "grade": grade,
    }


def register_baseline_route(
    app: FastAPI, jobs: JobGate, llm: LLMBaseline, baseline_agent: str | None = None
) -> None:
    """Add ``GET /baseline``; ``baseline_agent``: its agent when the request names none."""

    @app.get(
        "/baseline",
        tags=["Grading"],
        summary="Play a task with a built-in agent or the configured LLM and grade it",
        description="Plays one whole episode in the server (`agent`, else "
        "$BASELINE_AGENT, else the LLM when the operator enabled one with "
        f"${ALLOW_VAR}, else the heuristic) and returns which agent played, its profit and "
        "its grade. One LLM run at a time, within a time limit.",
        responses={
            403: {"description": "agent=llm on a server whose operator did not enable it"},
            422: {"description": "Unknown task or agent, or bad seed"},
            **JOBS_BUSY,
        },
    )
    async def baseline(
        request: Request,
        task_name: str = Query(
            default="easy",
            description="easy, medium or hard",
            json_schema_extra={"enum": list(task_names())},
        ),
        seed: int | None = Query(
            default=None, ge=0, le=MAX_SEED, description="Omitted: the task's default"
        ),
        agent: str | None = Query(
            default=None,
            description="A built-in agent, or llm (only where the operator enabled it)",
            json_schema_extra={"enum": [*agents.AGENT_NAMES, LLM_AGENT, None]},
        ),
    ) -> JSONResponse:
        try:
            validate_seed(seed, task_name)
            name = _baseline_agent_name(agent, baseline_agent, llm.available)
            player = None if name == LLM_AGENT else agents.make_agent(name, seed)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        if player is not None:
            return JSONResponse(await jobs.run(request, _play_baseline, player, task_name, seed))
        result = await llm.play(task_name, seed)
        grade = await jobs.run(request, grade_claimed, task_name, result["profit"], result["seed"])
        return JSONResponse({**result, "score": grade["score"], "grade": grade})
