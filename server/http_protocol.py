"""uvicorn's HTTP/1.1 protocol with read deadlines and a connection cap (transport only).

uvicorn closes idle keep-alive connections (``TIMEOUT_KEEP_ALIVE_SECONDS``) but waits for a
request's headers and body without limit, so clients that send a byte now and then hold a
connection (and a file descriptor) for ever. Here:

- the headers of a request must arrive within ``HEADER_TIMEOUT_SECONDS`` of its first byte
  (or of the connection's opening), its body within ``BODY_TIMEOUT_SECONDS`` of the end of
  its headers; otherwise the connection is closed (the app sees a disconnect);
- a connection opened while ``MAX_CONNECTIONS`` are open (HTTP and WebSocket together) is
  closed at once, so the process keeps file descriptors for honest work and for its own
  files; ``raise_open_file_limit`` lifts the soft limit above that cap where it can.
"""

from __future__ import annotations

import asyncio
import logging
import resource

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.settings import ServerSettings

FILE_DESCRIPTOR_RESERVE = 256
"""Descriptors kept free beyond ``MAX_CONNECTIONS`` (log, thread pools, Gradio's files)."""

_log = logging.getLogger("uvicorn.error")


class DeadlineH11Protocol(H11Protocol):
    """``H11Protocol`` with header and body deadlines and a connection cap (see the module)."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_connections: int = 2048

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._deadline_phase: object = None
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.abort()
            return
        self._arm(h11.IDLE)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.get_protocol() is not self:  # upgraded to a WebSocket
            self._disarm()
            return
        self._arm(self.conn.their_state)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # uvicorn's keep-alive timeout takes over until the next request

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, state: object) -> None:
        """Keep one deadline for the phase the client is in: headers (IDLE) or body."""
        if state is h11.IDLE and self.timeout_keep_alive_task is None:
            timeout = self.header_timeout_s
        elif state is h11.SEND_BODY:
            timeout = self.body_timeout_s
        else:
            self._disarm()
            return
        if self._deadline is not None and self._deadline_phase is state:
            return
        self._disarm()
        self._deadline_phase = state
        self._deadline = self.loop.call_later(timeout, self._expire, state)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()  # type: ignore[union-attr]
        self._deadline = None
        self._deadline_phase = None

    def _expire(self, state: object) -> None:
        self._deadline = None
        if self.conn.their_state is state and not self.transport.is_closing():
            self.transport.close()


def deadline_protocol(settings: ServerSettings) -> type[DeadlineH11Protocol]:
    """The protocol class for uvicorn's ``http=`` with the limits of ``settings``."""
    return type(
        "ConfiguredDeadlineH11Protocol",
        (DeadlineH11Protocol,),
        {
            "header_timeout_s": settings.header_timeout_s,
            "body_timeout_s": settings.body_timeout_s,
            "max_connections": settings.max_connections,
        },
    )


def raise_open_file_limit(max_connections: int) -> int:
    """Lift the soft open-file limit to fit ``max_connections`` plus a reserve (up to the hard
    limit); return the connection cap that fits, warning when it had to be lowered."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + FILE_DESCRIPTOR_RESERVE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        fitting = max(8, soft - FILE_DESCRIPTOR_RESERVE)
        _log.warning(
            "MAX_CONNECTIONS=%d does not fit the open-file limit %d; using %d",
            max_connections,
            soft,
            fitting,
        )
        return fitting
    return max_connections
