"""The server's tunables, read once from environment variables (transport only).

Every limit the HTTP and WebSocket layers enforce is named here with its default, so the
README, the Dockerfile and the tests refer to one list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from server.graded_episodes import DEFAULT_CAPACITY, DEFAULT_TTL_S
from server.hidden_scenarios import DEFAULT_MAX_HIDDEN_SEEDS, check_secret

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


FALSE_WORDS = ("false", "0", "no")


def _bool_var(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class ServerSettings:
    """Limits of one server process; see ``from_env`` for the variable names."""

    host: str = "0.0.0.0"
    port: int = 8000
    max_concurrent_envs: int = 64
    max_http_episodes: int = 1024
    http_episode_idle_s: float = 1800.0
    max_body_bytes: int = 65536
    max_ws_message_bytes: int = 16384
    max_background_jobs: int = 2
    max_waiting_jobs: int = 1024
    log_level: str = "info"
    ws_per_message_deflate: bool = False
    scenario_secret: str | None = field(default=None, repr=False)
    """Hides evaluation scenarios (``server.hidden_scenarios``); never logged or shown."""
    max_hidden_seeds: int = DEFAULT_MAX_HIDDEN_SEEDS
    graded_episode_ttl_s: float = DEFAULT_TTL_S
    max_graded_episodes: int = DEFAULT_CAPACITY
    # Per-client limits and timeouts against hostile anonymous clients (docs/security.md).
    forwarded_allow_ips: str = "127.0.0.1"
    max_ws_sessions_per_client: int = 16
    ws_idle_timeout_s: float = 600.0
    max_http_episodes_per_client: int = 32
    http_episode_evict_idle_s: float = 300.0
    latest_episode_fallback: bool = True
    max_jobs_per_client: int = 4
    warm_solvers: bool = True
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_s: float = 5.0
    max_connections: int = 2048
    max_ui_sockets: int = 32
    max_ui_sockets_per_client: int = 4
    ui_send_timeout_s: float = 5.0
    allow_uploads: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Read ``HOST``, ``PORT``, ``MAX_CONCURRENT_ENVS``, ``MAX_HTTP_EPISODES``,
        ``HTTP_EPISODE_IDLE_SECONDS``, ``MAX_BODY_BYTES``, ``MAX_WS_MESSAGE_BYTES``,
        ``MAX_BACKGROUND_JOBS``, ``MAX_WAITING_JOBS``, ``LOG_LEVEL`` and
        ``WS_PER_MESSAGE_DEFLATE``, and the per-client limits and timeouts of
        docs/security.md (``FORWARDED_ALLOW_IPS``, ``MAX_WS_SESSIONS_PER_CLIENT``,
        ``WS_IDLE_TIMEOUT_SECONDS``, ``MAX_HTTP_EPISODES_PER_CLIENT``,
        ``HTTP_EPISODE_EVICT_IDLE_SECONDS``, ``LATEST_EPISODE_FALLBACK``,
        ``MAX_JOBS_PER_CLIENT``, ``WARM_SOLVERS``, ``HEADER_TIMEOUT_SECONDS``,
        ``BODY_TIMEOUT_SECONDS``,
        ``TIMEOUT_KEEP_ALIVE_SECONDS``, ``MAX_CONNECTIONS``, ``MAX_UI_SOCKETS``,
        ``MAX_UI_SOCKETS_PER_CLIENT``, ``UI_SEND_TIMEOUT_SECONDS``, ``ALLOW_UPLOADS``),
        ``SCENARIO_SECRET`` (at least 16 characters), ``MAX_HIDDEN_SEEDS``,
        ``GRADED_EPISODE_TTL_SECONDS`` and ``MAX_GRADED_EPISODES``; a bad
        value fails at start-up. (``ENABLE_WEB_INTERFACE`` is read by openenv's
        ``create_app``.)"""
        env = os.environ if environ is None else environ
        defaults = cls()
        secret = env.get("SCENARIO_SECRET", "").strip() or None
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
            ws_per_message_deflate=_bool_var(env, "WS_PER_MESSAGE_DEFLATE", False),
            forwarded_allow_ips=env.get("FORWARDED_ALLOW_IPS", "").strip()
            or defaults.forwarded_allow_ips,
            max_ws_sessions_per_client=_int_var(
                env, "MAX_WS_SESSIONS_PER_CLIENT", defaults.max_ws_sessions_per_client, 1
            ),
            ws_idle_timeout_s=_float_var(
                env, "WS_IDLE_TIMEOUT_SECONDS", defaults.ws_idle_timeout_s, 0.1
            ),
            max_http_episodes_per_client=_int_var(
                env, "MAX_HTTP_EPISODES_PER_CLIENT", defaults.max_http_episodes_per_client, 1
            ),
            http_episode_evict_idle_s=_float_var(
                env, "HTTP_EPISODE_EVICT_IDLE_SECONDS", defaults.http_episode_evict_idle_s, 0.0
            ),
            latest_episode_fallback=_bool_var(
                env, "LATEST_EPISODE_FALLBACK", defaults.latest_episode_fallback
            ),
            max_jobs_per_client=_int_var(
                env, "MAX_JOBS_PER_CLIENT", defaults.max_jobs_per_client, 1
            ),
            warm_solvers=_bool_var(env, "WARM_SOLVERS", defaults.warm_solvers),
            header_timeout_s=_float_var(
                env, "HEADER_TIMEOUT_SECONDS", defaults.header_timeout_s, 0.1
            ),
            body_timeout_s=_float_var(env, "BODY_TIMEOUT_SECONDS", defaults.body_timeout_s, 0.1),
            keep_alive_s=_float_var(env, "TIMEOUT_KEEP_ALIVE_SECONDS", defaults.keep_alive_s, 0.1),
            max_connections=_int_var(env, "MAX_CONNECTIONS", defaults.max_connections, 8),
            max_ui_sockets=_int_var(env, "MAX_UI_SOCKETS", defaults.max_ui_sockets, 0),
            max_ui_sockets_per_client=_int_var(
                env, "MAX_UI_SOCKETS_PER_CLIENT", defaults.max_ui_sockets_per_client, 0
            ),
            ui_send_timeout_s=_float_var(
                env, "UI_SEND_TIMEOUT_SECONDS", defaults.ui_send_timeout_s, 0.01
            ),
            allow_uploads=_bool_var(env, "ALLOW_UPLOADS", defaults.allow_uploads),
            scenario_secret=None if secret is None else check_secret(secret),
            max_hidden_seeds=_int_var(env, "MAX_HIDDEN_SEEDS", defaults.max_hidden_seeds, 1),
            graded_episode_ttl_s=_float_var(
                env, "GRADED_EPISODE_TTL_SECONDS", defaults.graded_episode_ttl_s, 0.001
            ),
            max_graded_episodes=_int_var(
                env, "MAX_GRADED_EPISODES", defaults.max_graded_episodes, 1
            ),
        )
