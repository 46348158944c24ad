"""``GET /tasks``: everything public about the tasks, the products and the rules, plus the
wire schemas (``server.catalogue``, the one serializer the play view and the LLM prompt use too)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from server.catalogue import task_catalogue


def register_catalogue_route(app: FastAPI, *, hidden: bool = False) -> None:
    """Add ``GET /tasks``; ``hidden``: scenarios are secret, so no seed is named."""

    @app.get(
        "/tasks",
        tags=["Environment Info"],
        summary="All tasks with their full configuration",
        description="The three tasks (cash, capacity, starting stock, demand ranges, events), "
        "the product, shipping and event tables, and the action and observation JSON schemas.",
    )
    async def tasks() -> JSONResponse:
        return JSONResponse(task_catalogue(hidden))
