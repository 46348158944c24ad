"""``openenv validate`` at every level on this repository, without Docker.

openenv 0.10's CLI runs its runtime level in a Docker container built from the Dockerfile;
with no Docker engine (as on this project's machines) that level is skipped. Its
``run_validation`` takes any validation provider, so this script passes one that runs the
server as a local process (``python -m server.app`` from this checkout, on a free loopback
port) in place of the container: the same graders then read the same WebSocket episode
(``validation/runtime.json``). What the local process cannot do is said in the report:
network-policy measurement needs the provider's ``network_policy`` capability and is SKIPped.
The Docker build itself is checked by ``scripts/validate-submission.sh`` where Docker runs.

Usage: python scripts/validate_local.py [--json]     (exit 0: PASS or WARN, 1: FAIL)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from openenv.cli.commands.validate import _render_report
from openenv.validation import Level, run_validation, write_report
from openenv.validation.providers import ExecResult, StartupError
from openenv.validation.runner import source_digest
from openenv.validation.types import ProviderCapability, Verdict

ROOT = Path(__file__).resolve().parent.parent


class LocalProcess:
    """The server as a child process of this script (a ``RunningSubject``)."""

    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
        self.process = process
        self.base_url = base_url
        self._log = log

    def inspect(self) -> dict:
        return {"provider": "local-process", "pid": self.process.pid, "base_url": self.base_url}

    def logs(self, max_bytes: int = 65536) -> str:
        return self._log.read_text(errors="replace")[-max_bytes:]

    def exec(self, argv: list[str], timeout_s: float) -> ExecResult:
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, cwd=ROOT)
        return ExecResult(done.returncode, done.stdout, done.stderr, time.monotonic() - started)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class LocalProcessProvider:
    """A validation provider that "builds" nothing (the checkout is installed) and starts
    the server as a local process; its image reference is the source digest."""

    name = "local-process"
    capabilities = frozenset({ProviderCapability.IMAGE_BUILD, ProviderCapability.EXEC})
    supported_network_modes = frozenset({"public"})

    def __init__(self) -> None:
        self._log = Path(os.environ.get("TMPDIR", "/tmp")) / f"validate-local-{os.getpid()}.log"

    def build(self, root: Path, execution: object) -> str:
        return "sha256:" + source_digest(root)

    def start(self, spec: object) -> LocalProcess:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "HOME", "LANG", "TMPDIR", "VIRTUAL_ENV")
        }
        env.update(HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="warning")
        with self._log.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "server.app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        running = LocalProcess(process, base_url, self._log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StartupError(f"the server exited: {running.logs(2000)}")
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    return running
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        running.stop()
        raise StartupError("the server did not answer /health within 120 s")


def main() -> int:
    report = run_validation(ROOT, max_level=Level.SEMANTIC, provider=LocalProcessProvider())
    if "--json" in sys.argv:
        print(write_report(report, None))
    else:
        print(_render_report(report))
    return 1 if report.verdict is Verdict.FAIL else 0


if __name__ == "__main__":
    sys.exit(main())
