"""The play view: a page at ``/play`` where a person plays an episode day by day.

Transport only. The page (``server/static/``) talks to the server's own HTTP routes
(``/reset``, ``/step`` with the ``episode_id`` it was given, ``/grader``), so a browser tab plays
exactly what an agent would. The only thing served from here besides the files is the public
catalogue of ``GET /tasks`` (``server.catalogue``, without the wire schemas) embedded as JSON, so
the page never restates a number of the simulation.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from server.catalogue import task_catalogue

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_FILE = "play.html"
CONFIG_PLACEHOLDER = "__PLAY_CONFIG_JSON__"
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
ASSET_NAMES: frozenset[str] = frozenset(
    path.name for path in STATIC_DIR.glob("*") if path.suffix in _MEDIA_TYPES
)
"""The only files ``/play/assets/`` serves: no path from the request ever reaches the disk."""

router = APIRouter()


def page_config() -> dict[str, Any]:
    """What the page needs to label its controls: the ``GET /tasks`` catalogue without the
    wire schemas (the same serializer, so the page and ``/tasks`` cannot disagree)."""
    return task_catalogue(hidden=False, schemas=False)


@lru_cache(maxsize=1)
def render_page() -> str:
    """The page with its config embedded (``</`` escaped so the JSON cannot close the tag)."""
    template = (STATIC_DIR / PAGE_FILE).read_text(encoding="utf-8")
    config_json = json.dumps(page_config(), sort_keys=True).replace("</", "<\\/")
    return template.replace(CONFIG_PLACEHOLDER, config_json)


@router.get("/play", response_class=HTMLResponse, include_in_schema=False)
def play_page() -> HTMLResponse:
    """Serve the play view."""
    return HTMLResponse(render_page(), headers={"Cache-Control": "no-cache"})


@router.get("/play/assets/{name}", include_in_schema=False)
def play_asset(name: str) -> FileResponse:
    """Serve one of the play view's scripts or style sheets."""
    if name not in ASSET_NAMES:
        raise HTTPException(status_code=404, detail=f"no such asset: {name!r}")
    path = STATIC_DIR / name
    return FileResponse(
        path, media_type=_MEDIA_TYPES[path.suffix], headers={"Cache-Control": "no-cache"}
    )
