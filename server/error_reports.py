"""Error answers sized to what an action needs (transport only).

An action is under 1 KB, yet one frame of thousands of unknown fields drew one error each,
and their report was larger than the frame. Reports list at most ``MAX_LISTED_ERRORS`` errors
(with how many were left out) and cut long strings, so an answer stays a few KB.
"""

from __future__ import annotations

import json
from typing import Any

MAX_LISTED_ERRORS = 5
MAX_TEXT_CHARS = 300
FRAME_CHECK_BYTES = 4096
"""Outgoing WebSocket frames longer than this are checked for oversized error reports."""


def short_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def _shrunk(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return short_text(value)
    if depth > 6:
        return short_text(json.dumps(value, default=repr))
    if isinstance(value, dict):
        return {str(k)[:100]: _shrunk(v, depth + 1) for k, v in list(value.items())[:20]}
    if isinstance(value, list):
        return [_shrunk(v, depth + 1) for v in value[:MAX_LISTED_ERRORS]]
    return value


def capped_errors(errors: list[Any]) -> list[Any]:
    """The first ``MAX_LISTED_ERRORS`` errors, shortened, plus a note of how many were left."""
    listed = [_shrunk(error) for error in errors[:MAX_LISTED_ERRORS]]
    left = len(errors) - len(listed)
    if left > 0:
        listed.append({"type": "more_errors", "loc": [], "msg": f"{left} more errors not listed"})
    return listed


def capped_error_frame(text: str) -> str:
    """A WebSocket frame with its error report capped; other frames are returned as they are."""
    if len(text) <= FRAME_CHECK_BYTES:
        return text
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if not isinstance(frame, dict):
        return text
    data = frame.get("data")
    if frame.get("type") == "error" and isinstance(data, dict):
        errors = data.get("errors")
        capped = {k: _shrunk(v) for k, v in data.items() if k != "errors"}
        if isinstance(errors, list):
            capped["errors"] = capped_errors(errors)
        frame["data"] = capped
        return json.dumps(frame)
    rpc = data if frame.get("type") == "mcp" and isinstance(data, dict) else frame
    if isinstance(rpc.get("error"), dict):
        rpc["error"] = _shrunk(rpc["error"])
        return json.dumps(frame)
    return text
