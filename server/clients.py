"""Who a request comes from, for the per-client limits (transport only).

A client is the address uvicorn reports for the connection: the TCP peer, or the address a
trusted proxy put in ``X-Forwarded-For`` when the peer is listed in ``FORWARDED_ALLOW_IPS``
(uvicorn's proxy-headers support; on a Space, list the Space proxy's addresses so that
uvicorn takes the right-most address that is not a proxy, which clients cannot forge).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.requests import HTTPConnection

UNKNOWN_CLIENT = "unknown"


def client_of_scope(scope: dict[str, Any]) -> str:
    """The client's address for an ASGI ``scope`` (``unknown`` when the server gives none)."""
    client = scope.get("client")
    if not client:
        return UNKNOWN_CLIENT
    return str(client[0])


def client_of(connection: HTTPConnection) -> str:
    """The client's address of a request or WebSocket."""
    return client_of_scope(connection.scope)


class ClientCounts:
    """How many of something (sockets, jobs) each client holds; zero counts are dropped so
    the table never outgrows what is open right now."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def __getitem__(self, client: str) -> int:
        return self._counts.get(client, 0)

    def add(self, client: str) -> None:
        self._counts[client] += 1

    def remove(self, client: str) -> None:
        self._counts[client] -= 1
        if self._counts[client] <= 0:
            del self._counts[client]

    def total(self) -> int:
        return sum(self._counts.values())
