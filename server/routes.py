"""The brief's extra routes: ``GET /tasks``, ``POST /grader``, ``GET /baseline``.

Transport only: tables come from ``server.constants``, episodes are played by
``server.in_process_episode.run_episode`` and scored by ``server.grader.grade``; ``/grader`` with an
``episode_id`` grades an episode the server played itself (``server.graded_episodes``).
Uncached grades and whole episodes take long enough to stall the event loop, so they run in
worker threads through ``server.jobs.JobGate``; a grade whose baselines are cached is answered
at once. ``GET /capacity`` reports how full the server is.
"""

from __future__ import annotations

import math
import sys
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from models import InventoryAction, InventoryObservation
from server import agents, constants
from server.episode_loop import Agent
from server.graded_episodes import (
    EpisodeNotFinishedError,
    GradedEpisodes,
    UnknownGradedEpisodeError,
)
from server.guards import OpenConnections
from server.http_episodes import EpisodeStore
from server.in_process_episode import run_episode
from server.jobs import JobGate
from server.llm_baseline import ALLOW_VAR, LLMBaseline
from server.scenario import validate_seed, validate_task_name
from server.settings import ServerSettings
from server.task_catalog import task_names, tasks

DEFAULT_BASELINE_AGENT = "heuristic"
LLM_AGENT = "llm"
MAX_SEED = 2**63 - 1
"""Largest seed a scenario takes (``server.scenario.validate_seed``), declared in the schema."""
TASK_NAME_SCHEMA = {"enum": [*task_names(), None]}
"""Declared in OpenAPI; the check itself stays the simulator's, with its own message."""
BODY_TOO_LARGE = {413: {"description": "Request body over MAX_BODY_BYTES"}}
JOBS_BUSY = {429: {"description": "MAX_WAITING_JOBS requests already wait, or MAX_JOBS_PER_CLIENT"}}


@lru_cache(maxsize=2)
def task_catalogue(hidden: bool = False) -> dict[str, Any]:
    """Everything public about the tasks, the products and the rules, plus the wire schemas.
    With hidden scenarios no seed is named: ``default_seed`` is null (a seedless reset plays
    a scenario the server picks)."""
    c = constants
    task_list = [{"name": name, **task.published} for name, task in tasks().items()]
    if hidden:
        task_list = [{**task, "default_seed": None} for task in task_list]
    return {
        "episode_days": c.EPISODE_DAYS,
        "scenarios_hidden": hidden,
        "tasks": task_list,
        "products": [
            {
                "name": product,
                "sell_price": c.SELL_PRICE[product],
                "cost_price": c.COST_PRICE[product],
                "shelf_life_days": c.SHELF_LIFE[product],
                "elasticity": c.ELASTICITY[product],
            }
            for product in c.PRODUCTS
        ],
        "shipping": [
            {
                "method": method,
                "cost_per_unit": c.SHIPPING_COST_PER_UNIT[method],
                "lead_time_days": c.LEAD_TIME_DAYS[method],
                "jitter_days": c.LEAD_TIME_JITTER[method],
                "min_days": c.LEAD_TIME_DAYS[method] - c.LEAD_TIME_JITTER[method],
                "max_days": c.LEAD_TIME_DAYS[method] + c.LEAD_TIME_JITTER[method],
            }
            for method in c.DELIVERY_METHODS
        ],
        "events": [
            {
                "name": name,
                "duration_days": c.EVENT_DURATION_DAYS,
                "demand_multipliers": multipliers,
            }
            for name, multipliers in c.EVENT_MULTIPLIERS.items()
        ],
        "weekend": {"days": list(c.WEEKEND_DAYS), "multiplier": c.WEEKEND_MULTIPLIER},
        "price_multiplier": {"min": c.PRICE_MULTIPLIER_MIN, "max": c.PRICE_MULTIPLIER_MAX},
        "max_order_quantity": c.MAX_ORDER_QUANTITY,
        "reward": {
            "modes": list(c.REWARD_MODES),
            "sales_coef": c.REWARD_SALES_COEF,
            "missed_coef": c.REWARD_MISSED_COEF,
            "expired_per_unit": c.REWARD_EXPIRED_PER_UNIT,
            "failed_purchase": c.REWARD_FAILED_PURCHASE,
            "liquidation_coef": c.REWARD_LIQUIDATION_COEF,
            "profit_coef": c.REWARD_PROFIT_COEF,
        },
        "action_schema": InventoryAction.model_json_schema(),
        "observation_schema": InventoryObservation.model_json_schema(),
    }


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


def _plain(value: Any) -> Any:
    """Numpy scalars and containers to plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


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
        validate_task_name(task_name)
        validate_seed(seed, task_name)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def has_cached_baselines(task_name: str, seed: int | None) -> bool:
    """Whether grading ``(task_name, seed)`` is a cache hit. Before the first grade the grader
    is not even imported (it pulls in scipy, seconds of work that must not run on the event
    loop): nothing is cached then."""
    grader = sys.modules.get("server.grader")
    return grader is not None and grader.is_cached(task_name, seed)


def _scenario_cached(scenario: Any) -> bool:
    grader = sys.modules.get("server.grader")
    return grader is not None and grader.scenario_is_cached(scenario)


def _grade(task_name: str, agent_profit: float, seed: int | None) -> dict[str, Any]:
    from server.grader import grade  # imported late: the grader pulls in scipy

    return _plain(grade(task_name, agent_profit, seed=seed))


def _grade_played(record: Any) -> dict[str, Any]:
    """The grade of an episode the server played, from the profit it booked."""
    from server.grader import grade_scenario

    result = _plain(grade_scenario(record.scenario, record.profit))
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
    grade = _grade(task_name, result.profit, result.seed)
    return {
        "task_name": task_name,
        "seed": result.seed,
        "agent": result.agent,
        "profit": result.profit,
        "total_reward": result.total_reward,
        "score": grade["score"],
        "grade": grade,
    }


class CapacityReport(BaseModel):
    """How full the server is: sessions, episodes and background jobs, with their limits."""

    websocket_sessions: int = Field(description="Open WebSocket connections on /ws and /mcp")
    max_websocket_sessions: int = Field(description="MAX_CONCURRENT_ENVS")
    http_episodes: int = Field(description="HTTP episodes kept (expired ones are dropped)")
    max_http_episodes: int = Field(description="MAX_HTTP_EPISODES")
    http_episode_idle_s: float = Field(description="HTTP_EPISODE_IDLE_SECONDS")
    background_jobs_running: int
    background_jobs_waiting: int
    max_background_jobs: int = Field(description="MAX_BACKGROUND_JOBS")
    max_waiting_jobs: int = Field(description="MAX_WAITING_JOBS")


def register_capacity_route(
    app: FastAPI,
    settings: ServerSettings,
    store: EpisodeStore,
    connections: OpenConnections,
    jobs: JobGate,
) -> None:
    """Add ``GET /capacity`` (read-only): what the soak benchmark and operators watch."""

    @app.get(
        "/capacity",
        response_model=CapacityReport,
        tags=["Health"],
        summary="Sessions, episodes and jobs in use, with their limits",
    )
    async def capacity() -> CapacityReport:
        return CapacityReport(
            websocket_sessions=connections.count,
            max_websocket_sessions=settings.max_concurrent_envs,
            http_episodes=len(store),
            max_http_episodes=store.capacity,
            http_episode_idle_s=store.idle_timeout_s,
            background_jobs_running=jobs.running,
            background_jobs_waiting=jobs.waiting,
            max_background_jobs=jobs.max_running,
            max_waiting_jobs=jobs.max_waiting,
        )


def register_extra_routes(
    app: FastAPI,
    jobs: JobGate,
    llm: LLMBaseline,
    graded: GradedEpisodes | None = None,
    *,
    hidden: bool = False,
    baseline_agent: str | None = None,
) -> None:
    """Add ``/tasks``, ``/grader`` and ``/baseline``.
    ``graded`` lets ``/grader`` grade played episodes; ``hidden``: scenarios are secret;
    ``baseline_agent``: ``/baseline``'s agent when the request names none."""
    graded = GradedEpisodes() if graded is None else graded

    @app.get(
        "/tasks",
        tags=["Environment Info"],
        summary="All tasks with their full configuration",
        description="The three tasks (cash, capacity, starting stock, demand ranges, events), "
        "the product, shipping and event tables, and the action and observation JSON schemas.",
    )
    async def tasks() -> JSONResponse:
        return JSONResponse(task_catalogue(hidden))

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
            result = _grade(task, float(profit), chosen_seed)  # microseconds: never queued
        else:
            result = await jobs.run(request, _grade, task, float(profit), chosen_seed)
        return JSONResponse({**result, "verified": False})

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
            validate_task_name(task_name)
            validate_seed(seed, task_name)
            name = _baseline_agent_name(agent, baseline_agent, llm.available)
            player = None if name == LLM_AGENT else agents.make_agent(name, seed)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        if player is not None:
            return JSONResponse(await jobs.run(request, _play_baseline, player, task_name, seed))
        result = await llm.play(task_name, seed)
        grade = await jobs.run(request, _grade, task_name, result["profit"], result["seed"])
        return JSONResponse({**result, "score": grade["score"], "grade": grade})
