"""Many clients at once on one real server: 100 WebSocket sessions and 100 HTTP episodes,
interleaved, each on its own ``(task, seed)`` with its own random valid actions.

Every trajectory (each observation, reward and done flag, and the final state) must equal the
same episode replayed alone in process; scenarios repeat across clients, with other actions.
The server is started with ``MAX_CONCURRENT_ENVS=100``, so the 100 sessions fill it: one more
connection gets a ``CAPACITY_REACHED`` error frame that names the limit, HTTP keeps answering,
and once the sessions close every slot is given back.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import httpx
import pytest
import websockets
from openenv.core.env_server.serialization import serialize_observation

from models import InventoryAction
from server.constants import (
    DELIVERY_METHODS,
    EPISODE_DAYS,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
    TASK_NAMES,
)
from server.inventory_env import InventoryEnvironment
from tests.live_server import POOL

SESSIONS = 100
HTTP_EPISODES = 100
CONCURRENCY_ENV = {"MAX_CONCURRENT_ENVS": str(SESSIONS), "TIMEOUT_KEEP_ALIVE_SECONDS": "120"}
"""Keep-alive above the client's 60 s timeout: on a loaded machine a pooled connection can sit
idle past uvicorn's default 5 s, and a request sent as the server closes it fails with
``ReadError`` -- a race of the test's client, not what this file tests."""


@pytest.fixture(scope="module")
def concurrency_url(live_server_factory: Any) -> str:
    return live_server_factory(CONCURRENCY_ENV)


@pytest.fixture(scope="module", autouse=True)
def _boot_early() -> None:
    """Start this module's server at once, so it boots while the first test sets up."""
    POOL.launch(CONCURRENCY_ENV)


def random_actions(seed: int) -> list[dict[str, Any]]:
    """A month of random valid actions, edges included: multipliers at both bounds, whole
    floats as quantities, orders cash cannot cover, liquidating more than is on hand."""
    rng = random.Random(seed)
    month = []
    for _ in range(EPISODE_DAYS):
        action: dict[str, Any] = {"delivery_method": rng.choice(DELIVERY_METHODS)}
        buy = {p: rng.choice([0, 1, 5, 20, 3.0, 400]) for p in PRODUCTS if rng.random() < 0.4}
        if buy:
            action["buy_quantities"] = buy
        if rng.random() < 0.2:
            action["liquidate"] = {rng.choice(PRODUCTS): rng.choice([1, 50])}
        prices = {
            p: rng.choice([PRICE_MULTIPLIER_MIN, 0.8, 1, 1.25, PRICE_MULTIPLIER_MAX])
            for p in PRODUCTS
            if rng.random() < 0.5
        }
        if prices:
            action["price_multipliers"] = prices
        month.append(action)
    return month


def solo_replay(task: str, seed: int, actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The same episode alone in process, as the wire carries it."""
    env = InventoryEnvironment()
    frames = [serialize_observation(env.reset(task_name=task, seed=seed))]
    frames += [serialize_observation(env.step(InventoryAction(**a))) for a in actions]
    state = env.state.model_dump()
    state.pop("episode_id")
    return json.loads(json.dumps({"frames": _without_episode_ids(frames), "state": state}))


def _without_episode_ids(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frames less the observation metadata's episode id (a fresh uuid per episode), which
    openenv 0.10 carries on the wire twice: in the observation and beside it."""
    for frame in frames:
        for metadata in (frame["metadata"], frame["observation"]["metadata"]):
            assert set(metadata) == {"episode_id", "seed"}, metadata
            del metadata["episode_id"]
    return frames


def _plan(index: int) -> tuple[str, int, list[dict[str, Any]]]:
    """Seeds from a small pool: each scenario is played ~3 times at once, with different
    actions, so state shared between episodes of one scenario would show."""
    rng = random.Random(1000 + index)
    return rng.choice(TASK_NAMES), rng.randrange(20), random_actions(index)


async def _ask(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    await ws.send(json.dumps(message))
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=60))


async def _play_ws(ws: Any, task: str, seed: int, actions: list[dict[str, Any]]) -> dict:
    frames = [await _ask(ws, {"type": "reset", "data": {"task_name": task, "seed": seed}})]
    for action in actions:
        frames.append(await _ask(ws, {"type": "step", "data": action}))
        await asyncio.sleep(0)
    state = (await _ask(ws, {"type": "state"}))["data"]
    state.pop("episode_id")
    assert all(frame["type"] == "observation" for frame in frames), frames[-1]
    return {"frames": _without_episode_ids([frame["data"] for frame in frames]), "state": state}


async def _play_http(
    client: httpx.AsyncClient, task: str, seed: int, actions: list[dict[str, Any]]
) -> dict:
    reset = (await client.post("/reset", json={"task_name": task, "seed": seed})).json()
    episode_id = reset.pop("episode_id")
    frames = [reset]
    for action in actions:
        response = await client.post("/step", json={"episode_id": episode_id, "action": action})
        assert response.status_code == 200, response.text
        step = response.json()
        assert step.pop("episode_id") == episode_id
        frames.append(step)
    state = (await client.get("/state", params={"episode_id": episode_id})).json()
    state.pop("episode_id")
    return {"frames": _without_episode_ids(frames), "state": state}


def test_many_sessions_and_episodes_interleaved_equal_their_solo_replays(
    concurrency_url: str,
) -> None:
    ws_url = concurrency_url.replace("http://", "ws://") + "/ws"
    ws_plans = [_plan(i) for i in range(SESSIONS)]
    http_plans = [_plan(SESSIONS + i) for i in range(HTTP_EPISODES)]

    async def run() -> tuple[list[dict], list[dict]]:
        limits = httpx.Limits(max_connections=HTTP_EPISODES)
        async with httpx.AsyncClient(base_url=concurrency_url, timeout=60, limits=limits) as http:
            sessions = await asyncio.gather(*[websockets.connect(ws_url) for _ in ws_plans])
            try:
                await asyncio.gather(*[_ask(ws, {"type": "reset", "data": {}}) for ws in sessions])
                # All 100 sessions are held: the server is full, and says so.
                capacity = (await http.get("/capacity")).json()
                assert capacity["websocket_sessions"] == SESSIONS, capacity
                async with websockets.connect(ws_url) as extra:
                    refused = json.loads(await asyncio.wait_for(extra.recv(), timeout=30))
                assert refused["type"] == "error"
                assert refused["data"]["code"] == "CAPACITY_REACHED"
                assert f"{SESSIONS}/{SESSIONS} sessions active" in refused["data"]["message"]
                assert (await http.get("/health")).json() == {"status": "healthy"}

                results = await asyncio.gather(
                    *[_play_ws(ws, *plan) for ws, plan in zip(sessions, ws_plans, strict=True)],
                    *[_play_http(http, *plan) for plan in http_plans],
                )
            finally:
                await asyncio.gather(*[ws.close() for ws in sessions])
        return results[:SESSIONS], results[SESSIONS:]

    started = time.monotonic()
    ws_results, http_results = asyncio.run(run())
    elapsed = time.monotonic() - started
    print(f"\n{SESSIONS} WebSocket sessions + {HTTP_EPISODES} HTTP episodes in {elapsed:.1f} s")

    for kind, plans, results in (("ws", ws_plans, ws_results), ("http", http_plans, http_results)):
        for index, (plan, result) in enumerate(zip(plans, results, strict=True)):
            assert len(result["frames"]) == EPISODE_DAYS + 1
            assert result == solo_replay(*plan), (kind, index, plan[:2])
    assert len({json.dumps(r["state"]) for r in ws_results + http_results}) > 150  # all differ


def test_after_the_sessions_close_the_server_accepts_new_ones(concurrency_url: str) -> None:
    """Runs after the full house above: every slot is given back, and a new session plays."""
    ws_url = concurrency_url.replace("http://", "ws://") + "/ws"
    deadline = time.monotonic() + 10
    while httpx.get(f"{concurrency_url}/capacity").json()["websocket_sessions"] and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert httpx.get(f"{concurrency_url}/capacity").json()["websocket_sessions"] == 0

    async def full_again() -> None:
        sessions = await asyncio.gather(*[websockets.connect(ws_url) for _ in range(SESSIONS)])
        try:
            replies = await asyncio.gather(
                *[_ask(ws, {"type": "reset", "data": {"task_name": "hard"}}) for ws in sessions]
            )
            assert all(reply["type"] == "observation" for reply in replies)
        finally:
            await asyncio.gather(*[ws.close() for ws in sessions])

    asyncio.run(full_again())  # all 100 slots, not just one
    reset = httpx.post(f"{concurrency_url}/reset", json={"task_name": "easy"})
    assert reset.status_code == 200
