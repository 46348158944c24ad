"""Built-in agents and the one loop that plays an episode with them.

The grader's floor, ``/baseline``, ``inference.py`` and the tests all play episodes through
``run_episode`` so there is a single definition of "an episode played by a policy".
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from models import InventoryAction, InventoryObservation
from server.basestock_agent import BasestockAgent
from server.constants import DELIVERY_METHODS, PRICE_MULTIPLIER_MAX, PRICE_MULTIPLIER_MIN, PRODUCTS
from server.heuristic_agent import HeuristicAgent
from server.inventory_env import InventoryEnvironment
from server.scenario import Scenario


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


class RandomAgent:
    """Valid random actions: a sanity baseline that any sensible policy should beat.

    Each day: a random shipping method; each product is bought with probability 1/2 (1 to
    ``max_buy`` units), liquidated with probability 1/10 (1 to 5 units) and priced with
    probability 1/2 (a multiplier uniform in the allowed range, else 1.0x). The stream is
    re-seeded from ``(seed, task)`` at every reset, so an episode is reproducible whatever
    else the agent played before.
    """

    name = "random"

    def __init__(self, seed: int | None = None, max_buy: int = 10) -> None:
        self.seed = 0 if seed is None else int(seed)
        self.max_buy = max_buy
        self._rng = random.Random(self.seed)

    def reset(self, task_name: str) -> None:
        self._rng = random.Random(zlib.crc32(f"{self.seed}:{task_name}".encode()))

    def act(self, observation: InventoryObservation) -> InventoryAction:
        rng = self._rng
        buy = {p: rng.randint(1, self.max_buy) for p in PRODUCTS if rng.random() < 0.5}
        liquidate = {p: rng.randint(1, 5) for p in PRODUCTS if rng.random() < 0.1}
        prices = {
            p: round(rng.uniform(PRICE_MULTIPLIER_MIN, PRICE_MULTIPLIER_MAX), 2)
            for p in PRODUCTS
            if rng.random() < 0.5
        }
        return InventoryAction(
            buy_quantities=buy,
            delivery_method=rng.choice(DELIVERY_METHODS),
            liquidate=liquidate,
            price_multipliers=prices,
        )


class ReplayAgent:
    """Plays a fixed list of actions, day by day, then empty actions: replays a recorded or
    planned episode (the grader's clairvoyant plan) through the real simulator."""

    def __init__(self, actions: list[InventoryAction], name: str = "replay") -> None:
        self.actions = list(actions)
        self.name = name
        self._day = 0

    def reset(self, task_name: str) -> None:
        self._day = 0

    def act(self, observation: InventoryObservation) -> InventoryAction:
        day = self._day
        self._day += 1
        return self.actions[day] if day < len(self.actions) else InventoryAction()


AGENT_FACTORIES: dict[str, Callable[[int | None], Agent]] = {
    "passive": lambda seed: PassiveAgent(),
    "random": lambda seed: RandomAgent(seed),
    "basestock": lambda seed: BasestockAgent(),
    "heuristic": lambda seed: HeuristicAgent(),
}
"""Built-in agents by name (``/baseline``, ``inference.py --agent``, the evaluation)."""

AGENT_NAMES: tuple[str, ...] = tuple(AGENT_FACTORIES)


def make_agent(name: str, seed: int | None = None) -> Agent:
    """A fresh built-in agent; ``seed`` only matters to the random agent."""
    try:
        factory = AGENT_FACTORIES[name]
    except KeyError:
        allowed = ", ".join(AGENT_NAMES)
        raise ValueError(f"unknown agent {name!r}; allowed: {allowed}") from None
    return factory(seed)


class EpisodeObserver(Protocol):
    """Sees an episode as it is played (``episode_trace.EpisodeTrace`` records it)."""

    def reset(self, observation: InventoryObservation, seed: int | None = None) -> None: ...

    def step(
        self, action: InventoryAction, observation: InventoryObservation, reward: float | None
    ) -> None: ...


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
    *,
    scenario: Scenario | None = None,
    observer: EpisodeObserver | None = None,
) -> EpisodeResult:
    """Play one whole episode of ``(task_name, seed)`` in process with ``agent``, or of
    ``scenario`` when given (a hidden one, which ``(task_name, seed)`` cannot redraw);
    ``observer`` sees the reset and every step."""
    env = InventoryEnvironment()
    if scenario is None:
        observation = env.reset(seed=seed, task_name=task_name, reward_mode=reward_mode)
    else:
        observation = env.start_scenario(scenario, reward_mode=reward_mode)
    if observer is not None:
        observer.reset(observation, seed=env.scenario.seed)
    agent.reset(task_name)
    actions: list[InventoryAction] = []
    total_reward = 0.0
    while not observation.done:
        action = agent.act(observation)
        actions.append(action)
        observation = env.step(action)
        total_reward += float(observation.reward or 0.0)
        if observer is not None:
            observer.step(action, observation, observation.reward)
    return EpisodeResult(
        task_name=task_name,
        seed=env.scenario.seed,
        agent=agent.name,
        profit=float(observation.total_profit),
        total_reward=total_reward,
        actions=actions,
    )
