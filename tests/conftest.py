"""Shared test helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from server.task_catalog import use_tasks_dir  # noqa: E402
from tests.live_server import HIDDEN_A_ENV, HIDDEN_B_ENV, POOL, WEB_ENV  # noqa: E402
from tests.task_files import TaskDir  # noqa: E402

# The ``browser`` fixture (headless system Chromium) of tests/browser.py, for every module.
pytest_plugins = ["tests.browser"]

# --------------------------------------------------------------------------- live servers
# Real uvicorn servers (``server.app:main``) on free loopback ports, shared by the whole test
# session. Use them in any test module:
#
#     def test_health(server_url: str) -> None:           # web interface off
#         assert httpx.get(f"{server_url}/health").status_code == 200
#
#     def test_web(web_server_url: str) -> None: ...       # ENABLE_WEB_INTERFACE=true (Gradio)
#
#     def test_small_store(live_server_factory) -> None:   # any environment variables
#         url = live_server_factory({"MAX_HTTP_EPISODES": "2"})
#
# One server runs per set of environment variables: asking twice for the same variables gives
# the same server, so a test must not break state that other tests rely on (start your own
# episodes; pass the episode_id when another test could reset in between). The servers that
# the collected tests ask for by fixture name start right after collection, so they boot while
# other tests run. Under pytest-xdist (``-n 2 --dist loadfile``, pyproject's default) each
# worker has its own pool and runs whole files, only part of them: a worker starts only the
# plain server early (nearly every worker needs it) and the others when first asked for.
# All are stopped when the session ends.

SERVER_FIXTURES = {"server_url": None, "web_server_url": WEB_ENV}
XDIST_EARLY_SERVERS = ("server_url",)


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    wanted = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    if os.environ.get("PYTEST_XDIST_WORKER"):
        wanted &= set(XDIST_EARLY_SERVERS)
    for name, env in SERVER_FIXTURES.items():
        if name in wanted:
            POOL.launch(env)


def pytest_sessionfinish() -> None:
    POOL.stop_all()


@pytest.fixture(scope="session")
def live_server_factory() -> Callable[[dict[str, str] | None], str]:
    """``factory(env: dict[str, str] | None) -> base_url`` of a running server with those
    extra environment variables (on top of ``tests.live_server.QUIET_ENV``)."""
    return POOL.url


@pytest.fixture(scope="session")
def server_url() -> str:
    """Base URL (``http://127.0.0.1:PORT``) of the shared server, web interface off."""
    return POOL.url(None)


@pytest.fixture(scope="session")
def hidden_a() -> str:
    """Base URL of a server with ``SCENARIO_SECRET`` = ``HIDDEN_A_ENV``'s (started when first
    asked for, not with the others: fewer servers boot at once on a small machine)."""
    return POOL.url(HIDDEN_A_ENV)


@pytest.fixture(scope="session")
def hidden_b() -> str:
    """Base URL of a server with another ``SCENARIO_SECRET`` (``HIDDEN_B_ENV``)."""
    return POOL.url(HIDDEN_B_ENV)


@pytest.fixture(scope="session")
def web_server_url() -> str:
    """Base URL of the shared server with ``ENABLE_WEB_INTERFACE=true`` (Gradio at /web)."""
    return POOL.url(WEB_ENV)


# --------------------------------------------------------------------------- task files
@pytest.fixture
def task_dir(tmp_path: Path) -> Iterator[TaskDir]:
    """A user task directory that is the in-process catalog's for this test (restored after):
    ``task_dir.add("name", base="easy", starting_cash=50.0)`` writes and loads a task file."""
    directory = tmp_path / "tasks"
    directory.mkdir()
    with use_tasks_dir(directory):
        yield TaskDir(directory)
