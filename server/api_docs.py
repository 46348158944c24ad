"""``/docs`` that works offline: Swagger UI from a pip package instead of a CDN.

FastAPI's default ``/docs`` page loads Swagger UI's script and stylesheet from a CDN, so it is
blank without internet (and ``/redoc`` likewise). Here ``/docs`` is rebuilt on the files of the
``swagger-ui-bundle-v2`` package, served by this server at ``/docs/assets/<name>`` (a fixed
list of names: no path from the request reaches the disk), and ``/redoc`` redirects to it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

ASSETS_PREFIX = "/docs/assets"
ASSET_MEDIA_TYPES: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def swagger_ui_dir() -> Path:
    """Where the installed ``swagger-ui-bundle-v2`` package keeps Swagger UI's files."""
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


def _remove_routes(app: FastAPI, paths: set[str]) -> None:
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) not in paths
    ]


def register_api_docs(app: FastAPI) -> None:
    """Replace FastAPI's CDN-backed ``/docs`` and ``/redoc`` with locally served ones."""
    directory = swagger_ui_dir()
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} - API reference"
    _remove_routes(app, {"/docs", "/redoc"})

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PREFIX}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def asset(name: str) -> FileResponse:
        media_type = ASSET_MEDIA_TYPES.get(name)
        if media_type is None:
            raise HTTPException(status_code=404, detail=f"no such asset: {name!r}")
        return FileResponse(
            directory / name,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def redoc() -> RedirectResponse:
        return RedirectResponse("/docs", status_code=307)

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route(f"{ASSETS_PREFIX}/{{name}}", asset, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
