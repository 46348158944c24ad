"""The built-in agents and their registry (``/baseline``, ``inference.py --agent``, the
evaluation); they play through ``server.episode_loop``."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable

from models import InventoryAction, InventoryObservation
from server.basestock_agent import BasestockAgent
from server.constants import DELIVERY_METHODS, PRICE_MULTIPLIER_MAX, PRICE_MULTIPLIER_MIN, PRODUCTS
from server.episode_loop import Agent
from server.heuristic_agent import HeuristicAgent


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
