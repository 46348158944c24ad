"""Real servers for tests: ``server.app:main`` (uvicorn) in subprocesses on free loopback ports.

Used through the fixtures in ``tests/conftest.py`` (``server_url``, ``web_server_url``,
``live_server_factory``). ``POOL`` keeps one server per set of environment variables for the
whole session; ``conftest`` launches the ones the collected tests need as soon as collection
ends, so they boot while other tests run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUIET_ENV = {
    "ENABLE_WEB_INTERFACE": "false",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "LOG_LEVEL": "warning",
    "PYTHONUNBUFFERED": "1",
    "MAX_HTTP_EPISODES_PER_CLIENT": "100000",
    "MAX_WS_SESSIONS_PER_CLIENT": "100000",
    "MAX_JOBS_PER_CLIENT": "100000",
    "WARM_SOLVERS": "false",
}
"""Defaults for test servers: web interface off, no analytics calls, no access log, no solver
processes started before a test grades (most never do), and no
per-client limits (a suite plays many clients' worth from one address; tests/test_attacks.py
sets them and connects from several addresses)."""
WEB_ENV = {"ENABLE_WEB_INTERFACE": "true"}
HIDDEN_A_ENV = {"SCENARIO_SECRET": "test-secret-A-0123456789abcdef"}
HIDDEN_B_ENV = {"SCENARIO_SECRET": "test-secret-B-0123456789abcdef"}
"""Servers with hidden scenarios (``tests/test_trust.py``): two secrets, for two draws."""
STARTUP_TIMEOUT_S = 120.0
LAUNCH_ATTEMPTS = 3


def free_port() -> int:
    """A port nobody listens on right now (launching retries if it is taken meanwhile)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """One server process with its environment; ``url`` waits until it answers ``/health``."""

    def __init__(self, extra_env: Mapping[str, str] | None = None) -> None:
        self.extra_env = dict(extra_env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.base_url = ""
        self._ready = False
        self._attempts = 0
        self._launch()

    def _launch(self) -> None:
        self._attempts += 1
        port = free_port()
        env = {**os.environ, **QUIET_ENV, **self.extra_env, "HOST": "127.0.0.1", "PORT": str(port)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        log_fd, log_name = tempfile.mkstemp(prefix="inventory-server-", suffix=".log")
        self.log_path = Path(log_name)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from server.app import main; main()"],
            cwd=ROOT,
            env=env,
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        os.close(log_fd)
        self.base_url = f"http://127.0.0.1:{port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def url(self) -> str:
        """Base URL (``http://127.0.0.1:PORT``) once ``/health`` answers 200."""
        if self._ready and self.alive:
            return self.base_url
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.alive:
                log = self.log_tail()
                if "address already in use" in log.lower() and self._attempts < LAUNCH_ATTEMPTS:
                    self.stop()
                    self._launch()
                    continue
                raise RuntimeError(f"the test server exited during start-up:\n{log}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    self._ready = True
                    return self.base_url
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        log = self.log_tail()
        self.stop()
        raise RuntimeError(f"the test server did not answer /health in time:\n{log}")

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's output, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:] if self.log_path else ""
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and remove its log."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
        self._ready = False


class ServerPool:
    """At most one running server per set of extra environment variables."""

    def __init__(self) -> None:
        self._servers: dict[tuple[tuple[str, str], ...], LiveServer] = {}

    def launch(self, extra_env: Mapping[str, str] | None = None) -> LiveServer:
        """Start the server for ``extra_env`` unless it runs already (does not wait)."""
        key = tuple(sorted((extra_env or {}).items()))
        server = self._servers.get(key)
        if server is None or not server.alive:
            server = LiveServer(extra_env)
            self._servers[key] = server
        return server

    def url(self, extra_env: Mapping[str, str] | None = None) -> str:
        """Base URL of the server for ``extra_env``, started if needed, once it is up."""
        return self.launch(extra_env).url

    def stop_all(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


POOL = ServerPool()
