"""The gate for blocking jobs (ceiling solves, whole baseline episodes): worker threads,
bounded queue, per-client share, abandoned work dropped (transport only).

Grading an uncached scenario solves its ceiling (seconds) and ``/baseline`` plays a whole
episode, so they run in worker threads: at most ``MAX_BACKGROUND_JOBS`` at once, at most
``MAX_WAITING_JOBS`` waiting behind them, at most ``MAX_JOBS_PER_CLIENT`` of them (running or
waiting) per client, so that one client cannot fill the queue for everyone. A request whose
client disconnects while it waits is dropped before it runs. A job cannot be stopped once it
runs (it is a thread), but each is bounded: one 30-day episode and one ceiling solve. Cached
grades cost microseconds and never queue (``server.grader_routes``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from fastapi import HTTPException, Request

from server.clients import ClientCounts, client_of

T = TypeVar("T")
DISCONNECT_POLL_S = 0.25
"""How often a waiting job checks whether its client is still there."""
CLIENT_CLOSED_REQUEST = 499
JOBS_BUSY = {429: {"description": "MAX_WAITING_JOBS requests already wait, or MAX_JOBS_PER_CLIENT"}}
"""``JobGate``'s refusal, as route declarations list it in OpenAPI."""


class JobGate:
    """Runs blocking jobs in worker threads within the limits of the module docstring."""

    def __init__(self, max_running: int, max_waiting: int, max_per_client: int) -> None:
        self.max_running = max_running
        self.max_waiting = max_waiting
        self.max_per_client = max_per_client
        self.running = 0
        self.waiting = 0
        self.per_client = ClientCounts()
        self._slots = asyncio.Semaphore(max_running)

    def _busy(self, detail: str) -> HTTPException:
        return HTTPException(status_code=429, detail=detail, headers={"Retry-After": "1"})

    async def run(self, request: Request, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` in a worker thread once a slot is free (429 when the client or the
        server has too many jobs; dropped when the client leaves while it waits)."""
        client = client_of(request)
        if self.per_client[client] >= self.max_per_client:
            raise self._busy(
                f"busy: this client already has {self.per_client[client]} grading or baseline "
                f"jobs (MAX_JOBS_PER_CLIENT={self.max_per_client}); wait for one to finish"
            )
        if self.running + self.waiting >= self.max_running + self.max_waiting:
            raise self._busy(
                f"busy: {self.running} grading or baseline jobs are running and "
                f"{self.waiting} are waiting (MAX_BACKGROUND_JOBS={self.max_running}, "
                f"MAX_WAITING_JOBS={self.max_waiting}); retry shortly"
            )
        self.per_client.add(client)
        try:
            await self._acquire(request)
            self.running += 1
            try:
                return await anyio.to_thread.run_sync(func, *args)
            finally:
                self.running -= 1
                self._slots.release()
        finally:
            self.per_client.remove(client)

    async def _acquire(self, request: Request) -> None:
        """Wait for a slot, giving up when the client disconnects meanwhile."""
        self.waiting += 1
        try:
            slot = asyncio.ensure_future(self._slots.acquire())
            while True:
                done, _ = await asyncio.wait({slot}, timeout=DISCONNECT_POLL_S)
                if done:
                    return
                if await request.is_disconnected():
                    slot.cancel()
                    try:
                        await slot
                        self._slots.release()  # acquired just before the cancel
                    except asyncio.CancelledError:
                        pass
                    raise HTTPException(CLIENT_CLOSED_REQUEST, "the client went away")
        finally:
            self.waiting -= 1
