"""``/reset``, ``/step`` and ``/state`` over HTTP, with episodes that persist between requests.

They replace openenv 0.10.0's routes of the same paths (which build a fresh environment per
request) and keep their request and response shapes, adding ``episode_id``: ``/reset`` returns
it, ``/step`` and ``/state`` take it, and act on the caller's latest episode without it.
Unknown body fields are refused (422) rather than ignored. Handlers run inline on the event
loop: a step takes tens of microseconds, less than a hop to a worker thread.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from openenv.core.env_server.serialization import serialize_observation
from openenv.core.env_server.types import ResetResponse, StepResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from models import InventoryAction, InventoryState
from server.clients import client_of
from server.constants import MAX_SEED, REWARD_MODES
from server.episode_store import EpisodeStore
from server.guards import BODY_TOO_LARGE
from server.task_catalog import task_names

REPLACED_PATHS = ("/reset", "/step", "/state")
EPISODE_ID_FIELD = Field(
    default=None,
    min_length=1,
    max_length=255,
    description="Episode to act on, as returned by /reset; omitted: the latest HTTP episode",
)


class HttpResetRequest(BaseModel):
    """Body of ``POST /reset``; every field is optional and the body itself may be omitted."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{}, {"task_name": "hard", "seed": 7}]},
    )

    seed: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_SEED,
        description="Scenario seed; omitted: the task's default (with hidden scenarios: a "
        "fresh scenario the server picks)",
    )
    episode_id: StrictStr | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Id for the new episode (an existing one restarts); omitted: a fresh UUID",
    )
    # The enums are declared for clients; the checks (and their messages) are the simulator's.
    task_name: StrictStr | None = Field(
        default=None,
        description=f"One of {', '.join(task_names())}; omitted: easy",
        json_schema_extra={"enum": [*task_names(), None]},
    )
    reward_mode: StrictStr | None = Field(
        default=None,
        description=f"One of {', '.join(REWARD_MODES)}; omitted: shaped",
        json_schema_extra={"enum": [*REWARD_MODES, None]},
    )


class HttpStepRequest(BaseModel):
    """Body of ``POST /step``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": {}},
                {
                    "action": {
                        "buy_quantities": {"groceries": 20},
                        "delivery_method": "fast",
                        "price_multipliers": {"toys": 1.1},
                    }
                },
            ]
        },
    )

    action: dict[str, Any] = Field(description="An InventoryAction (see /schema); {} does nothing")
    episode_id: StrictStr | None = EPISODE_ID_FIELD
    timeout_s: StrictFloat | None = Field(
        default=None, gt=0, description="Accepted for openenv compatibility; a step never waits"
    )
    request_id: StrictStr | None = Field(default=None, max_length=255)


class HttpResetResponse(ResetResponse):
    """openenv's reset response plus the id of the episode it started."""

    episode_id: str = Field(description="Pass it to /step and /state")


class HttpStepResponse(StepResponse):
    """openenv's step response plus the id of the episode it stepped."""

    episode_id: str


def _remove_openenv_routes(app: FastAPI) -> None:
    app.router.routes[:] = [
        route
        for route in app.router.routes
        if not (isinstance(route, APIRoute) and route.path in REPLACED_PATHS)
    ]


def register_episode_routes(app: FastAPI, store: EpisodeStore) -> None:
    """Swap openenv's stateless ``/reset``, ``/step``, ``/state`` for stateful ones."""
    _remove_openenv_routes(app)

    @app.post(
        "/reset",
        response_model=HttpResetResponse,
        tags=["Environment Control"],
        summary="Start an HTTP episode",
        description="Starts an episode kept on the server and returns its first observation "
        "and its episode_id. The body is optional: `curl -X POST /reset` starts the easy task "
        "on its default seed.",
        responses={
            409: {
                "description": "A seeded hidden scenario that was already played, or episode_id "
                "names another client's episode"
            },
            422: {"description": "Unknown field, task, reward mode or bad seed"},
            429: {"description": "MAX_HTTP_EPISODES_PER_CLIENT or MAX_HTTP_EPISODES in use"},
            **BODY_TOO_LARGE,
        },
    )
    async def reset(
        http: Request, request: Annotated[HttpResetRequest | None, Body()] = None
    ) -> JSONResponse:
        params = request.model_dump(exclude_none=True) if request is not None else {}
        try:
            if params.get("reward_mode") == "score":  # may solve a ceiling: off the loop
                episode_id, observation = await anyio.to_thread.run_sync(
                    partial(store.start, client=client_of(http), **params)
                )
            else:
                episode_id, observation = store.start(client=client_of(http), **params)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return JSONResponse({**serialize_observation(observation), "episode_id": episode_id})

    @app.post(
        "/step",
        response_model=HttpStepResponse,
        tags=["Environment Control"],
        summary="Simulate one day of an HTTP episode",
        description="Applies the action to the episode named by episode_id (or the latest "
        "one) and returns the next observation. A rejected request changes nothing.",
        responses={
            404: {"description": "Unknown or expired episode_id"},
            409: {"description": "No episode started yet, or the episode is over"},
            422: {"description": "Invalid action or unknown field"},
            **BODY_TOO_LARGE,
        },
    )
    async def step(http: Request, request: HttpStepRequest) -> JSONResponse:
        action = InventoryAction.model_validate(request.action)
        episode_id, observation = store.step(request.episode_id, action, client_of(http))
        return JSONResponse({**serialize_observation(observation), "episode_id": episode_id})

    @app.get(
        "/state",
        response_model=InventoryState,
        tags=["State Management"],
        summary="Whole state of an HTTP episode",
        description="Everything about the episode named by episode_id (or the latest one): "
        "cash, batches, shipments in transit with their arrival windows, running totals.",
        responses={
            404: {"description": "Unknown or expired episode_id"},
            409: {"description": "No episode started yet"},
            422: {"description": "Malformed episode_id"},
        },
    )
    async def state(
        http: Request,
        episode_id: str | None = Query(
            default=None, min_length=1, max_length=255, description=EPISODE_ID_FIELD.description
        ),
    ) -> JSONResponse:
        return JSONResponse(store.state(episode_id, client_of(http)).model_dump())
