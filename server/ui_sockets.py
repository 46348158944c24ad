"""Bounds on the web interface's ``/ws/ui`` sockets (ASGI middleware; transport only).

openenv's web interface sends every state update to each ``/ws/ui`` socket in turn, inside
``/web/reset`` and ``/web/step``; one socket whose client never reads blocks that send once
its buffers fill, and with it every web request. Here a send that takes longer than
``UI_SEND_TIMEOUT_SECONDS`` fails, so openenv drops that socket from its broadcast list (and
every later send to it fails at once); the connection itself ends when uvicorn's WebSocket
ping gets no answer (``--ws-ping-interval`` / ``--ws-ping-timeout``, 20 s each). At most
``MAX_UI_SOCKETS`` are open, ``MAX_UI_SOCKETS_PER_CLIENT`` per client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from server.clients import ClientCounts, client_of_scope

UI_SOCKET_PATH = "/ws/ui"
TRY_AGAIN_LATER = 1013


class UISocketLimit:
    """Cap and time out ``/ws/ui`` sockets (see the module docstring)."""

    def __init__(
        self, app: Any, max_sockets: int, max_per_client: int, send_timeout_s: float
    ) -> None:
        self.app = app
        self.max_sockets = max_sockets
        self.max_per_client = max_per_client
        self.send_timeout_s = send_timeout_s
        self.open = ClientCounts()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket" or scope.get("path") != UI_SOCKET_PATH:
            await self.app(scope, receive, send)
            return
        client = client_of_scope(scope)
        if self.open.total() >= self.max_sockets or self.open[client] >= self.max_per_client:
            if (await receive())["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            return
        self.open.add(client)
        try:
            await self._bounded(scope, receive, send)
        finally:
            self.open.remove(client)

    async def _bounded(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        stalled = asyncio.Event()

        async def timed_send(message: dict[str, Any]) -> None:
            if stalled.is_set():
                raise ConnectionError("this /ws/ui socket stopped reading")
            try:
                await asyncio.wait_for(send(message), self.send_timeout_s)
            except asyncio.TimeoutError:
                stalled.set()
                raise ConnectionError(
                    f"a /ws/ui send took over {self.send_timeout_s:g} s "
                    "(UI_SEND_TIMEOUT_SECONDS); the socket is dropped"
                ) from None

        await self.app(scope, receive, timed_send)
