"""The web interface's file uploads, off unless ``ALLOW_UPLOADS=true`` (ASGI middleware).

Gradio stores every upload under the temp directory, serves it back to anyone and never
deletes it; this environment's web interface needs no files. With uploads off, Gradio's
upload routes under ``/web`` answer 403.
"""

from __future__ import annotations

import json
from typing import Any

WEB_PREFIX = "/web/"
UPLOAD_SUFFIXES = ("/upload", "/upload_progress")


def is_upload_path(path: str) -> bool:
    """Whether ``path`` is one of Gradio's upload routes under the web interface."""
    return path.startswith(WEB_PREFIX) and path.rstrip("/").endswith(UPLOAD_SUFFIXES)


class UploadGuard:
    """Answer Gradio's upload routes with 403 (see the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not is_upload_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {"detail": "file uploads are off on this server (ALLOW_UPLOADS=false)"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
