"""HTTP and WebSocket server: openenv's app around the inventory environment (transport only).

``create_app`` from openenv gives every standard route and message shape (``/health``,
``/schema``, ``/metadata``, ``/ws``, ``/mcp`` with our MCP tools, the task API under
``/inventory_env/``, the Gradio UI at ``/web`` when ``ENABLE_WEB_INTERFACE`` is on). On top of
it: stateful HTTP episodes (``server.episode_routes``), ``/tasks``, ``/grader``, ``/baseline``,
``/capacity`` (``server.*_routes``), the play view at ``/play`` (``server.play``), ``/docs``
served offline (``server.api_docs``), a hint on ``/`` and ``/web`` when the web interface is
off (``server.landing``) and the input guards of ``server.guards``. Everything about openenv's
own behaviour: ``server.openenv_compat``. Limits: ``server.settings``.

``OPENENV_MODE=production`` (openenv reads it) leaves out the simulation controls: openenv
registers no ``/reset``, ``/step``, ``/state``, and neither do we; ``/ws``, ``/mcp``, ``/health``,
``/schema``, the task API and our read-only routes stay.
"""

from __future__ import annotations

from fastapi import FastAPI

from models import InventoryObservation, InventoryState
from server import play, web_ui
from server.api_docs import register_api_docs
from server.baseline_routes import register_baseline_route
from server.capacity_routes import register_capacity_route
from server.catalogue_routes import register_catalogue_route
from server.episode_routes import register_episode_routes
from server.episode_store import EpisodeStore
from server.graded_episodes import GradedEpisodes
from server.grader import scenario_baselines
from server.grader_routes import register_grader_route
from server.guards import (
    BodySizeLimit,
    OpenConnections,
    WebSocketFrameGuard,
    install_error_handlers,
)
from server.hidden_scenarios import HiddenScenarios
from server.jobs import JobGate
from server.landing import register_landing
from server.llm_baseline import LLMBaseline
from server.openenv_compat import (
    ServedInventoryEnvironment,
    WireInventoryAction,
    document_task_api_errors,
    guard_mcp_sessions,
    guard_web_routes,
)
from server.openenv_light import load_openenv_fully
from server.settings import ServerSettings
from server.ui_sockets import UISocketLimit
from server.web_limits import UploadGuard


def build_app(settings: ServerSettings) -> FastAPI:
    """The whole application for ``settings`` (openenv reads ``ENABLE_WEB_INTERFACE`` itself)."""
    load_openenv_fully()  # openenv's server as openenv itself imports it (server.openenv_light)
    from openenv.core.env_server.http_server import create_app
    from openenv.core.env_server.types import ConcurrencyConfig

    graded = GradedEpisodes(settings.graded_episode_ttl_s, settings.max_graded_episodes)
    hidden = None
    if settings.scenario_secret is not None:
        hidden = HiddenScenarios(settings.scenario_secret, settings.max_hidden_seeds)

    def env_factory() -> ServedInventoryEnvironment:
        # A function, not a functools.partial: openenv's web interface calls classes and
        # functions but takes anything else for an environment instance.
        return ServedInventoryEnvironment(
            scenario_secret=None if hidden is None else hidden.secret,
            seed_policy=None if hidden is None else hidden.assign,
            graded_episodes=graded,
            baselines=scenario_baselines,
        )

    application = create_app(
        env_factory,
        WireInventoryAction,
        InventoryObservation,
        env_name="inventory_env",
        concurrency_config=ConcurrencyConfig(
            max_concurrent_envs=settings.max_concurrent_envs,
            session_timeout=settings.http_episode_idle_s,
        ),
        gradio_builder=web_ui.gradio_builder,
        show_default_tab=False,
        title_override="Retail Inventory Optimization Environment",
        state_cls=InventoryState,
        mode=settings.openenv_mode,
    )
    application.router.redirect_slashes = False  # its redirects echo the Host header
    store = EpisodeStore(
        settings.max_http_episodes,
        settings.http_episode_idle_s,
        max_per_client=settings.max_http_episodes_per_client,
        evict_idle_s=settings.http_episode_evict_idle_s,
        latest_fallback=settings.latest_episode_fallback,
        env_factory=env_factory,
    )
    application.state.http_episodes = store
    application.state.graded_episodes = graded
    application.state.settings = settings
    jobs = JobGate(
        settings.max_background_jobs, settings.max_waiting_jobs, settings.max_jobs_per_client
    )
    connections = OpenConnections()
    if settings.openenv_mode == "simulation":
        register_episode_routes(application, store)
    register_catalogue_route(application, hidden=hidden is not None)
    register_grader_route(application, jobs, graded)
    llm = LLMBaseline(settings.baseline_llm, settings.baseline_llm_timeout_s)
    register_baseline_route(application, jobs, llm, settings.baseline_agent)
    register_capacity_route(application, settings, store, connections, jobs)
    application.include_router(play.router)
    register_api_docs(application)
    register_landing(application)
    guard_web_routes(application)
    guard_mcp_sessions(application)
    document_task_api_errors(application)
    install_error_handlers(application)
    application.add_middleware(
        WebSocketFrameGuard,
        connections=connections,
        max_per_client=settings.max_ws_sessions_per_client,
        idle_timeout_s=settings.ws_idle_timeout_s,
    )
    application.add_middleware(
        UISocketLimit,
        max_sockets=settings.max_ui_sockets,
        max_per_client=settings.max_ui_sockets_per_client,
        send_timeout_s=settings.ui_send_timeout_s,
    )
    if not settings.allow_uploads:
        application.add_middleware(UploadGuard)
    application.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return application


SETTINGS = ServerSettings.from_env()
app = build_app(SETTINGS)


def main() -> None:
    """Entry point of the ``server`` console script: serve ``app`` with uvicorn, with the
    read deadlines and connection cap of ``server.http_protocol``."""
    import dataclasses

    import uvicorn

    from server import solver_pool
    from server.http_protocol import deadline_protocol, raise_open_file_limit

    solver_pool.enable(SETTINGS.max_background_jobs)  # ceiling solves off the event loop's GIL
    if SETTINGS.warm_solvers:
        solver_pool.warm()  # not in the middle of the first grader flood
    max_connections = raise_open_file_limit(SETTINGS.max_connections)
    limits = dataclasses.replace(SETTINGS, max_connections=max_connections)
    uvicorn.run(
        app,
        host=SETTINGS.host,
        port=SETTINGS.port,
        http=deadline_protocol(limits),
        timeout_keep_alive=SETTINGS.keep_alive_s,  # type: ignore[arg-type]
        proxy_headers=True,
        forwarded_allow_ips=SETTINGS.forwarded_allow_ips,
        ws_max_size=SETTINGS.max_ws_message_bytes,
        ws_per_message_deflate=SETTINGS.ws_per_message_deflate,
        log_level=SETTINGS.log_level,
    )


if __name__ == "__main__":
    main()
