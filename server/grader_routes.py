"""``POST /grader``: scores a finished episode the server played (``episode_id``, verified)
or a claimed profit (unverified), with its parameters in the query or a JSON body.

Uncached grades take long enough to stall the event loop, so they run in worker threads
through ``server.jobs.JobGate``; a grade whose baselines are cached is answered at once.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from server.constants import MAX_SEED
from server.graded_episodes import (
    EpisodeNotFinishedError,
    GradedEpisodes,
    UnknownGradedEpisodeError,
)
from server.grader import grade, grade_scenario, is_cached, scenario_is_cached
from server.guards import BODY_TOO_LARGE
from server.jobs import JOBS_BUSY, JobGate
from server.scenario import validate_seed
from server.task_catalog import task_names

TASK_NAME_SCHEMA = {"enum": [*task_names(), None]}
"""Declared in OpenAPI; the check itself stays the simulator's, with its own message."""


class GraderRequest(BaseModel):
    """JSON body of ``POST /grader`` (the same names work as query parameters)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"task_name": "easy", "agent_profit": 5000}]},
    )

    task_name: StrictStr | None = Field(default=None, json_schema_extra=TASK_NAME_SCHEMA)
    agent_profit: StrictFloat | StrictInt | None = None
    seed: StrictInt | None = Field(default=None, ge=0, le=MAX_SEED)
    episode_id: StrictStr | None = Field(default=None, min_length=1, max_length=255)


def _merge(name: str, query_value: Any, body_value: Any) -> Any:
    if query_value is not None and body_value is not None and query_value != body_value:
        raise HTTPException(
            status_code=422,
            detail=f"{name} given twice with different values (query {query_value!r}, "
            f"body {body_value!r}); give it once",
        )
    return body_value if body_value is not None else query_value


def _checked_grade_inputs(task_name: str | None, profit: Any, seed: int | None) -> None:
    if task_name is None:
        raise HTTPException(status_code=422, detail="task_name is required (easy, medium, hard)")
    if profit is None:
        raise HTTPException(status_code=422, detail="agent_profit is required (a number)")
    try:
        finite = math.isfinite(profit)
    except OverflowError:  # a JSON integer beyond float range
        finite = False
    if not finite:
        raise HTTPException(
            status_code=422,
            detail=f"agent_profit must be a finite number within float range, "
            f"got {str(profit)[:40]}",
        )
    try:
        validate_seed(seed, task_name)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def has_cached_baselines(task_name: str, seed: int | None) -> bool:
    """Whether grading ``(task_name, seed)`` is a cache hit (answered without the job queue)."""
    return is_cached(task_name, seed)


def _scenario_cached(scenario: Any) -> bool:
    return scenario_is_cached(scenario)


def grade_claimed(task_name: str, agent_profit: float, seed: int | None) -> dict[str, Any]:
    return grade(task_name, agent_profit, seed=seed)


def _grade_played(record: Any) -> dict[str, Any]:
    """The grade of an episode the server played, from the profit it booked."""
    result = grade_scenario(record.scenario, record.profit)
    return {
        **result,
        "episode_id": record.episode_id,
        "scenario_hidden": record.hidden,
        "verified": True,
    }


def _checked_episode_request(profit: Any, seed: int | None) -> None:
    """An episode id names the scenario and the profit: neither may be claimed beside it."""
    if profit is not None:
        raise HTTPException(
            status_code=422,
            detail="give episode_id or agent_profit, not both: a played episode is graded "
            "on the profit the server booked",
        )
    if seed is not None:
        raise HTTPException(
            status_code=422, detail="seed cannot be given with episode_id: the episode names it"
        )


def register_grader_route(app: FastAPI, jobs: JobGate, graded: GradedEpisodes) -> None:
    """Add ``POST /grader``; ``graded`` holds the episodes this server played."""

    @app.post(
        "/grader",
        tags=["Grading"],
        summary="Score a played episode (verified) or a claimed profit (unverified)",
        description="score = clamp((profit - floor) / (ceiling - floor), 0, 1). With "
        "`episode_id` (HTTP episode or WebSocket session), the server grades the profit it "
        'booked for that finished episode on its own scenario: `"verified": true`. With '
        "`agent_profit` it scores the claimed number on the public scenario of (task_name, "
        'seed): `"verified": false`. Parameters in the query '
        "(`/grader?task_name=easy&agent_profit=5000`) or as a JSON body.",
        responses={
            404: {"description": "episode_id unknown here, or its record expired"},
            409: {"description": "The episode is not finished"},
            422: {"description": "Missing, unknown, conflicting or malformed parameter"},
            **BODY_TOO_LARGE,
            **JOBS_BUSY,
        },
    )
    async def grader(
        request: Request,
        task_name: str | None = Query(
            default=None, description="easy, medium or hard", json_schema_extra=TASK_NAME_SCHEMA
        ),
        agent_profit: float | None = Query(default=None, description="Profit to score"),
        seed: int | None = Query(
            default=None, ge=0, le=MAX_SEED, description="Omitted: the task's default"
        ),
        episode_id: str | None = Query(
            default=None,
            min_length=1,
            max_length=255,
            description="A finished episode of this server: graded from its own profit",
        ),
        body: Annotated[GraderRequest | None, Body()] = None,
    ) -> JSONResponse:
        body = body or GraderRequest()
        task = _merge("task_name", task_name, body.task_name)
        profit = _merge("agent_profit", agent_profit, body.agent_profit)
        chosen_seed = _merge("seed", seed, body.seed)
        chosen_episode = _merge("episode_id", episode_id, body.episode_id)
        if chosen_episode is not None:
            _checked_episode_request(profit, chosen_seed)
            try:
                record = graded.finished_record(chosen_episode)
            except UnknownGradedEpisodeError as exc:
                raise HTTPException(status_code=404, detail=str(exc)) from None
            except EpisodeNotFinishedError as exc:
                raise HTTPException(status_code=409, detail=str(exc)) from None
            if task is not None and task != record.scenario.task_name:
                raise HTTPException(
                    status_code=422,
                    detail=f"task_name {task!r} does not match the episode's "
                    f"{record.scenario.task_name!r}",
                )
            if _scenario_cached(record.scenario):
                return JSONResponse(_grade_played(record))  # microseconds: never queued
            return JSONResponse(await jobs.run(request, _grade_played, record))
        _checked_grade_inputs(task, profit, chosen_seed)
        if has_cached_baselines(task, chosen_seed):
            result = grade_claimed(task, float(profit), chosen_seed)  # microseconds: never queued
        else:
            result = await jobs.run(request, grade_claimed, task, float(profit), chosen_seed)
        return JSONResponse({**result, "verified": False})
