"""Load and soak: thousands of abandoned HTTP episodes and dropped WebSockets against one real
server, to show that its session counts and its memory stay bounded.

The server is ``server.app:main`` (uvicorn) in a subprocess on a free loopback port, with the
default limits unless overridden (``MAX_HTTP_EPISODES`` 1024, ``MAX_CONCURRENT_ENVS`` 64). Each
round:

    http  ``--http`` episodes are reset, stepped 0-3 days and abandoned (never stepped again),
          ``--concurrency`` at a time; none is ever closed, so only the store's bound (least
          recently used evicted) and idle expiry keep them in check.
    ws    ``--ws`` WebSocket sessions reset, step 0-3 days and go away: a third close properly,
          a third drop the TCP connection without a close frame, and a third vanish
          mid-frame (half a frame sent, then the connection aborted).

After each round it reads the server's resident memory (``VmRSS`` of ``/proc/<pid>/status``)
and ``GET /capacity`` (open WebSocket sessions, HTTP episodes kept), once the WebSocket count
has drained. Baselines measured in the same run: memory right after start-up and a warm-up
round, and the median ``/step`` latency of an idle server before the soak, against which the
median after it is compared. Any 5xx, refused connection or unexpected error is counted.

Run from the repository root (bounded by ``--max-seconds``; about a minute by default)::

    python bench/soak.py
    python bench/soak.py --rounds 5 --http 4000 --ws 2000 --concurrency 48

Loopback only; the server it starts is stopped before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.live_server import LiveServer  # noqa: E402  (the suite's server launcher)

BUY = {"buy_quantities": {"groceries": 10, "toys": 2}, "delivery_method": "medium"}


# --------------------------------------------------------------------------- the server
class Server(LiveServer):
    """The test suite's live server (``server.app:main`` in a subprocess, its output in a
    temporary log), plus what the soak reads off its process."""

    def rss_mb(self) -> float:
        """Resident memory of the server process, from ``/proc/<pid>/status`` (``VmRSS``)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS line")

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/task"))

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


# --------------------------------------------------------------------------- the load
@dataclass
class Tally:
    """What the clients saw: requests sent, statuses, errors by kind."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def status(self, code: int) -> None:
        self.requests += 1
        self.statuses[code] += 1


async def abandoned_http_episodes(url: str, count: int, concurrency: int, tally: Tally) -> None:
    """Reset ``count`` episodes, step each 0-3 days, never come back."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(index: int) -> None:
            async with gate:
                try:
                    reset = await client.post("/reset", json={"task_name": "hard", "seed": index})
                    tally.status(reset.status_code)
                    episode_id = reset.json()["episode_id"]
                    for _ in range(index % 4):
                        body = {"episode_id": episode_id, "action": BUY}
                        tally.status((await client.post("/step", json=body)).status_code)
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    tally.errors[f"http {type(exc).__name__}"] += 1

        await asyncio.gather(*[one(i) for i in range(count)])


async def dropped_websockets(url: str, count: int, concurrency: int, tally: Tally) -> None:
    """``count`` sessions that step 0-3 days, then close, drop the connection, or vanish
    halfway through a frame."""
    ws_url = url.replace("http://", "ws://") + "/ws"
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            try:
                ws = await websockets.connect(ws_url, open_timeout=60)
                await ws.send(json.dumps({"type": "reset", "data": {"seed": index}}))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 60))
                tally.requests += 1
                if reply.get("type") != "observation":
                    tally.errors[f"ws {reply.get('data', {}).get('code', 'error frame')}"] += 1
                for _ in range(index % 4):
                    await ws.send(json.dumps({"type": "step", "data": BUY}))
                    await asyncio.wait_for(ws.recv(), 60)
                    tally.requests += 1
                how = index % 3
                if how == 0:
                    await ws.close()
                else:
                    if how == 2:  # a masked text frame announcing 256 bytes; 12 follow
                        ws.transport.write(b"\x81\xfe\x01\x00\0\0\0\0" + b'{"type": "st')
                        await asyncio.sleep(0.01)  # let it leave before the abort
                    ws.transport.abort()
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                tally.errors[f"ws {type(exc).__name__}"] += 1

    await asyncio.gather(*[one(i) for i in range(count)])


def capacity(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/capacity", timeout=30).json()


def drained(url: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """``/capacity`` once every dropped WebSocket has been noticed (or after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        report = capacity(url)
        if report["websocket_sessions"] == 0 or time.monotonic() > deadline:
            return report
        time.sleep(0.1)


def step_latency_ms(url: str, steps: int = 300) -> float:
    """Median round trip of ``POST /step`` on one keep-alive connection (a fresh episode per
    30 days)."""
    times = []
    with httpx.Client(base_url=url, timeout=30) as client:
        episode_id = ""
        for index in range(steps):
            if index % 30 == 0:
                episode_id = client.post("/reset", json={"task_name": "hard"}).json()["episode_id"]
            started = time.perf_counter()
            response = client.post("/step", json={"episode_id": episode_id, "action": BUY})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return statistics.median(times) * 1000


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--http", type=int, default=3000, help="abandoned HTTP episodes a round")
    parser.add_argument("--ws", type=int, default=1500, help="dropped WebSockets a round")
    parser.add_argument("--concurrency", type=int, default=32, help="clients at once (< 64)")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="stop after a round")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)

    started = time.monotonic()
    server = Server(extra_env)
    try:
        report = capacity(server.url)
        print(
            f"server pid {server.process.pid}: MAX_HTTP_EPISODES {report['max_http_episodes']}, "
            f"MAX_CONCURRENT_ENVS {report['max_websocket_sessions']}, "
            f"idle expiry {report['http_episode_idle_s']:g} s"
        )
        rss_start, threads_start = server.rss_mb(), server.threads()
        warm = Tally()
        asyncio.run(abandoned_http_episodes(server.url, 200, args.concurrency, warm))
        asyncio.run(dropped_websockets(server.url, 100, args.concurrency, warm))
        report = drained(server.url)
        rss_warm = server.rss_mb()
        print(
            f"at start: VmRSS {rss_start:.1f} MB, {threads_start} threads; after a warm-up of "
            f"200 HTTP episodes and 100 WebSockets: VmRSS {rss_warm:.1f} MB, "
            f"{server.threads()} threads, {report['websocket_sessions']} WebSocket sessions "
            f"open, {report['http_episodes']} HTTP episodes kept"
        )
        idle_ms = step_latency_ms(server.url)
        print(f"median POST /step on the idle server: {idle_ms:.2f} ms\n")
        header = (
            f"{'round':>5} {'http eps':>9} {'ws drops':>9} {'requests':>9} {'5xx':>4} "
            f"{'errors':>6} {'ws open':>7} {'kept':>5} {'threads':>7} {'VmRSS MB':>9} {'s':>6}"
        )
        print(header)
        total = Tally()
        rss_rounds = []
        for round_index in range(1, args.rounds + 1):
            round_started = time.monotonic()
            tally = Tally()
            asyncio.run(abandoned_http_episodes(server.url, args.http, args.concurrency, tally))
            asyncio.run(dropped_websockets(server.url, args.ws, args.concurrency, tally))
            report = drained(server.url)
            rss = server.rss_mb()
            rss_rounds.append(rss)
            server_errors = sum(n for code, n in tally.statuses.items() if code >= 500)
            print(
                f"{round_index:>5} {args.http * round_index:>9} {args.ws * round_index:>9} "
                f"{tally.requests:>9} {server_errors:>4} {sum(tally.errors.values()):>6} "
                f"{report['websocket_sessions']:>7} {report['http_episodes']:>5} "
                f"{server.threads():>7} {rss:>9.1f} {time.monotonic() - round_started:>6.1f}"
            )
            total.requests += tally.requests
            total.statuses.update(tally.statuses)
            total.errors.update(tally.errors)
            if time.monotonic() - started > args.max_seconds:
                print(f"(stopping: --max-seconds {args.max_seconds:g} reached)")
                break
        busy_ms = step_latency_ms(server.url)
        final = capacity(server.url)
        traceback_lines = server.log_text().count("Traceback")
        print()
        print(f"requests {total.requests} (HTTP statuses {dict(sorted(total.statuses.items()))})")
        print(
            f"client-side errors {dict(total.errors) or 'none'}; tracebacks in server log: "
            f"{traceback_lines}"
        )
        print(
            f"sessions after the soak: {final['websocket_sessions']} WebSocket open, "
            f"{final['http_episodes']} HTTP episodes kept (bound {final['max_http_episodes']})"
        )
        growth = rss_rounds[-1] - rss_rounds[0]
        print(
            f"VmRSS start {rss_start:.1f} MB -> warm {rss_warm:.1f} MB -> after round 1 "
            f"{rss_rounds[0]:.1f} MB -> after the last round {rss_rounds[-1]:.1f} MB "
            f"(x{rss_rounds[-1] / rss_warm:.2f} of warm; {growth:+.1f} MB over "
            f"the {len(rss_rounds) - 1} rounds after it)"
        )
        print(
            f"median POST /step: idle {idle_ms:.2f} ms, after the soak {busy_ms:.2f} ms "
            f"(x{busy_ms / idle_ms:.2f})"
        )
        print(f"wall time {time.monotonic() - started:.0f} s (2 shared cores; figures are noisy)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
