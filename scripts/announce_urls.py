"""Print where the server's pages are, once it answers ``/health`` (``serve.sh`` runs this).

    python scripts/announce_urls.py http://localhost:8000 [--wait-pid PID] [--timeout 180]

Gives up quietly when the server process ``--wait-pid`` has ended or after ``--timeout`` s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.request

PAGES = (
    ("/web", "web interface (openenv's Playground and the play tab)"),
    ("/play", "play a month by hand"),
    ("/docs", "API reference"),
)


def is_up(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def process_alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def announcement(base_url: str, web_enabled: bool) -> str:
    lines = ["", f"Inventory environment is up at {base_url}"]
    for path, what in PAGES:
        if path == "/web" and not web_enabled:
            what = "off: set ENABLE_WEB_INTERFACE=true"
        lines.append(f"  {base_url}{path:<6} {what}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--wait-pid", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and process_alive(args.wait_pid):
        if is_up(base_url):
            web = os.environ.get("ENABLE_WEB_INTERFACE", "false").lower() in ("1", "true", "yes")
            sys.stderr.write(announcement(base_url, web))
            return 0
        time.sleep(0.5)
    return 1


if __name__ == "__main__":
    sys.exit(main())
