"""``GET /capacity`` (read-only): sessions, episodes and jobs in use with their limits, what
the soak benchmark and operators watch."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, Field

from server.episode_store import EpisodeStore
from server.guards import OpenConnections
from server.jobs import JobGate
from server.settings import ServerSettings


class CapacityReport(BaseModel):
    """How full the server is: sessions, episodes and background jobs, with their limits."""

    websocket_sessions: int = Field(description="Open WebSocket connections on /ws and /mcp")
    max_websocket_sessions: int = Field(description="MAX_CONCURRENT_ENVS")
    http_episodes: int = Field(description="HTTP episodes kept (expired ones are dropped)")
    max_http_episodes: int = Field(description="MAX_HTTP_EPISODES")
    http_episode_idle_s: float = Field(description="HTTP_EPISODE_IDLE_SECONDS")
    background_jobs_running: int
    background_jobs_waiting: int
    max_background_jobs: int = Field(description="MAX_BACKGROUND_JOBS")
    max_waiting_jobs: int = Field(description="MAX_WAITING_JOBS")


def register_capacity_route(
    app: FastAPI,
    settings: ServerSettings,
    store: EpisodeStore,
    connections: OpenConnections,
    jobs: JobGate,
) -> None:
    """Add ``GET /capacity`` (read-only): what the soak benchmark and operators watch."""

    @app.get(
        "/capacity",
        response_model=CapacityReport,
        tags=["Health"],
        summary="Sessions, episodes and jobs in use, with their limits",
    )
    async def capacity() -> CapacityReport:
        return CapacityReport(
            websocket_sessions=connections.count,
            max_websocket_sessions=settings.max_concurrent_envs,
            http_episodes=len(store),
            max_http_episodes=store.capacity,
            http_episode_idle_s=store.idle_timeout_s,
            background_jobs_running=jobs.running,
            background_jobs_waiting=jobs.waiting,
            max_background_jobs=jobs.max_running,
            max_waiting_jobs=jobs.max_waiting,
        )
