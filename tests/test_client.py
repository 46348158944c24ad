"""``client.InventoryEnv`` against the real server: whole episodes, async and sync, equal to the
same episode played in process; refused requests raise a clear error and change nothing."""

from __future__ import annotations

import asyncio

import pytest

from client import InventoryEnv
from models import InventoryAction, InventoryObservation, InventoryState
from server.agents import PassiveAgent
from server.constants import EPISODE_DAYS
from server.in_process_episode import run_episode
from server.inventory_env import InventoryEnvironment

RESTOCK = InventoryAction(
    buy_quantities={"groceries": 10, "clothing": 2},
    delivery_method="medium",
    price_multipliers={"electronics": 1.1},
)


def _in_process_profit(task: str, seed: int, action: InventoryAction) -> float:
    env = InventoryEnvironment()
    observation = env.reset(task_name=task, seed=seed)
    while not observation.done:
        observation = env.step(action)
    return observation.total_profit


def test_async_client_plays_a_whole_episode(server_url: str) -> None:
    async def play() -> tuple[list[InventoryObservation], InventoryState]:
        async with InventoryEnv(base_url=server_url) as env:
            result = await env.reset(task_name="medium", seed=21)
            observations = [result.observation]
            while not result.done:
                result = await env.step(RESTOCK)
                observations.append(result.observation)
            return observations, await env.state()

    observations, state = asyncio.run(play())
    assert len(observations) == EPISODE_DAYS + 1
    assert all(isinstance(obs, InventoryObservation) for obs in observations)
    assert observations[-1].done and observations[-1].days_remaining == 0
    assert isinstance(state, InventoryState)
    assert (state.task_name, state.seed, state.current_day) == ("medium", 21, EPISODE_DAYS)
    assert observations[-1].total_profit == _in_process_profit("medium", 21, RESTOCK)
    assert state.cash == observations[-1].total_cash


def test_sync_client_plays_a_whole_episode(server_url: str) -> None:
    with InventoryEnv(base_url=server_url).sync() as env:
        result = env.reset(task_name="hard")
        rewards = []
        while not result.done:
            result = env.step(InventoryAction())
            rewards.append(result.reward)
        state = env.state()
    expected = run_episode(PassiveAgent(), "hard")
    assert len(rewards) == EPISODE_DAYS
    assert result.observation.total_profit == expected.profit
    assert sum(rewards) == pytest.approx(expected.total_reward)
    assert state.seed == expected.seed


def test_client_errors_name_the_problem_and_keep_the_episode(server_url: str) -> None:
    with InventoryEnv(base_url=server_url).sync() as env:
        env.reset(task_name="easy", reward_mode="profit")
        env.step(RESTOCK)
        before = env.state()
        with pytest.raises(RuntimeError, match="unknown product 'gold'"):
            env.step({"buy_quantities": {"gold": 1}})
        with pytest.raises(RuntimeError, match="unknown task_name 'extreme'"):
            env.reset(task_name="extreme")
        assert env.state() == before
        assert env.step(InventoryAction()).observation.reward_mode == "profit"
