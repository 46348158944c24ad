"""What bad input gets, for every route the app serves (transport only).

- ``BodySizeLimit``: a request body over the limit is refused with 413 before any route sees it.
- ``WebSocketFrameGuard``: a frame that is valid JSON but not an object, or binary that is not
  UTF-8, makes openenv 0.10.0 drop the connection (and the session's episode); the guard
  answers such frames with an error frame instead and keeps the session. It also drops the
  close frame openenv sends after the client has gone, which would raise and log a traceback.
- ``install_error_handlers``: simulator and validation errors become 404 / 409 / 422 with a
  message naming the problem, never a 500, on openenv's routes as on ours.
The guards of openenv's own ``/web/*`` and ``/mcp`` routes live in ``server.openenv_compat``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.clients import ClientCounts, client_of_scope
from server.episode_store import EpisodeCapacityError, UnknownEpisodeError
from server.error_reports import capped_error_frame, capped_errors
from server.inventory_env import EpisodeStateError
from server.openenv_compat import public_errors

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_TOO_LARGE = {413: {"description": "Request body over MAX_BODY_BYTES"}}
"""``BodySizeLimit``'s answer, as route declarations list it in OpenAPI."""


class BodySizeLimit:
    """Refuse HTTP request bodies larger than ``max_bytes`` with 413 (ASGI middleware).

    A declared ``Content-Length`` over the limit is refused up front; every body is then read
    and its real bytes counted up to the limit (whatever ``Content-Length`` said), then
    replayed to the app. A request with both ``Content-Length`` and ``Transfer-Encoding``
    (ambiguous framing, RFC 9112 section 6.3) gets 400.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        chunked = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared is not None and chunked:
            await self._refuse(send, "", status=400)
            return
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, f"{int(declared)} bytes")
            return
        # Count the bytes that really come, whatever the headers said.
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

    async def _refuse(self, send: Send, size: str, status: int = 413) -> None:
        detail = (
            f"request body too large: {size}; the limit is {self.max_bytes} bytes (MAX_BODY_BYTES)"
            if status == 413
            else "a request may not carry both Content-Length and Transfer-Encoding"
        )
        payload = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def unparseable_json_reason(exc: BaseException) -> str:
    """Why text that the JSON decoder did not reject as malformed still could not be read."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to parse"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    return str(exc).split(";")[0]  # e.g. "Exceeds the limit (4300 digits) for integer ..."


JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
JSON_KINDS[type(None)] = "null"


def _env_error_frame(message: str, unparseable: bool) -> str:
    code = "INVALID_JSON" if unparseable else "VALIDATION_ERROR"
    return json.dumps({"type": "error", "data": {"message": message, "code": code}})


def _mcp_error_frame(message: str, unparseable: bool) -> str:
    code = -32700 if unparseable else -32600  # JSON-RPC parse error / invalid request
    return json.dumps({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": None})


MAX_MESSAGE_VALUES = 256
"""Most JSON values (objects, arrays, scalars) a WebSocket message may hold: a full action
(every field, every product) holds about 30. More is refused before any validation, so a frame
of thousands of unknown fields costs a count, not thousands of validation errors."""


def json_value_count(value: Any, limit: int) -> int:
    """How many JSON values ``value`` holds, counting stops a little past ``limit``."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


class OpenConnections:
    """How many WebSocket connections are open on ``/ws`` and ``/mcp`` right now, in all and
    per client: each holds one session of openenv's pool (``MAX_CONCURRENT_ENVS``). Counted
    by the frame guard."""

    def __init__(self) -> None:
        self.count = 0
        self.per_client = ClientCounts()


CAPACITY_REACHED = "CAPACITY_REACHED"
IDLE_CLOSE_CODE = 1001  # "going away": the server ends the session


class WebSocketFrameGuard:
    """Answer WebSocket frames openenv cannot parse as a message object with an error frame
    instead of letting them end the session (ASGI middleware for ``/ws`` and ``/mcp``).

    Malformed JSON is left to openenv, which reports it naming line and column; JSON that the
    decoder cannot read for other reasons (nested too deeply, an integer of more than 4300
    digits) would raise past openenv's handler and end the session, so it is answered here.
    """

    FRAME_BUILDERS: dict[str, Callable[[str, bool], str]] = {
        "/ws": _env_error_frame,
        "/mcp": _mcp_error_frame,
    }

    def __init__(
        self,
        app: ASGIApp,
        connections: OpenConnections | None = None,
        max_per_client: int | None = None,
        idle_timeout_s: float | None = None,
    ) -> None:
        self.app = app
        self.connections = connections if connections is not None else OpenConnections()
        self.max_per_client = max_per_client
        self.idle_timeout_s = idle_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        error_frame = self.FRAME_BUILDERS.get(scope.get("path", ""))
        if scope["type"] != "websocket" or error_frame is None:
            await self.app(scope, receive, send)
            return
        client = client_of_scope(scope)
        held = self.connections.per_client[client]
        if self.max_per_client is not None and held >= self.max_per_client:
            await self._refuse(receive, send, scope.get("path", ""), held)
            return
        self.connections.count += 1
        self.connections.per_client.add(client)
        try:
            await self._guarded(scope, receive, send, error_frame)
        finally:
            self.connections.count -= 1
            self.connections.per_client.remove(client)

    async def _refuse(self, receive: Receive, send: Send, path: str, held: int) -> None:
        """Accept, say why in an error frame, close: what openenv does at full capacity."""
        if (await receive())["type"] != "websocket.connect":
            return
        message = (
            f"this client already holds {held} WebSocket sessions "
            f"(MAX_WS_SESSIONS_PER_CLIENT={self.max_per_client}); close one first"
        )
        if path == "/mcp":
            text = _mcp_error_frame(message, unparseable=False)
        else:
            text = json.dumps(
                {"type": "error", "data": {"message": message, "code": CAPACITY_REACHED}}
            )
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": text})
        await send({"type": "websocket.close", "code": 1013, "reason": "try again later"})

    async def _guarded(
        self, scope: Scope, receive: Receive, send: Send, error_frame: Callable[[str, bool], str]
    ) -> None:
        client_gone = False

        async def reply(text: str, unparseable: bool) -> None:
            await send({"type": "websocket.send", "text": error_frame(text, unparseable)})

        async def next_message() -> Message:
            """The client's next message; a session idle for ``idle_timeout_s`` is closed and
            reported to openenv as a disconnect, which frees its slot."""
            nonlocal client_gone
            if self.idle_timeout_s is None:
                return await receive()
            try:
                return await asyncio.wait_for(receive(), self.idle_timeout_s)
            except asyncio.TimeoutError:
                reason = f"idle for {self.idle_timeout_s:g} s (WS_IDLE_TIMEOUT_SECONDS)"
                client_gone = True
                with contextlib.suppress(Exception):
                    await send(
                        {"type": "websocket.close", "code": IDLE_CLOSE_CODE, "reason": reason}
                    )
                return {"type": "websocket.disconnect", "code": IDLE_CLOSE_CODE}

        async def guarded_receive() -> Message:
            nonlocal client_gone
            while True:
                message = await next_message()
                if message["type"] != "websocket.receive":
                    client_gone = message["type"] == "websocket.disconnect"
                    return message
                text = message.get("text")
                if text is None:
                    try:
                        text = (message.get("bytes") or b"").decode("utf-8")
                    except UnicodeDecodeError:
                        await reply("binary frame is not UTF-8 JSON text", unparseable=True)
                        continue
                    message = {"type": "websocket.receive", "text": text}
                try:
                    parsed = json.loads(text)
                except json.JSONDecodeError:
                    return message  # malformed: openenv reports it, naming line and column
                except (ValueError, RecursionError) as exc:
                    await reply(f"Invalid JSON: {unparseable_json_reason(exc)}", unparseable=True)
                    continue
                if isinstance(parsed, dict):
                    values = json_value_count(parsed, MAX_MESSAGE_VALUES)
                    if values <= MAX_MESSAGE_VALUES:
                        return message
                    await reply(
                        f"a message may hold at most {MAX_MESSAGE_VALUES} JSON values (an "
                        "action needs a few dozen); this one holds more",
                        unparseable=False,
                    )
                    continue
                kind = JSON_KINDS.get(type(parsed), type(parsed).__name__)
                await reply(
                    f"a message must be a JSON object such as "
                    f'{{"type": "step", "data": {{...}}}}, got a JSON {kind}',
                    unparseable=False,
                )

        async def guarded_send(message: Message) -> None:
            if client_gone and message["type"] == "websocket.close":
                return  # openenv closes after the client left; sending would raise and log
            text = message.get("text")
            if message["type"] == "websocket.send" and text is not None:
                message = {**message, "text": capped_error_frame(text)}
            await send(message)

        await self.app(scope, guarded_receive, guarded_send)


_FASTAPI_PARSE_ERROR = "There was an error parsing the body"


def _message(error: Any) -> str:
    """pydantic's message, plus the decoder's reason for malformed JSON (FastAPI keeps it in
    ``ctx``): "JSON decode error: Expecting ',' delimiter"."""
    message = str(error.get("msg"))
    reason = (error.get("ctx") or {}).get("error")
    if error.get("type") == "json_invalid" and reason:
        return f"{message}: {reason}"
    return message


def install_error_handlers(app: FastAPI) -> None:
    """Map the simulator's and pydantic's errors to client errors with clear messages."""

    async def unprocessable(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, (ValidationError, RequestValidationError))
        if isinstance(exc, RequestValidationError):
            errors = [
                {"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": _message(e)}
                for e in exc.errors()
            ]
        else:
            errors = public_errors(exc)
        return JSONResponse({"detail": capped_errors(errors)}, status_code=422)

    async def unreadable_body(request: Request, exc: Exception) -> Any:
        """FastAPI answers a body that is JSON-typed but unreadable (not UTF-8, nested too
        deeply, an integer of more than 4300 digits) with a bare 400 "There was an error parsing
        the body"; say what is wrong, as a 422 like any other malformed JSON."""
        assert isinstance(exc, StarletteHTTPException)
        cause = exc.__cause__
        if exc.status_code != 400 or exc.detail != _FASTAPI_PARSE_ERROR or cause is None:
            return await http_exception_handler(request, exc)
        reason = unparseable_json_reason(cause)
        errors = [{"type": "json_invalid", "loc": ["body"], "msg": f"Invalid JSON: {reason}"}]
        return JSONResponse({"detail": errors}, status_code=422)

    async def conflict(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    async def not_found(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    app.add_exception_handler(RequestValidationError, unprocessable)
    app.add_exception_handler(StarletteHTTPException, unreadable_body)
    app.add_exception_handler(ValidationError, unprocessable)
    app.add_exception_handler(EpisodeStateError, conflict)

    async def too_many(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": "5"})

    app.add_exception_handler(UnknownEpisodeError, not_found)
    app.add_exception_handler(EpisodeCapacityError, too_many)
