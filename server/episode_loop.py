"""The one loop that plays an episode: any agent, sync or async, against any episode, in process
or over the client.

Agents and episodes may answer directly or with an awaitable (the LLM agent and the WebSocket
client are async, the built-in agents and the simulator are not), so the loop is a coroutine
that awaits only what needs awaiting. ``run_sync`` drives it without an event loop when
nothing suspends, which keeps an in-process episode as fast as a plain ``for`` loop. This
module imports only the wire contract, so clients may use it without the server's machinery.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from models import InventoryAction, InventoryObservation

T = TypeVar("T")


class Agent(Protocol):
    """A policy: sees only what any agent sees (observations and the public task table).

    ``act`` returns the action, or an awaitable of it (an agent that calls a model)."""

    name: str

    def reset(self, task_name: str) -> None:
        """Forget the previous episode."""

    def act(
        self, observation: InventoryObservation
    ) -> InventoryAction | Awaitable[InventoryAction]:
        """Decide today's action."""


class Episode(Protocol):
    """One episode to play; each method answers directly or with an awaitable."""

    def reset(self) -> InventoryObservation | Awaitable[InventoryObservation]:
        """Start the episode: its first observation."""

    def seed(self) -> int | None | Awaitable[int | None]:
        """The seed played, once started (``None`` when the scenario is hidden)."""

    def step(
        self, action: InventoryAction
    ) -> InventoryObservation | Awaitable[InventoryObservation]:
        """Play one day; the observation carries the day's reward and ``done``."""


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
    seed: int | None
    agent: str
    profit: float
    total_reward: float
    actions: list[InventoryAction] = field(default_factory=list)


async def _answer(value: T | Awaitable[T]) -> T:
    if inspect.isawaitable(value):
        return await value
    return value


async def play_episode(
    agent: Agent,
    episode: Episode,
    task_name: str,
    observer: EpisodeObserver | None = None,
) -> EpisodeResult:
    """Play ``episode`` to its end with ``agent``; ``observer`` sees the reset and every step."""
    observation = await _answer(episode.reset())
    seed = await _answer(episode.seed())
    if observer is not None:
        observer.reset(observation, seed=seed)
    agent.reset(task_name)
    actions: list[InventoryAction] = []
    total_reward = 0.0
    while not observation.done:
        action = await _answer(agent.act(observation))
        actions.append(action)
        observation = await _answer(episode.step(action))
        total_reward += float(observation.reward or 0.0)
        if observer is not None:
            observer.step(action, observation, observation.reward)
    return EpisodeResult(
        task_name=task_name,
        seed=seed,
        agent=agent.name,
        profit=float(observation.total_profit),
        total_reward=total_reward,
        actions=actions,
    )


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends (sync agent, in-process episode), without
    an event loop, so it also works inside a running one (a server's worker thread or not)."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    raise TypeError("this episode awaits an async agent or client: await play_episode() instead")
