"""Benchmark: round trips of one step over WebSocket and HTTP, and 64 concurrent WebSocket
sessions, for our server against a trivial environment served by the same openenv stack.

Every server is ``openenv.core.env_server.create_app`` under uvicorn in its own subprocess on a
loopback port, with the same uvicorn settings (no access log, WebSocket per-message deflate off
as in our default; ``--deflate`` turns it on for all). The trivial environment (defined below)
does nothing in ``step`` but echo its input, in two builds:

    echo      steps on the event loop (``step_async`` overridden), as ours does: the floor;
    echo-thr  a plain synchronous ``Environment``, which openenv runs in a worker thread per
              session (its default path), for reference.

Ours minus echo is what the simulator, its validation, its bigger observation and our transport
additions (stateful HTTP episodes, input guards) cost. To split that, the run also times in
process what the server does per step besides transport (validate, step, serialize the
frame) for ours and echo; ``--echo-pad N`` makes echo's frames as big as ours.

What is timed (by this client process, on the same machine)
    websocket  one session: send a step frame, receive the observation frame.
    http       one keep-alive connection: ``POST /step``, read the JSON response. Ours keeps
               the episode (``episode_id``); openenv's own ``/step`` (the echo servers') builds
               a fresh environment per request, its normal behaviour.
    Our actions are realistic (orders of 2-3 products, a shipping method, 2 price multipliers);
    each 30th step ends the episode and an untimed reset starts the next. Rounds alternate
    between the servers so machine noise hits all alike; medians and p99 are over all timed
    steps. Then ``--sessions`` WebSocket sessions step flat out for ``--seconds`` seconds, twice
    per server: aggregate steps per second (the client is one Python process on the same two
    cores, so it is part of what is measured).

Run it from the repository root (about a minute)::

    python bench/bench_server.py
    python bench/bench_server.py --steps 3000 --sessions 64 --seconds 5 --echo-pad 1700

Loopback only; everything it starts is stopped before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import websockets
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.serialization import deserialize_action, serialize_observation
from openenv.core.env_server.types import Action, Observation, State, WSObservationResponse
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parent.parent
EPISODE_DAYS = 30
SERVER_ENV = {
    "LOG_LEVEL": "warning",
    "ENABLE_WEB_INTERFACE": "false",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "MAX_CONCURRENT_ENVS": "100",
    "WS_PER_MESSAGE_DEFLATE": "false",
    # One client process plays everything: lift the per-client caps against hostile clients
    # (open HTTP episodes: a timed round starts one every 30 steps; WebSocket sessions: 64).
    "MAX_HTTP_EPISODES_PER_CLIENT": "100000",
    "MAX_WS_SESSIONS_PER_CLIENT": "1000",
}
"""The same for every server; per-message deflate is off as in our server's default (``--deflate``
turns it on for all)."""
OUR_ACTIONS = [
    {
        "buy_quantities": {"groceries": 8 + day % 5, "toys": 2, "clothing": day % 3},
        "delivery_method": ("slow", "medium", "fast")[day % 3],
        "price_multipliers": {"electronics": 1.1, "toys": 0.9},
    }
    for day in range(EPISODE_DAYS)
]
ECHO_ACTION = {"message": "hello"}
ECHO_PAD = "x" * int(os.environ.get("ECHO_PAD_BYTES", "0"))
"""``--echo-pad``: makes the echo observation as big as ours, to show frame size is not the cost."""


# ---------------------------------------------------------------------- the trivial server
class EchoAction(Action):
    message: str = ""


class EchoObservation(Observation):
    message: str = ""


class EchoEnvironment(Environment[EchoAction, EchoObservation, State]):
    """Does nothing: ``step`` returns its message."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self) -> None:
        super().__init__()
        self._state = State(episode_id="echo", step_count=0)

    def reset(
        self, seed: int | None = None, episode_id: str | None = None, **_: Any
    ) -> EchoObservation:
        self._state = State(episode_id=episode_id or "echo", step_count=0)
        return EchoObservation(message="ready", reward=0.0, done=False)

    def step(self, action: EchoAction, timeout_s: float | None = None, **_: Any) -> EchoObservation:
        self._state.step_count += 1
        return EchoObservation(message=action.message + ECHO_PAD, reward=0.0, done=False)

    @property
    def state(self) -> State:
        return self._state


class InlineEchoEnvironment(EchoEnvironment):
    """Steps on the event loop, as ours does (``openenv_compat.ServedInventoryEnvironment``)."""

    async def reset_async(
        self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any
    ) -> EchoObservation:
        return self.reset(seed=seed, episode_id=episode_id, **kwargs)

    async def step_async(
        self, action: EchoAction, timeout_s: float | None = None, **kwargs: Any
    ) -> EchoObservation:
        return self.step(action, timeout_s=timeout_s, **kwargs)


def serve_echo(inline: bool) -> None:
    """Serve the do-nothing environment through the same openenv stack (in a subprocess).

    ``inline``: the environment overrides ``step_async``/``reset_async`` (as ours does), so
    openenv awaits them on the event loop; otherwise openenv runs its synchronous ``step`` in a
    worker thread per session, its default for a plain ``Environment``.
    """
    import uvicorn
    from openenv.core.env_server.http_server import create_app

    app = create_app(
        InlineEchoEnvironment if inline else EchoEnvironment,
        EchoAction,
        EchoObservation,
        env_name="echo",
        max_concurrent_envs=int(os.environ["MAX_CONCURRENT_ENVS"]),
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        log_level="warning",
        ws_per_message_deflate=os.environ["WS_PER_MESSAGE_DEFLATE"] == "true",
    )


# ---------------------------------------------------------------------- server processes
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A server subprocess on a free loopback port; its output goes to a temporary file (a pipe
    nobody reads would fill up and block the server)."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        self.port = _free_port()
        env = {**os.environ, **SERVER_ENV, "HOST": "127.0.0.1", "PORT": str(self.port)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start in {timeout_s} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# ---------------------------------------------------------------------- measurements
class Player:
    """How to play one server: its reset and step payloads."""

    def __init__(self, name: str, url: str, ours: bool) -> None:
        self.name = name
        self.url = url
        self.ours = ours

    def action(self, day: int) -> dict[str, Any]:
        return OUR_ACTIONS[day % EPISODE_DAYS] if self.ours else ECHO_ACTION

    def reset_data(self) -> dict[str, Any]:
        return {"task_name": "medium"} if self.ours else {}


def ws_round(player: Player, steps: int) -> list[float]:
    """Seconds per step round trip over one WebSocket session."""
    times: list[float] = []
    ws_url = player.url.replace("http://", "ws://") + "/ws"
    with ws_connect(ws_url, max_size=None) as ws:
        ws.send(json.dumps({"type": "reset", "data": player.reset_data()}))
        ws.recv()
        for day in range(steps):
            frame = json.dumps({"type": "step", "data": player.action(day)})
            start = time.perf_counter()
            ws.send(frame)
            reply = ws.recv()
            times.append(time.perf_counter() - start)
            if '"type":"error"' in reply or '"type": "error"' in reply:
                raise RuntimeError(f"{player.name}: {reply[:300]}")
            if (day + 1) % EPISODE_DAYS == 0:
                ws.send(json.dumps({"type": "reset", "data": player.reset_data()}))
                ws.recv()
    return times


def _reset(client: httpx.Client, player: Player) -> str | None:
    """``POST /reset``; the episode id (ours), none for the echo servers (openenv's own
    stateless ``/step``). A refused reset stops the run rather than stepping without one."""
    response = client.post("/reset", json=player.reset_data())
    if response.status_code != 200:
        raise RuntimeError(f"{player.name}: reset {response.status_code} {response.text[:300]}")
    return response.json().get("episode_id")


def http_round(player: Player, steps: int) -> list[float]:
    """Seconds per ``POST /step`` round trip over one keep-alive connection."""
    times: list[float] = []
    with httpx.Client(base_url=player.url, timeout=30) as client:
        episode_id = _reset(client, player)
        for day in range(steps):
            body: dict[str, Any] = {"action": player.action(day)}
            if episode_id:
                body["episode_id"] = episode_id
            content = json.dumps(body)
            start = time.perf_counter()
            response = client.post(
                "/step", content=content, headers={"Content-Type": "application/json"}
            )
            response.read()
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(f"{player.name}: {response.status_code} {response.text[:300]}")
            if (day + 1) % EPISODE_DAYS == 0:
                episode_id = _reset(client, player)
    return times


async def _session(player: Player, stop_at: float) -> int:
    ws_url = player.url.replace("http://", "ws://") + "/ws"
    steps = 0
    # No client keepalive pings: a server that stalls under load should show as a low rate,
    # not as connections the client gave up on.
    async with websockets.connect(ws_url, max_size=None, ping_interval=None, open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "reset", "data": player.reset_data()}))
        await ws.recv()
        while time.perf_counter() < stop_at:
            await ws.send(json.dumps({"type": "step", "data": player.action(steps)}))
            await ws.recv()
            steps += 1
            if steps % EPISODE_DAYS == 0:
                await ws.send(json.dumps({"type": "reset", "data": player.reset_data()}))
                await ws.recv()
    return steps


def concurrent_rate(player: Player, sessions: int, seconds: float) -> float:
    """Aggregate steps per second of ``sessions`` WebSocket sessions stepping flat out."""

    async def run() -> float:
        start = time.perf_counter()
        counts = await asyncio.gather(*[_session(player, start + seconds) for _ in range(sessions)])
        return sum(counts) / (time.perf_counter() - start)

    return asyncio.run(run())


def _run_inline(coroutine: Any) -> Any:
    """The result of a coroutine that never suspends (ours and echo's ``step_async``)."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    raise RuntimeError("step_async suspended")


def in_process_cost(ours: bool, steps: int = 3000) -> float:
    """Median microseconds of what the server does per WebSocket step besides transport:
    validate the action, step (``step_async``, as openenv calls it), serialize the observation
    frame (as openenv does)."""
    if ours:
        sys.path.insert(0, str(ROOT))
        from server.openenv_compat import ServedInventoryEnvironment, WireInventoryAction

        env: Any = ServedInventoryEnvironment()
        action_cls: Any = WireInventoryAction
    else:
        env, action_cls = InlineEchoEnvironment(), EchoAction
    reset_data = Player("", "", ours).reset_data()
    times = []
    env.reset(**reset_data)
    for day in range(steps):
        data = OUR_ACTIONS[day % EPISODE_DAYS] if ours else ECHO_ACTION
        start = time.perf_counter()
        observation = _run_inline(env.step_async(deserialize_action(data, action_cls)))
        WSObservationResponse(data=serialize_observation(observation)).model_dump_json()
        times.append(time.perf_counter() - start)
        if (day + 1) % EPISODE_DAYS == 0:
            env.reset(**reset_data)
    return statistics.median(times) * 1e6


def _summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered) * 1e6, p99 * 1e6


def _interleaved(
    measure: Callable[[Player, int], list[float]], players: list[Player], steps: int, rounds: int
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {p.name: [] for p in players}
    for player in players:  # warm-up, untimed
        measure(player, min(60, steps))
    for _ in range(rounds):
        for player in players:
            results[player.name] += measure(player, steps // rounds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000, help="timed steps per server/mode")
    parser.add_argument("--rounds", type=int, default=6, help="alternations between servers")
    parser.add_argument("--sessions", type=int, default=64, help="concurrent WS sessions")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of the load run")
    parser.add_argument(
        "--deflate", action="store_true", help="WebSocket per-message deflate on (all servers)"
    )
    parser.add_argument(
        "--echo-pad", type=int, default=0, help="bytes added to each echo observation"
    )
    parser.add_argument("--serve-echo", choices=["inline", "thread"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        serve_echo(inline=args.serve_echo == "inline")
        return

    if args.deflate:
        SERVER_ENV["WS_PER_MESSAGE_DEFLATE"] = "true"
    SERVER_ENV["ECHO_PAD_BYTES"] = str(args.echo_pad)
    this_file = str(Path(__file__).resolve())
    servers = {
        "ours": Server("ours", [sys.executable, "-c", "from server.app import main; main()"]),
        "echo": Server("echo", [sys.executable, this_file, "--serve-echo", "inline"]),
        "echo-thr": Server("echo-thr", [sys.executable, this_file, "--serve-echo", "thread"]),
    }
    try:
        for server in servers.values():
            server.wait_ready()
        players = [
            Player(name, server.url, ours=name == "ours") for name, server in servers.items()
        ]
        print(f"python {platform.python_version()}, {os.cpu_count()} cores (shared: noisy)")
        print(
            f"{args.steps} timed steps per server and transport, {args.rounds} alternating rounds"
        )
        print(
            f"WebSocket per-message deflate: {SERVER_ENV['WS_PER_MESSAGE_DEFLATE']}; "
            f"echo observations padded by {args.echo_pad} bytes"
        )
        print("echo: trivial env stepping inline (like ours); echo-thr: openenv's default path,")
        print("      a synchronous step run in a worker thread per session")
        print()
        print(f"{'transport':<10}{'server':<10}{'median us':>11}{'p99 us':>10}")
        overheads = {}
        for label, measure in (("websocket", ws_round), ("http", http_round)):
            results = _interleaved(measure, players, args.steps, args.rounds)
            medians = {}
            for name, times in results.items():
                median, p99 = _summary(times)
                medians[name] = median
                print(f"{label:<10}{name:<10}{median:>11.0f}{p99:>10.0f}")
            overheads[label] = (
                medians["ours"] / medians["echo"] - 1,
                medians["ours"] - medians["echo"],
            )
        print()
        for label, (ratio, extra_us) in overheads.items():
            verdict = "under" if ratio < 0.20 else "OVER"
            print(
                f"{label} overhead over the echo floor: {ratio:+.1%} ({extra_us:+.0f} us; "
                f"{verdict} the 20% target)"
            )
        own_work = in_process_cost(ours=True) - in_process_cost(ours=False)
        ws_ratio, ws_extra = overheads["websocket"]
        floor = ws_extra / ws_ratio if ws_ratio else float("nan")
        print(
            f"  of the websocket extra, {own_work:.0f} us is the environment's own work per step "
            "in process (validate the action, simulate the day, serialize the observation); "
            f"the rest, {ws_extra - own_work:+.0f} us ({(ws_extra - own_work) / floor:+.1%} of the "
            "floor), is that work's extra cost inside a busy server plus bigger frames and our "
            "input guards (--echo-pad shows what frame size costs)"
        )
        print()
        print(
            f"{args.sessions} concurrent WebSocket sessions, {args.seconds:g} s per run, "
            "2 alternating runs per server:"
        )
        rates: dict[str, list[float]] = {player.name: [] for player in players}
        for _ in range(2):
            for player in players:
                rates[player.name].append(concurrent_rate(player, args.sessions, args.seconds))
        for name, runs in rates.items():
            shown = ", ".join(f"{rate:.0f}" for rate in runs)
            print(f"  {name:<10}{max(runs):>9.0f} steps/s aggregate (best of: {shown})")
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
