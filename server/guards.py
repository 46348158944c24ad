"""What bad input gets (DESIGN section 5), for every route the app serves (transport only).

- ``BodySizeLimit``: a request body over the limit is refused with 413 before any route sees it.
- ``WebSocketFrameGuard``: a frame that is valid JSON but not an object, or binary that is not
  UTF-8, makes openenv-core 0.3.0 drop the connection (and the session's episode); the guard
  answers such frames with an error frame instead and keeps the session. It also drops the
  close frame openenv sends after the client has gone, which would raise and log a traceback.
- ``install_error_handlers``: simulator and validation errors become 404 / 409 / 422 with a
  message naming the problem, never a 500, on openenv's routes as on ours.
- ``guard_web_routes``: openenv's ``/web/reset`` and ``/web/step`` checked the same way.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from server.http_episodes import UnknownEpisodeError
from server.inventory_env import EpisodeStateError
from server.wire import public_errors

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodySizeLimit:
    """Refuse HTTP request bodies larger than ``max_bytes`` with 413 (ASGI middleware).

    A declared ``Content-Length`` is checked up front (the server enforces that the body
    matches it); a chunked body is read up to the limit, then replayed to the app.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value
                break
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._refuse(send, f"{int(declared)} bytes")
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                await self._refuse(send, f"more than {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, size: str) -> None:
        detail = (
            f"request body too large: {size}; the limit is {self.max_bytes} bytes (MAX_BODY_BYTES)"
        )
        payload = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _env_error_frame(message: str) -> str:
    return json.dumps({"type": "error", "data": {"message": message, "code": "VALIDATION_ERROR"}})


def _mcp_error_frame(message: str) -> str:
    return json.dumps({"jsonrpc": "2.0", "error": {"code": -32600, "message": message}, "id": None})


class WebSocketFrameGuard:
    """Answer WebSocket frames openenv cannot parse as a message object with an error frame
    instead of letting them end the session (ASGI middleware for ``/ws`` and ``/mcp``)."""

    FRAME_BUILDERS: dict[str, Callable[[str], str]] = {
        "/ws": _env_error_frame,
        "/mcp": _mcp_error_frame,
    }

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        error_frame = self.FRAME_BUILDERS.get(scope.get("path", ""))
        if scope["type"] != "websocket" or error_frame is None:
            await self.app(scope, receive, send)
            return

        client_gone = False

        async def guarded_receive() -> Message:
            nonlocal client_gone
            while True:
                message = await receive()
                if message["type"] != "websocket.receive":
                    client_gone = message["type"] == "websocket.disconnect"
                    return message
                text = message.get("text")
                if text is None:
                    try:
                        text = (message.get("bytes") or b"").decode("utf-8")
                    except UnicodeDecodeError:
                        await send(
                            {
                                "type": "websocket.send",
                                "text": error_frame("binary frame is not UTF-8 JSON text"),
                            }
                        )
                        continue
                    message = {"type": "websocket.receive", "text": text}
                if text.lstrip()[:1] == "{":
                    return message  # an object, or broken JSON that openenv reports itself
                try:
                    parsed = json.loads(text)
                except ValueError:
                    return message
                kind = type(parsed).__name__
                await send(
                    {
                        "type": "websocket.send",
                        "text": error_frame(
                            f"a message must be a JSON object such as "
                            f'{{"type": "step", "data": {{...}}}}, got a JSON {kind}'
                        ),
                    }
                )

        async def guarded_send(message: Message) -> None:
            if client_gone and message["type"] == "websocket.close":
                return  # openenv closes after the client left; sending would raise and log
            await send(message)

        await self.app(scope, guarded_receive, guarded_send)


def install_error_handlers(app: FastAPI) -> None:
    """Map the simulator's and pydantic's errors to client errors with clear messages."""

    async def unprocessable(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, (ValidationError, RequestValidationError))
        if isinstance(exc, RequestValidationError):
            errors = [
                {"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": e.get("msg")}
                for e in exc.errors()
            ]
        else:
            errors = public_errors(exc)
        return JSONResponse({"detail": errors}, status_code=422)

    async def conflict(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    async def not_found(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    app.add_exception_handler(RequestValidationError, unprocessable)
    app.add_exception_handler(ValidationError, unprocessable)
    app.add_exception_handler(EpisodeStateError, conflict)
    app.add_exception_handler(UnknownEpisodeError, not_found)


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
        return  # no web interface: nothing to guard
    original = routes.pop(index)
    assert isinstance(original, APIRoute)
    app.post(path)(wrap(original.endpoint))
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


def guard_web_routes(app: FastAPI) -> None:
    """Re-register openenv's ``/web/reset`` and ``/web/step`` (present with the web interface)
    so that bad input is a 4xx: unknown reset parameters 422, a non-object action 422."""
    _wrap_route(app, "/web/reset", _guarded_web_reset)
    _wrap_route(app, "/web/step", _guarded_web_step)
