"""The server's tunables, read once from environment variables: every variable the server
reads is a field here with its default, so the docs, the Dockerfile and the tests refer to one
list."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.graded_episodes import DEFAULT_CAPACITY, DEFAULT_TTL_S
from server.hidden_scenarios import DEFAULT_MAX_HIDDEN_SEEDS, check_secret
from server.llm_agent import LLMSettings, settings_from_env

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

    baseline_agent: str | None = None
    """``/baseline``'s agent when the request names none; unset: the LLM when enabled, else
    the heuristic."""
    baseline_allow_llm: bool = False
    baseline_llm_timeout_s: float = 600.0
    baseline_llm: LLMSettings | None = field(default=None, repr=False)
    """The LLM endpoint ``/baseline`` may play (``API_BASE_URL``, ``MODEL_NAME``, ``HF_TOKEN``
    or ``API_KEY``, read as ``inference.py`` reads them), only with ``baseline_allow_llm``."""
    openenv_mode: str = "simulation"
    """openenv's mode (openenv reads ``OPENENV_MODE`` too): ``production`` drops the
    simulation routes."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Every field from its variable in ``VARIABLES``; a bad value fails at start-up with
        a message naming the variable. (``ENABLE_WEB_INTERFACE`` is openenv's own.)"""
        env = os.environ if environ is None else environ
        defaults = cls()
        values: dict[str, Any] = {}
        for name, variable, minimum in VARIABLES:
            default = getattr(defaults, name)
            kind = type(default) if default is not None else str
            if kind is bool:
                values[name] = _bool_var(env, variable, default)
            elif kind is int:
                values[name] = _int_var(env, variable, default, int(minimum or 0))
            elif kind is float:
                values[name] = _float_var(env, variable, default, float(minimum or 0.0))
            else:
                values[name] = env.get(variable, "").strip() or default
        values["log_level"] = values["log_level"].lower()
        if values["scenario_secret"] is not None:
            values["scenario_secret"] = check_secret(values["scenario_secret"])
        mode = values["openenv_mode"] = values["openenv_mode"].lower()
        if mode not in ("simulation", "production"):
            raise ValueError(f"OPENENV_MODE must be simulation or production, got {mode!r}")
        if values["baseline_allow_llm"]:
            values["baseline_llm"] = settings_from_env(env)
        return cls(**values)


VARIABLES: tuple[tuple[str, str, float | None], ...] = (
    ("host", "HOST", None),
    ("port", "PORT", 0),
    ("max_concurrent_envs", "MAX_CONCURRENT_ENVS", 1),
    ("max_http_episodes", "MAX_HTTP_EPISODES", 1),
    ("http_episode_idle_s", "HTTP_EPISODE_IDLE_SECONDS", 0.001),
    ("max_body_bytes", "MAX_BODY_BYTES", 1024),
    ("max_ws_message_bytes", "MAX_WS_MESSAGE_BYTES", 1024),
    ("max_background_jobs", "MAX_BACKGROUND_JOBS", 1),
    ("max_waiting_jobs", "MAX_WAITING_JOBS", 0),
    ("log_level", "LOG_LEVEL", None),
    ("ws_per_message_deflate", "WS_PER_MESSAGE_DEFLATE", None),
    ("scenario_secret", "SCENARIO_SECRET", None),
    ("max_hidden_seeds", "MAX_HIDDEN_SEEDS", 1),
    ("graded_episode_ttl_s", "GRADED_EPISODE_TTL_SECONDS", 0.001),
    ("max_graded_episodes", "MAX_GRADED_EPISODES", 1),
    ("forwarded_allow_ips", "FORWARDED_ALLOW_IPS", None),
    ("max_ws_sessions_per_client", "MAX_WS_SESSIONS_PER_CLIENT", 1),
    ("ws_idle_timeout_s", "WS_IDLE_TIMEOUT_SECONDS", 0.1),
    ("max_http_episodes_per_client", "MAX_HTTP_EPISODES_PER_CLIENT", 1),
    ("http_episode_evict_idle_s", "HTTP_EPISODE_EVICT_IDLE_SECONDS", 0.0),
    ("latest_episode_fallback", "LATEST_EPISODE_FALLBACK", None),
    ("max_jobs_per_client", "MAX_JOBS_PER_CLIENT", 1),
    ("warm_solvers", "WARM_SOLVERS", None),
    ("header_timeout_s", "HEADER_TIMEOUT_SECONDS", 0.1),
    ("body_timeout_s", "BODY_TIMEOUT_SECONDS", 0.1),
    ("keep_alive_s", "TIMEOUT_KEEP_ALIVE_SECONDS", 0.1),
    ("max_connections", "MAX_CONNECTIONS", 8),
    ("max_ui_sockets", "MAX_UI_SOCKETS", 0),
    ("max_ui_sockets_per_client", "MAX_UI_SOCKETS_PER_CLIENT", 0),
    ("ui_send_timeout_s", "UI_SEND_TIMEOUT_SECONDS", 0.01),
    ("allow_uploads", "ALLOW_UPLOADS", None),
    ("baseline_agent", "BASELINE_AGENT", None),
    ("baseline_allow_llm", "BASELINE_ALLOW_LLM", None),
    ("baseline_llm_timeout_s", "BASELINE_LLM_TIMEOUT_SECONDS", 0.001),
    ("openenv_mode", "OPENENV_MODE", None),
)
"""(field, environment variable, smallest allowed value) for every field read from the
environment; docs/server.md's configuration table lists each (tests/test_settings_table.py)."""
