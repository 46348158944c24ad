"""The play view: a page where a person plays an episode day by day (stub, being built)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()


@router.get("/play", response_class=HTMLResponse, include_in_schema=False)
def play_page() -> str:
    """Serve the play view."""
    return "<!doctype html><title>Inventory play view</title><p>Coming soon.</p>"
