"""Episodes that live across HTTP requests (openenv 0.10.0's ``/reset`` and ``/step`` forget
theirs: they build a fresh environment per request).

``EpisodeStore`` keeps one ``InventoryEnvironment`` per episode id, bounded in number (the least
recently used episode makes room for a new one) and forgotten after an idle period. Without an
id, requests act on the most recently reset episode, so ``curl -X POST /reset`` followed by
``curl -X POST /step -d '{"action": {}}'`` plays one episode. Each episode has its own lock, so
concurrent requests on one episode take turns while different episodes never wait for each
other. Pure Python, no web imports: the routes translate the errors below into status codes.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from models import InventoryAction, InventoryObservation, InventoryState
from server.inventory_env import EpisodeStateError, InventoryEnvironment


class UnknownEpisodeError(LookupError):
    """The episode id was never issued, or its episode expired or was evicted."""


@dataclass
class HttpEpisode:
    """One stored episode: its environment, its lock and when it was last used."""

    episode_id: str
    env: InventoryEnvironment
    last_used: float
    lock: threading.Lock = field(default_factory=threading.Lock)


class EpisodeStore:
    """Bounded, expiring map from episode id to a running environment (thread-safe)."""

    def __init__(
        self,
        capacity: int,
        idle_timeout_s: float,
        env_factory: Callable[[], InventoryEnvironment] = InventoryEnvironment,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        if not idle_timeout_s > 0:
            raise ValueError(f"idle_timeout_s must be > 0, got {idle_timeout_s}")
        self.capacity = capacity
        self.idle_timeout_s = idle_timeout_s
        self._env_factory = env_factory
        self._clock = clock
        self._episodes: OrderedDict[str, HttpEpisode] = OrderedDict()  # least recent first
        self._latest_id: str | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired(self._clock())
            return len(self._episodes)

    def __contains__(self, episode_id: object) -> bool:
        with self._lock:
            self._drop_expired(self._clock())
            return episode_id in self._episodes

    @property
    def latest_id(self) -> str | None:
        """Id of the most recently reset episode (it may have expired since)."""
        return self._latest_id

    def start(
        self, episode_id: str | None = None, **reset_kwargs: Any
    ) -> tuple[str, InventoryObservation]:
        """Reset a new environment and store it; it becomes the latest episode.

        An ``episode_id`` already in the store restarts that episode. Bad reset parameters
        raise the simulator's ``ValueError`` before anything is stored or replaced.
        """
        episode_id = episode_id or str(uuid.uuid4())
        env = self._env_factory()
        observation = env.reset(episode_id=episode_id, **reset_kwargs)
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            self._episodes.pop(episode_id, None)
            while len(self._episodes) >= self.capacity:
                self._episodes.popitem(last=False)
            self._episodes[episode_id] = HttpEpisode(episode_id, env, last_used=now)
            self._latest_id = episode_id
        return episode_id, observation

    def step(
        self, episode_id: str | None, action: InventoryAction
    ) -> tuple[str, InventoryObservation]:
        """Simulate one day of the episode (the latest one when ``episode_id`` is None)."""
        episode = self._use(episode_id)
        with episode.lock:
            return episode.episode_id, episode.env.step(action)

    def state(self, episode_id: str | None) -> InventoryState:
        """The whole state of the episode (the latest one when ``episode_id`` is None)."""
        episode = self._use(episode_id)
        with episode.lock:
            return episode.env.state

    def _use(self, episode_id: str | None) -> HttpEpisode:
        """Look an episode up and mark it used; raise a precise error when it is not there."""
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            if episode_id is None:
                if self._latest_id is None:
                    raise EpisodeStateError(
                        "no HTTP episode is running: POST /reset first (it returns an episode_id)"
                    )
                episode_id = self._latest_id
                missing = (
                    f"the latest HTTP episode {episode_id!r} has expired or was evicted: "
                    "POST /reset to start a new one"
                )
            else:
                missing = (
                    f"unknown episode_id {episode_id!r}: it was never issued, or it expired "
                    f"after {self.idle_timeout_s:g} s idle or was evicted to make room "
                    f"(at most {self.capacity} HTTP episodes are kept); POST /reset to start one"
                )
            episode = self._episodes.get(episode_id)
            if episode is None:
                raise UnknownEpisodeError(missing)
            episode.last_used = now
            self._episodes.move_to_end(episode_id)
            return episode

    def _drop_expired(self, now: float) -> None:
        """Forget episodes idle for longer than the timeout (they sit at the front)."""
        deadline = now - self.idle_timeout_s
        while self._episodes:
            oldest = next(iter(self._episodes.values()))
            if oldest.last_used > deadline:
                break
            self._episodes.popitem(last=False)
