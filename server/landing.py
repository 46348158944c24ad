"""``/`` and ``/web`` when openenv's web interface is off: a page that says how to turn it on.

openenv only registers ``/web`` (and ``/`` as a redirect to it) when ``ENABLE_WEB_INTERFACE``
is true, so ``uvicorn server.app:app`` (the brief's command) answered a bare 404 on both. Here
``/`` answers a short page, or JSON for clients that do not ask for HTML, naming the variable
and the pages that are always served; ``/web`` answers the same with 404, since it is not there.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

WEB_PATHS = ("/web", "/web/")
HINT = (
    "The web interface is off on this server. Start it with ENABLE_WEB_INTERFACE=true "
    "(./scripts/serve.sh does) to get openenv's web interface at /web."
)
PAGES: tuple[tuple[str, str], ...] = (
    ("/play", "play a month by hand, with charts"),
    ("/docs", "the API reference"),
    ("/tasks", "the tasks, products and rules as JSON"),
    ("/health", "a health check"),
)


def web_interface_enabled(app: FastAPI) -> bool:
    """Whether openenv registered its web interface on ``app``."""
    return any(getattr(route, "path", None) in WEB_PATHS for route in app.routes)


def hint_payload() -> dict[str, Any]:
    """What ``/`` says, as JSON."""
    return {
        "web_interface": "off",
        "message": HINT,
        "enable_with": "ENABLE_WEB_INTERFACE=true",
        "pages": {path: what for path, what in PAGES},
    }


def hint_page() -> str:
    """What ``/`` says, as a small self-contained HTML page (no external resources)."""
    items = "".join(
        f'<li><a href="{path}">{html.escape(path)}</a>: {html.escape(what)}</li>'
        for path, what in PAGES
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Retail Inventory Optimization Environment</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}code{background:#f2f2f2;padding:0 .2em}</style>"
        "</head><body><h1>Retail Inventory Optimization Environment</h1>"
        "<p>The server is running. Its web interface (<code>/web</code>) is off: start the "
        "server with <code>ENABLE_WEB_INTERFACE=true</code> (<code>./scripts/serve.sh</code> "
        "does) to turn it on.</p>"
        f"<p>Always served:</p><ul>{items}</ul></body></html>"
    )


def _answer(request: Request, status_code: int) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(hint_page(), status_code=status_code)
    return JSONResponse(hint_payload(), status_code=status_code)


def register_landing(app: FastAPI) -> None:
    """Add ``/`` and ``/web`` hint answers, unless openenv's web interface already has them."""
    if web_interface_enabled(app):
        return

    async def landing(request: Request) -> Response:
        return _answer(request, 200)

    async def web_is_off(request: Request) -> Response:
        return _answer(request, 404)

    app.add_api_route("/", landing, methods=["GET"], include_in_schema=False)
    for path in WEB_PATHS:
        app.add_api_route(path, web_is_off, methods=["GET"], include_in_schema=False)
