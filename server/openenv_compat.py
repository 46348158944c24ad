"""Everything this server does about openenv's own behaviour, in one place (transport only).

Checked against openenv 0.10.0 (``pyproject.toml`` pins ``openenv>=0.10.0,<0.11``). Each entry
of ``WORKAROUNDS`` is a place where openenv's behaviour is worked around, with the upstream
code it concerns; each entry of ``RELIED_ON`` is a fix in openenv that an earlier workaround
was deleted for. ``tests/test_openenv_compat.py`` checks both lists against the installed
openenv: a workaround whose bug is gone, or a fix that regressed, fails a test.

``ServedInventoryEnvironment`` steps on the event loop. openenv runs a synchronous ``step`` in
a worker thread per WebSocket session; the hop costs more than the ~25 us a day takes (64
sessions step ~1.5x faster without it, ``bench/bench_server.py``). openenv awaits
``step_async`` / ``reset_async`` directly when an environment overrides them, so this subclass
overrides them with inline calls. It also offers the environment's actions as MCP tools
(``mcp_server``, see ``server.mcp_tools``), which openenv's ``/mcp`` routes and the ``mcp``
message of ``/ws`` serve.

pydantic puts the ``ValueError`` raised by a validator into each error's ``ctx``. openenv 0.10.0
still sends ``exc.errors()`` as-is in its WebSocket error frame, fails to serialize the
exception object, and ends the session, losing its episode over one bad action. The action
class given to openenv, ``WireInventoryAction``, re-raises such errors with plain-text context,
so a bad action gets an error frame and the session goes on. HTTP routes use ``public_errors``.

The observations it hands openenv are ``ServedInventoryObservation``: openenv serializes each
frame with ``serialize_observation``, whose ``model_dump`` copied every nested value of an
observation that is thrown away right after (a sixth of a served step). For exactly that call
the served observation hands out its own values, which the simulator builds fresh for each
observation and with their exact field types, so the frame's JSON is the same byte for byte.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from functools import cached_property, partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from models import InventoryAction, InventoryObservation, trusted_instance
from server.inventory_env import InventoryEnvironment
from server.task_api import InventoryTaskProvider

OPENENV_CHECKED = "0.10.0"
"""The openenv release the lists below were checked against."""

WORKAROUNDS: dict[str, str] = {
    "stateless_http_episodes": (
        "openenv's HTTP /reset, /step and /state build a fresh environment per request, so "
        "an HTTP episode cannot last beyond one request (http_server.py reset_handler / "
        "step_handler); server.episode_routes replaces them with episodes kept on the server"
    ),
    "ws_validation_error_frame": (
        "openenv's /ws handler sends pydantic's exc.errors() in its error frame; a validator's "
        "ValueError in ctx cannot be serialized and the session ends (WireInventoryAction)"
    ),
    "ws_non_object_frame": (
        "a /ws frame that is JSON but not an object, or binary that is not UTF-8, ends the "
        "session (server.guards.WebSocketFrameGuard)"
    ),
    "web_routes_bad_input": (
        "openenv's /web/reset passes unknown parameters to reset() and /web/step takes a "
        "non-object action; checked to answer 422 (guard_web_routes; the Playground is "
        "ours, server.web_ui, but the routes stay)"
    ),
    "web_gradio_mount": (
        "openenv mounts its Gradio UI at /web after every route, so a route added later under "
        "/web/ is shadowed; routes are re-inserted in place (_wrap_route)"
    ),
    "mcp_http_sessions": (
        "openenv's HTTP /mcp openenv/session/create makes a session that only an idle reaper "
        "(ConcurrencyConfig.session_timeout) or openenv/session/close ends, holding a slot of "
        "the WebSocket pool meanwhile; refused over HTTP (guard_mcp_sessions): WebSocket /mcp "
        "gives a session per connection instead"
    ),
    "task_api_404_undeclared": (
        "openenv's task API routes (/{env_name}/splits, /task, ...) answer 404 for another "
        "env_name without declaring it in OpenAPI; declared by document_task_api_errors"
    ),
    "package_init_imports_the_web_stack": (
        "importing any openenv.core.env_server submodule runs the package __init__s, which "
        "import openenv's whole server (FastAPI, MCP, Gradio: seconds); server.openenv_light "
        "defers them so the simulator, grader, models and client import without it (it cannot "
        "live here: this module imports the web stack itself)"
    ),
    "event_loop_steps": (
        "openenv runs a synchronous step() in a worker thread per session; "
        "ServedInventoryEnvironment overrides step_async/reset_async to run inline (speed)"
    ),
    "frame_dump_copies": (
        "serialize_observation's model_dump copies every nested value; "
        "ServedInventoryObservation hands out its own (speed)"
    ),
}

RELIED_ON: dict[str, str] = {
    "observation_metadata_on_wire": (
        "serialize_observation keeps the observation's metadata (in the observation and "
        "beside it); 0.3.0 dropped it"
    ),
    "state_cls": (
        "create_app(state_cls=InventoryState) publishes the state's own fields in /schema; "
        "0.3.0 published the base State there and this project replaced /schema"
    ),
    "session_timeout": (
        "ConcurrencyConfig.session_timeout reaps idle sessions (http_server._reaper); "
        "server.app passes HTTP_EPISODE_IDLE_SECONDS"
    ),
    "task_api": (
        "an environment with list_splits / list_tasks / num_tasks / get_task / "
        "get_task_range gets the /{env_name}/splits ... routes (server.task_api)"
    ),
    "mcp_server_attribute": (
        "an environment with an mcp_server attribute (FastMCP) answers tools/list and "
        "tools/call on /mcp and in the mcp message of /ws"
    ),
}


def public_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Each error's type, location and message: always JSON-safe (no inputs, no objects)."""
    return [
        {"type": error["type"], "loc": list(error["loc"]), "msg": error["msg"]}
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _json_safe(value: Any) -> Any:
    """``value`` when strict JSON can carry it, else its ``repr`` (NaN, objects ...)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)
    return value


def json_safe_validation_error(exc: ValidationError) -> ValidationError:
    """The same errors (type, location, message) with nothing that JSON cannot carry."""
    details: list[InitErrorDetails] = [
        {
            "type": PydanticCustomError(error["type"], "{reason}", {"reason": error["msg"]}),
            "loc": error["loc"],
            "input": _json_safe(error["input"]),
        }
        for error in exc.errors(include_url=False)
    ]
    return ValidationError.from_exception_data(exc.title, details)


class WireInventoryAction(InventoryAction):
    """``InventoryAction`` for openenv's transport: same fields, schema and checks; its
    validation errors survive JSON serialization (see the module docstring)."""

    model_config = ConfigDict(title="InventoryAction")

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> WireInventoryAction:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise json_safe_validation_error(exc) from None


_OPENENV_FRAME_EXCLUDE = frozenset({"reward", "done"})
"""What ``openenv...serialization.serialize_observation`` leaves out of an observation's dump."""


class ServedInventoryObservation(InventoryObservation):
    """An observation on its way out through openenv's transport (see the module docstring).

    ``model_dump(exclude={"reward", "done"})``, with nothing else, returns the
    observation's own field values (not copies): the same dict pydantic's dump gives for the
    values the simulator makes. Every other call is pydantic's.
    """

    model_config = ConfigDict(title="InventoryObservation")

    def model_dump(self, *, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        if not kwargs and exclude == _OPENENV_FRAME_EXCLUDE:
            return {
                name: value
                for name, value in self.__dict__.items()
                if name not in _OPENENV_FRAME_EXCLUDE
            }
        return super().model_dump(exclude=exclude, **kwargs)


def served(observation: InventoryObservation) -> ServedInventoryObservation:
    """``observation`` (fresh from the simulator, used by nothing else) as a served one."""
    return trusted_instance(
        ServedInventoryObservation,
        observation.__dict__,
        observation.__pydantic_fields_set__,
    )


class ServedInventoryEnvironment(InventoryTaskProvider, InventoryEnvironment):
    """``InventoryEnvironment`` whose async entry points run inline and return served
    observations, with openenv's task API (``server.task_api``) and MCP tools (see the module
    docstring)."""

    async def reset_async(
        self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any
    ) -> InventoryObservation:
        if kwargs.get("reward_mode") == "score":  # may solve a ceiling: not on the event loop
            observation = await anyio.to_thread.run_sync(
                partial(self.reset, seed=seed, episode_id=episode_id, **kwargs)
            )
            return served(observation)
        return served(self.reset(seed=seed, episode_id=episode_id, **kwargs))

    async def step_async(
        self, action: InventoryAction, timeout_s: float | None = None, **kwargs: Any
    ) -> InventoryObservation:
        return served(self.step(action, timeout_s=timeout_s, **kwargs))

    @cached_property
    def mcp_server(self) -> Any:
        """The MCP tools of this session's environment (built on first use: FastMCP is
        imported only by servers that are asked for tools)."""
        from server.mcp_tools import build_mcp_server

        return build_mcp_server(self)


def _wrap_route(
    app: FastAPI,
    path: str,
    wrap: Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]],
) -> None:
    """Replace the POST route at ``path`` by ``wrap(its endpoint)``, at the same position (the
    Gradio mount at ``/web`` comes later and would shadow a route appended after it)."""
    routes = app.router.routes
    index = next(
        (
            i
            for i, route in enumerate(routes)
            if isinstance(route, APIRoute) and route.path == path and "POST" in route.methods
        ),
        None,
    )
    if index is None:
        return  # the route is not there (``/web/*`` without the web interface)
    original = routes.pop(index)
    assert isinstance(original, APIRoute)
    app.post(
        path,
        tags=original.tags,
        summary=original.summary,
        description=original.description,
        responses=original.responses,
    )(wrap(original.endpoint))
    routes.insert(index, routes.pop())


def _guarded_web_reset(endpoint: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def web_reset(request: Annotated[dict[str, Any] | None, Body()] = None) -> Any:
        try:
            return await endpoint(request)
        except ValidationError:
            raise
        except ValueError as exc:  # unknown reset parameter, task or reward mode; bad seed
            raise HTTPException(status_code=422, detail=str(exc)) from None

    return web_reset


def _guarded_web_step(endpoint: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def web_step(request: dict[str, Any]) -> Any:
        action = request.get("action", {})
        if "message" not in request and not isinstance(action, dict):
            raise HTTPException(
                status_code=422,
                detail=f"action must be a JSON object, got {type(action).__name__}",
            )
        return await endpoint(request)

    return web_step


def document_task_api_errors(app: FastAPI) -> None:
    """Declare the 404 that openenv's task API routes answer for an unknown ``env_name``, so
    the published OpenAPI matches what the server does (schemathesis checks it)."""
    for route in app.router.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/{env_name}/"):
            route.responses.setdefault(404, {"description": "Unknown env_name"})


def guard_web_routes(app: FastAPI) -> None:
    """Re-register openenv's ``/web/reset`` and ``/web/step`` (present with the web interface)
    so that bad input is a 4xx: unknown reset parameters 422, a non-object action 422."""
    _wrap_route(app, "/web/reset", _guarded_web_reset)
    _wrap_route(app, "/web/step", _guarded_web_step)


MCP_SESSION_CREATE = "openenv/session/create"
MCP_SESSION_CLOSE = "openenv/session/close"
JSONRPC_INVALID_PARAMS = -32602
JSONRPC_METHOD_NOT_FOUND = -32601
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def _jsonrpc_error(payload: dict[str, Any], code: int, message: str) -> JSONResponse:
    request_id = payload.get("id")
    if not isinstance(request_id, (str, int)) or isinstance(request_id, bool):
        request_id = None
    return JSONResponse(
        {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": request_id}
    )


def _refused_mcp_call(payload: Any) -> JSONResponse | None:
    """The JSON-RPC error for what HTTP ``/mcp`` may not do here, or None to let it through.

    HTTP holds no sessions on this server (creating one is refused), so every ``session_id``
    names some WebSocket's session: closing it would free that socket's slot while it plays
    on, and using it would act on another client's session. Both are refused, and a
    ``session_id`` that is not a string gets a JSON-RPC error, not a 500.
    """
    if not isinstance(payload, dict):
        return None
    method = payload.get("method")
    params = payload.get("params")
    session_id = params.get("session_id") if isinstance(params, dict) else None
    if method == MCP_SESSION_CREATE:
        return _jsonrpc_error(
            payload,
            JSONRPC_METHOD_NOT_FOUND,
            f"{MCP_SESSION_CREATE} is disabled over HTTP on this server: such sessions would "
            "hold WebSocket capacity (MAX_CONCURRENT_ENVS) until reaped. For the MCP tools "
            "with a session, open a WebSocket on /mcp (one session per connection).",
        )
    if session_id is not None and not isinstance(session_id, str):
        kind = _JSON_KINDS.get(type(session_id), "object")
        return _jsonrpc_error(
            payload,
            JSONRPC_INVALID_PARAMS,
            f"Invalid params - 'session_id' must be a string, got a JSON {kind}",
        )
    if method == MCP_SESSION_CLOSE or session_id is not None:
        return _jsonrpc_error(
            payload,
            JSONRPC_INVALID_PARAMS,
            "Invalid params - HTTP /mcp holds no sessions on this server; a session belongs "
            "to its WebSocket and ends when that WebSocket closes",
        )
    return None


def _guarded_mcp(endpoint: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def mcp(request: Request) -> Any:
        try:
            payload = json.loads(await request.body())
        except (ValueError, RecursionError):
            payload = None  # openenv answers with a JSON-RPC parse error
        refused = _refused_mcp_call(payload)
        if refused is not None:
            return refused
        return await endpoint(request)

    return mcp


def guard_mcp_sessions(app: FastAPI) -> None:
    """Re-register openenv's ``POST /mcp`` so that it refuses ``openenv/session/create``,
    ``openenv/session/close`` and any ``session_id`` (see ``_refused_mcp_call``).

    openenv 0.10.0 keeps such a session until ``openenv/session/close`` or the idle reaper,
    while it counts against the WebSocket session limit: ``MAX_CONCURRENT_ENVS`` abandoned
    requests would lock every WebSocket client out until then.
    """
    _wrap_route(app, "/mcp", _guarded_mcp)
