"""The server's tunables, read once from environment variables (transport only).

Every limit the HTTP and WebSocket layers enforce is named here with its default, so the
README, the Dockerfile and the tests refer to one list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

TRUE_WORDS = ("true", "1", "yes")
"""What counts as "on" (as openenv reads ``ENABLE_WEB_INTERFACE``, which it reads itself)."""


def _int_var(environ: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float_var(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:  # also rejects NaN
        raise ValueError(f"{name} must be >= {minimum}, got {raw!r}")
    return value


@dataclass(frozen=True)
class ServerSettings:
    """Limits of one server process; see ``from_env`` for the variable names."""

    host: str = "0.0.0.0"
    port: int = 8000
    max_concurrent_envs: int = 64
    max_http_episodes: int = 1024
    http_episode_idle_s: float = 1800.0
    max_body_bytes: int = 65536
    max_ws_message_bytes: int = 1 << 20
    max_background_jobs: int = 2
    max_waiting_jobs: int = 1024
    log_level: str = "info"
    ws_per_message_deflate: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Read ``HOST``, ``PORT``, ``MAX_CONCURRENT_ENVS``, ``MAX_HTTP_EPISODES``,
        ``HTTP_EPISODE_IDLE_SECONDS``, ``MAX_BODY_BYTES``, ``MAX_WS_MESSAGE_BYTES``,
        ``MAX_BACKGROUND_JOBS``, ``MAX_WAITING_JOBS``, ``LOG_LEVEL`` and
        ``WS_PER_MESSAGE_DEFLATE``; a bad value fails
        at start-up. (``ENABLE_WEB_INTERFACE`` is read by openenv's ``create_app``.)"""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            host=env.get("HOST", "").strip() or defaults.host,
            port=_int_var(env, "PORT", defaults.port, 0),
            max_concurrent_envs=_int_var(
                env, "MAX_CONCURRENT_ENVS", defaults.max_concurrent_envs, 1
            ),
            max_http_episodes=_int_var(env, "MAX_HTTP_EPISODES", defaults.max_http_episodes, 1),
            http_episode_idle_s=_float_var(
                env, "HTTP_EPISODE_IDLE_SECONDS", defaults.http_episode_idle_s, 0.001
            ),
            max_body_bytes=_int_var(env, "MAX_BODY_BYTES", defaults.max_body_bytes, 1024),
            max_ws_message_bytes=_int_var(
                env, "MAX_WS_MESSAGE_BYTES", defaults.max_ws_message_bytes, 1024
            ),
            max_background_jobs=_int_var(
                env, "MAX_BACKGROUND_JOBS", defaults.max_background_jobs, 1
            ),
            max_waiting_jobs=_int_var(env, "MAX_WAITING_JOBS", defaults.max_waiting_jobs, 0),
            log_level=env.get("LOG_LEVEL", "").strip().lower() or defaults.log_level,
            ws_per_message_deflate=env.get("WS_PER_MESSAGE_DEFLATE", "false").strip().lower()
            in TRUE_WORDS,
        )
