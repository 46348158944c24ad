"""The attacks of tests/test_attacks.py against a live server while an honest client
plays (a measurement, not a test).

Starts the server (web interface on, access log on, default limits) with the test suite's
``LiveServer``, then runs each attack for ``--seconds`` from 127.0.0.2 while an honest client
on 127.0.0.3 plays WebSocket episodes and polls ``/health``. Prints, per attack: the honest
``/health`` and WebSocket step p99 (target under 100 ms), the honest episodes lost, the
server's RSS before and after, and how much the server log grew.

    .venv/bin/python bench/attacks.py --seconds 5
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.live_server import LiveServer  # noqa: E402

FORK = multiprocessing.get_context("fork")
ATTACKER = "127.0.0.2"
HONEST = "127.0.0.3"
DEFAULT_LIMITS = {  # the server's own defaults (LiveServer lifts the per-client ones)
    "ENABLE_WEB_INTERFACE": "true",
    "LOG_LEVEL": "info",
    "MAX_HTTP_EPISODES_PER_CLIENT": "32",
    "MAX_WS_SESSIONS_PER_CLIENT": "16",
    "MAX_JOBS_PER_CLIENT": "4",
    "WARM_SOLVERS": "true",
}


def attack_niced(attack: Callable[[str, threading.Event], None], nice: int, *args: object) -> None:
    """Run ``attack`` at the lowest CPU priority: it stands in for a client on another
    machine. At equal priority the kernel shares the CPU per thread, so class 5's 50 attacker
    threads (each building an HTTP client) took most of a 2-core box from the server's one
    event-loop thread, and the bench billed that to the server."""
    os.nice(nice)
    attack(*args)


def sock_from(address: str, base: str, rcvbuf: int | None = None) -> socket.socket:
    parts = urlsplit(base)
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((address, 0))
    sock.connect((parts.hostname, parts.port))
    return sock


def http_from(address: str, base: str, timeout: float = 10) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base, transport=transport, timeout=timeout)


def ws_from(address: str, base: str, path: str = "/ws"):  # noqa: ANN201
    url = base.replace("http://", "ws://") + path
    return connect(url, sock=sock_from(address, base), open_timeout=10, close_timeout=1)


class Honest:
    """Plays WebSocket episodes and polls /health, recording latencies, until stopped."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.health_ms: list[float] = []
        self.step_ms: list[float] = []
        self.lost = 0
        self.stop = threading.Event()

    def play(self) -> None:
        while not self.stop.is_set():
            try:
                with ws_from(HONEST, self.base) as ws:
                    ws.send(json.dumps({"type": "reset", "data": {}}))
                    json.loads(ws.recv(timeout=10))
                    for _ in range(30):
                        if self.stop.is_set():
                            return
                        started = time.perf_counter()
                        ws.send(json.dumps({"type": "step", "data": {}}))
                        answer = json.loads(ws.recv(timeout=10))
                        self.step_ms.append((time.perf_counter() - started) * 1000)
                        if answer.get("type") != "observation":
                            self.lost += 1
                            break
                        time.sleep(0.01)
            except Exception:  # noqa: BLE001 - any failure loses the episode
                self.lost += 1
                time.sleep(0.1)

    def poll(self) -> None:
        with http_from(HONEST, self.base) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get("/health").status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                self.health_ms.append(elapsed if ok else 10_000.0)
                time.sleep(0.02)


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return float("nan") if not values else values[0]
    return statistics.quantiles(values, n=100)[98]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# Attacks: each loops until ``stop`` is set ------------------------------------------------


def idle(base: str, stop: threading.Event) -> None:
    stop.wait()


def chunked_body(base: str, stop: threading.Event) -> None:
    head = (
        b"POST /grader HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    while not stop.is_set():
        with contextlib.suppress(OSError), sock_from(ATTACKER, base) as sock:
            sock.settimeout(2)
            sock.sendall(head)
            for _ in range(16):
                sock.sendall(chunk)
            sock.recv(4096)


def ws_unknown_fields(base: str, stop: threading.Event) -> None:
    frame = json.dumps({"type": "step", "data": {f"f{i}": 0 for i in range(1200)}})
    while not stop.is_set():
        with contextlib.suppress(Exception), ws_from(ATTACKER, base) as ws:
            ws.send(json.dumps({"type": "reset", "data": {}}))
            ws.recv(timeout=5)
            while not stop.is_set():
                ws.send(frame)
                ws.recv(timeout=5)


def ui_flood(base: str, stop: threading.Event) -> None:
    host = urlsplit(base).netloc
    sockets = []
    for _ in range(200):
        with contextlib.suppress(OSError):
            sock = sock_from(ATTACKER, base, rcvbuf=1024)
            sock.sendall(
                (
                    f"GET /ws/ui HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n"
                ).encode()
            )
            sockets.append(sock)
    with http_from(ATTACKER, base, timeout=30) as client:
        with contextlib.suppress(httpx.HTTPError):
            client.post("/web/reset", json={})
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                answer = client.post("/web/step", json={"action": {}})
                if answer.status_code == 409 or answer.json().get("done"):
                    client.post("/web/reset", json={})
    for sock in sockets:
        sock.close()


def slow_clients(base: str, stop: threading.Event) -> None:
    sockets = []
    while not stop.is_set():
        for _ in range(100):
            with contextlib.suppress(OSError):
                sock = sock_from(ATTACKER, base)
                sock.sendall(b"GET /health HTTP/1.1\r\n")
                sockets.append(sock)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.sendall(b"X: 1\r\n")
        time.sleep(0.5)
    for sock in sockets:
        sock.close()


def grader_flood(base: str, stop: threading.Event) -> None:
    def one(seed: int) -> None:
        with contextlib.suppress(httpx.HTTPError), http_from(ATTACKER, base, 60) as client:
            client.post("/grader", json={"task_name": "hard", "agent_profit": 1, "seed": seed})

    seed = 10_000
    while not stop.is_set():
        threads = [threading.Thread(target=one, args=(seed + i,)) for i in range(50)]
        seed += 50
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def idle_websockets(base: str, stop: threading.Event) -> None:
    held = []
    for _ in range(80):
        with contextlib.suppress(Exception):
            held.append(ws_from(ATTACKER, base))
    stop.wait()
    for ws in held:
        ws.close()


def reset_flood(base: str, stop: threading.Event) -> None:
    with http_from(ATTACKER, base) as client:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                client.post("/reset", json={})


def small_requests(base: str, stop: threading.Event) -> None:
    """Classes 7, 9, 10, 11, 12: cheap requests, in a loop."""
    mcp = {"jsonrpc": "2.0", "method": "tools/list", "params": {"session_id": [1]}, "id": 1}
    with http_from(ATTACKER, base) as client:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                client.get("/state")
                client.post("/mcp", json=mcp)
                client.post("/web/gradio_api/upload", files={"files": ("a", b"x" * 1000)})
                client.get("/health/", headers={"Host": "evil.example"})


ATTACKS: dict[str, Callable[[str, threading.Event], None]] = {
    "none (baseline)": idle,
    "1 chunked body with small Content-Length": chunked_body,
    "2 WebSocket frames of unknown fields": ws_unknown_fields,
    "3 /ws/ui sockets that never read": ui_flood,
    "4 slow headers": slow_clients,
    "5 grader flood (uncached)": grader_flood,
    "6 idle WebSockets": idle_websockets,
    "8 reset flood": reset_flood,
    "7,9-12 hijack, MCP, uploads, redirects": small_requests,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per attack")
    parser.add_argument(
        "--only", nargs="*", default=None, metavar="N", help="attack numbers (baseline always)"
    )
    parser.add_argument(
        "--attacker-nice",
        type=int,
        default=19,
        help="the attacker process's nice increment (0: compete with the server for the CPU)",
    )
    parser.add_argument(
        "--env", nargs="*", default=[], metavar="VAR=VALUE", help="server settings to change"
    )
    args = parser.parse_args()
    chosen = {
        name: attack
        for name, attack in ATTACKS.items()
        if attack is idle or args.only is None or set(name.split()[0].split(",")) & set(args.only)
    }
    server = LiveServer({**DEFAULT_LIMITS, **dict(pair.split("=", 1) for pair in args.env)})
    base = server.url
    assert server.process is not None and server.log_path is not None
    pid = server.process.pid
    print(f"server {base} pid {pid}; {args.seconds:g} s per attack; target p99 < 100 ms")
    print(
        f"settings changed: {' '.join(args.env) or 'none'}; attacker nice "
        f"+{args.attacker_nice}; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'attack':42} {'health p99':>10} {'step p99':>9} {'lost':>4} {'RSS MB':>13} {'log KB':>7}"
    )
    try:
        for name, attack in chosen.items():
            rss_before = rss_mb(pid)
            log_before = server.log_path.stat().st_size
            honest = Honest(base)
            stop = FORK.Event()
            # The attacker runs in its own process: its threads would otherwise compete with
            # the honest client's for this process's GIL and inflate the honest figures.
            attacker = FORK.Process(
                target=attack_niced, args=(attack, args.attacker_nice, base, stop), daemon=True
            )
            threads = [threading.Thread(target=honest.play), threading.Thread(target=honest.poll)]
            attacker.start()
            for thread in threads:
                thread.start()
            time.sleep(args.seconds)
            stop.set()
            honest.stop.set()
            for thread in threads:
                thread.join(timeout=30)
            attacker.join(timeout=30)
            if attacker.is_alive():
                attacker.kill()
            rss_after = rss_mb(pid)
            log_growth = (server.log_path.stat().st_size - log_before) / 1024
            print(
                f"{name:42} {p99(honest.health_ms):8.1f}ms {p99(honest.step_ms):7.1f}ms "
                f"{honest.lost:4d} {rss_before:6.0f}->{rss_after:<6.0f} {log_growth:7.0f}",
                flush=True,
            )
            time.sleep(1)  # let timeouts close what the attack left
    finally:
        server.stop()


if __name__ == "__main__":
    main()
