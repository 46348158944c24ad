"""The oracle and the floor of ``openenv.yaml``'s ``validation:`` block, played on a server.

The oracle replays the grader's perfect-information plan (``server.grader.clairvoyant_plan``)
and the floor is the passive policy (no orders, prices 1.0x), both over WebSocket in the
``score`` reward mode, whose rewards sum to the grader's score. openenv 0.10 declares the
``semantic.oracle_max`` / ``floor_gap`` checks but ships no grader for them, so
``tests/test_validate.py`` runs this against the live server instead.

Usage: python validation/oracle.py URL [TASK [SEED]]    prints the oracle's and the floor's reward
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from client import InventoryEnv  # noqa: E402
from models import InventoryAction  # noqa: E402


def episode_rewards(url: str, task: str, seed: int, actions: list[InventoryAction]) -> list[float]:
    """Every step's reward of ``actions`` played on ``(task, seed)`` in the score mode."""
    with InventoryEnv(base_url=url).sync() as env:
        result = env.reset(task_name=task, seed=seed, reward_mode="score")
        rewards = []
        for action in actions:
            result = env.step(action)
            rewards.append(float(result.reward or 0.0))
        assert result.done, "the plan must cover the whole month"
        return rewards


def oracle_and_floor(url: str, task: str = "easy", seed: int = 1001) -> tuple[float, float]:
    """Total reward of the clairvoyant plan and of the passive policy on ``(task, seed)``."""
    from server.constants import EPISODE_DAYS
    from server.grader import clairvoyant_plan

    oracle = sum(episode_rewards(url, task, seed, clairvoyant_plan(task, seed)))
    passive = [InventoryAction() for _ in range(EPISODE_DAYS)]
    return oracle, sum(episode_rewards(url, task, seed, passive))


if __name__ == "__main__":
    url, *rest = sys.argv[1:]
    task = rest[0] if rest else "easy"
    seed = int(rest[1]) if len(rest) > 1 else 1001
    oracle, floor = oracle_and_floor(url, task, seed)
    print(f"{task} seed {seed}: oracle {oracle:.4f}, floor {floor:.4f}")
