"""Built-in agents and the one loop that plays an episode with them.

The grader's floor, ``/baseline``, ``inference.py`` and the tests all play episodes through
``run_episode`` so there is a single definition of "an episode played by a policy".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from models import InventoryAction, InventoryObservation
from server.inventory_env import InventoryEnvironment


class Agent(Protocol):
    """A policy: sees only what any agent sees (observations and the public task table)."""

    name: str

    def reset(self, task_name: str) -> None:
        """Forget the previous episode."""

    def act(self, observation: InventoryObservation) -> InventoryAction:
        """Decide today's action."""


class PassiveAgent:
    """Never buys, never liquidates, keeps every price at 1.0x: the grader's floor policy."""

    name = "passive"

    def reset(self, task_name: str) -> None:
        pass

    def act(self, observation: InventoryObservation) -> InventoryAction:
        return InventoryAction()


@dataclass
class EpisodeResult:
    """What one played episode earned."""

    task_name: str
    seed: int
    agent: str
    profit: float
    total_reward: float
    actions: list[InventoryAction] = field(default_factory=list)


def run_episode(
    agent: Agent,
    task_name: str,
    seed: int | None = None,
    reward_mode: str = "shaped",
) -> EpisodeResult:
    """Play one whole episode of ``(task_name, seed)`` in process with ``agent``."""
    env = InventoryEnvironment()
    observation = env.reset(seed=seed, task_name=task_name, reward_mode=reward_mode)
    agent.reset(task_name)
    actions: list[InventoryAction] = []
    total_reward = 0.0
    while not observation.done:
        action = agent.act(observation)
        actions.append(action)
        observation = env.step(action)
        total_reward += float(observation.reward or 0.0)
    return EpisodeResult(
        task_name=task_name,
        seed=env.scenario.seed,
        agent=agent.name,
        profit=float(observation.total_profit),
        total_reward=total_reward,
        actions=actions,
    )
