"""WebSocket sessions on the real server (uvicorn on a loopback port), with raw frames.

Several sessions at once stay isolated and each equals its solo replay in process; bad frames
get error frames, leave the session's episode exactly as it was, and keep the connection open.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import websockets

from models import InventoryAction
from server.constants import EPISODE_DAYS, PRODUCTS
from server.inventory_env import InventoryEnvironment


def _ws_url(server_url: str) -> str:
    return server_url.replace("http://", "ws://") + "/ws"


async def _ask(ws: Any, message: dict[str, Any] | str | bytes) -> dict[str, Any]:
    await ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=30))


def _actions(seed: int) -> list[dict[str, Any]]:
    """A reproducible month of varied, valid actions."""
    rng = random.Random(seed)
    return [
        {
            "buy_quantities": {p: rng.randint(1, 8) for p in PRODUCTS if rng.random() < 0.4},
            "delivery_method": rng.choice(["slow", "medium", "fast"]),
            "liquidate": {"groceries": rng.randint(0, 3)},
            "price_multipliers": {p: rng.choice([0.8, 1.0, 1.2]) for p in PRODUCTS},
        }
        for _ in range(EPISODE_DAYS)
    ]


def _solo_replay(task: str, seed: int, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same episode in process, as the wire would carry it."""
    env = InventoryEnvironment()
    observations = [env.reset(task_name=task, seed=seed)]
    observations += [env.step(InventoryAction(**action)) for action in actions]
    return [
        _without_episode_id(json.loads(json.dumps(obs.model_dump(exclude={"reward", "done"}))))
        for obs in observations
    ]


def _without_episode_id(observation: dict[str, Any]) -> dict[str, Any]:
    """The observation less its metadata's episode id (a fresh uuid per episode); openenv
    0.10 carries the metadata on the wire, so the seed in it is compared too."""
    assert set(observation["metadata"]) == {"episode_id", "seed"}, observation["metadata"]
    observation["metadata"] = {"seed": observation["metadata"]["seed"]}
    return observation


def test_concurrent_sessions_are_isolated_and_equal_their_solo_replays(server_url: str) -> None:
    plans = [("easy", 11), ("medium", 12), ("hard", 13), ("medium", 12), ("hard", 99)]

    async def play(task: str, seed: int, actions: list[dict[str, Any]]) -> list[dict]:
        async with websockets.connect(_ws_url(server_url)) as ws:
            frames = [await _ask(ws, {"type": "reset", "data": {"task_name": task, "seed": seed}})]
            for action in actions:
                frames.append(await _ask(ws, {"type": "step", "data": action}))
                await asyncio.sleep(0)  # let the other sessions interleave
            state = await _ask(ws, {"type": "state"})
        assert state["data"]["current_day"] == EPISODE_DAYS
        assert state["data"]["task_name"] == task
        assert all(frame["type"] == "observation" for frame in frames)
        return [_without_episode_id(frame["data"]["observation"]) for frame in frames]

    async def play_all() -> list[list[dict]]:
        return await asyncio.gather(
            *[play(task, seed, _actions(index)) for index, (task, seed) in enumerate(plans)]
        )

    results = asyncio.run(play_all())
    for index, ((task, seed), observed) in enumerate(zip(plans, results, strict=True)):
        assert observed == _solo_replay(task, seed, _actions(index)), (task, seed)
    assert results[1] != results[3]  # same scenario, different actions: different months


def test_bad_frames_get_error_frames_and_leave_the_episode_unchanged(server_url: str) -> None:
    async def scenario() -> None:
        async with websockets.connect(_ws_url(server_url)) as ws:
            early = await _ask(ws, {"type": "step", "data": {}})
            assert early["type"] == "error"
            assert "reset" in early["data"]["message"]

            await _ask(ws, {"type": "reset", "data": {"task_name": "medium"}})
            await _ask(ws, {"type": "step", "data": {"buy_quantities": {"toys": 4}}})
            before = await _ask(ws, {"type": "state"})

            bad_action = await _ask(ws, {"type": "step", "data": {"buy_quantities": {"gold": 1}}})
            assert bad_action["data"]["code"] == "VALIDATION_ERROR"
            assert "unknown product 'gold'" in json.dumps(bad_action["data"]["errors"])
            bad_reset = await _ask(ws, {"type": "reset", "data": {"task_name": "nightmare"}})
            assert "unknown task_name 'nightmare'" in bad_reset["data"]["message"]
            unknown_param = await _ask(ws, {"type": "reset", "data": {"level": 3}})
            assert "unknown reset parameter" in unknown_param["data"]["message"]
            for frame in ("[1, 2]", '"step"', "42", "{broken", b"\xff\xfe"):
                reply = await _ask(ws, frame)
                assert reply["type"] == "error", frame
            unknown_type = await _ask(ws, {"type": "jump"})
            assert "Unknown message type" in unknown_type["data"]["message"]

            assert await _ask(ws, {"type": "state"}) == before
            after = await _ask(ws, {"type": "step", "data": {}})
            assert after["data"]["observation"]["current_day"] == 2

    asyncio.run(scenario())


def test_step_after_done_is_an_error_frame_and_the_session_survives(server_url: str) -> None:
    async def scenario() -> None:
        async with websockets.connect(_ws_url(server_url)) as ws:
            await _ask(ws, {"type": "reset", "data": {"task_name": "hard"}})
            for _ in range(EPISODE_DAYS):
                last = await _ask(ws, {"type": "step", "data": {}})
            assert last["data"]["done"] is True
            over = await _ask(ws, {"type": "step", "data": {}})
            assert over["type"] == "error"
            assert "episode is over" in over["data"]["message"]
            state = await _ask(ws, {"type": "state"})
            assert state["data"]["current_day"] == EPISODE_DAYS
            again = await _ask(ws, {"type": "reset", "data": {"task_name": "easy"}})
            assert again["data"]["observation"]["current_day"] == 0

    asyncio.run(scenario())


def test_an_oversized_frame_closes_with_message_too_big(server_url: str) -> None:
    async def scenario() -> None:
        async with websockets.connect(_ws_url(server_url), max_size=None) as ws:
            await _ask(ws, {"type": "reset", "data": {}})
            try:
                # The server may close while the frame is still being sent: either way the
                # close code must say the message was too big.
                await ws.send(json.dumps({"type": "step", "data": {"pad": "x" * (2 << 20)}}))
                await asyncio.wait_for(ws.recv(), timeout=30)
            except websockets.ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1009  # message too big
            else:
                raise AssertionError("a 2 MiB frame was accepted (MAX_WS_MESSAGE_BYTES is 1 MiB)")

    asyncio.run(scenario())


def test_a_websocket_session_plays_the_score_reward(server_url: str) -> None:
    """The server builds its sessions with the grader's floor and ceiling (injected into the
    simulator): a month's score rewards sum to the grader's unclamped score of its profit."""
    from server.grader import grade

    async def play() -> tuple[float, dict[str, Any]]:
        async with websockets.connect(_ws_url(server_url)) as ws:
            reset = {"task_name": "easy", "seed": 21, "reward_mode": "score"}
            frame = await _ask(ws, {"type": "reset", "data": reset})
            assert frame["type"] == "observation", frame
            total = 0.0
            for action in _actions(21):
                frame = await _ask(ws, {"type": "step", "data": action})
                total += frame["data"]["reward"]
            return total, frame["data"]

    total, last = asyncio.run(play())
    assert last["done"] is True
    profit = last["observation"]["total_profit"]
    assert abs(total - grade("easy", profit, seed=21)["unclamped_score"]) < 1e-9
    assert total != 0.0  # not the passive floor's zero: the check has something to match
