"""Episodes that live across HTTP requests (openenv 0.10.0's ``/reset`` and ``/step`` forget
theirs: they build a fresh environment per request).

``EpisodeStore`` keeps one ``InventoryEnvironment`` per episode id, bounded in number (the least
recently used episode makes room for a new one) and forgotten after an idle period. Without an
id, requests act on the episode their client reset last, so ``curl -X POST /reset`` followed by
``curl -X POST /step -d '{"action": {}}'`` plays one episode; a client never reaches another
client's episode without its id. Against floods (docs/security.md): at most
``max_per_client`` episodes per client, and only episodes idle for ``evict_idle_s`` make room
(the caller's own first); when none may go, ``EpisodeCapacityError``. Each episode has its
own lock, so concurrent requests on one episode take turns while different episodes never
wait for each other. Pure Python, no web imports: the routes translate the errors below into
status codes.
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


class EpisodeCapacityError(RuntimeError):
    """No room for another episode: every stored one is in use (HTTP 429)."""


@dataclass
class HttpEpisode:
    """One stored episode: its environment, its lock and when it was last used."""

    episode_id: str
    env: InventoryEnvironment
    last_used: float
    owner: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


class EpisodeStore:
    """Bounded, expiring map from episode id to a running environment (thread-safe)."""

    def __init__(
        self,
        capacity: int,
        idle_timeout_s: float,
        env_factory: Callable[[], InventoryEnvironment] = InventoryEnvironment,
        clock: Callable[[], float] = time.monotonic,
        max_per_client: int | None = None,
        evict_idle_s: float = 0.0,
        latest_fallback: bool = True,
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
        self.max_per_client = max_per_client
        self.evict_idle_s = evict_idle_s
        self.latest_fallback = latest_fallback
        self._latest_id: str | None = None
        self._latest_by_client: dict[str, str] = {}
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
        self, episode_id: str | None = None, client: str = "", **reset_kwargs: Any
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
            existing = self._episodes.get(episode_id)
            if existing is not None and existing.owner != client:
                raise EpisodeStateError(
                    f"episode_id {episode_id!r} is another client's episode; "
                    "omit episode_id to start a new one"
                )
            self._episodes.pop(episode_id, None)
            self._make_room(client, now)
            self._episodes[episode_id] = HttpEpisode(episode_id, env, now, owner=client)
            self._latest_id = episode_id
            self._latest_by_client[client] = episode_id
        return episode_id, observation

    def _make_room(self, client: str, now: float) -> None:
        """Evict idle episodes until ``client`` may add one, or raise ``EpisodeCapacityError``."""
        if self.max_per_client is not None:
            own = [e for e in self._episodes.values() if e.owner == client]
            if len(own) >= self.max_per_client and not self._evict(own[:1], now):
                raise EpisodeCapacityError(
                    f"this client already has {len(own)} HTTP episodes in use "
                    f"(MAX_HTTP_EPISODES_PER_CLIENT={self.max_per_client}); one may be "
                    f"replaced once idle for {self.evict_idle_s:g} s "
                    "(HTTP_EPISODE_EVICT_IDLE_SECONDS), or reuse an episode_id"
                )
        while len(self._episodes) >= self.capacity:
            own = [e for e in self._episodes.values() if e.owner == client]
            if not (self._evict(own[:1], now) or self._evict(self._episodes.values(), now)):
                raise EpisodeCapacityError(
                    f"all {self.capacity} HTTP episodes (MAX_HTTP_EPISODES) are in use; retry later"
                )

    def _evict(self, candidates: Any, now: float) -> bool:
        """Drop the least recently used of ``candidates`` if it is idle long enough."""
        for episode in candidates:  # least recently used first
            if now - episode.last_used < self.evict_idle_s:
                return False
            self._forget(episode.episode_id)
            return True
        return False

    def _forget(self, episode_id: str) -> None:
        self._episodes.pop(episode_id, None)
        if len(self._latest_by_client) > 2 * self.capacity:  # keep the table bounded
            self._latest_by_client = {
                client: latest
                for client, latest in self._latest_by_client.items()
                if latest in self._episodes
            }

    def step(
        self, episode_id: str | None, action: InventoryAction, client: str = ""
    ) -> tuple[str, InventoryObservation]:
        """Simulate one day of the episode (the client's latest one when ``episode_id`` is
        None)."""
        episode = self._use(episode_id, client)
        with episode.lock:
            return episode.episode_id, episode.env.step(action)

    def state(self, episode_id: str | None, client: str = "") -> InventoryState:
        """The whole state of the episode (the client's latest one when ``episode_id`` is
        None)."""
        episode = self._use(episode_id, client)
        with episode.lock:
            return episode.env.state

    def _use(self, episode_id: str | None, client: str = "") -> HttpEpisode:
        """Look an episode up and mark it used; raise a precise error when it is not there."""
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            if episode_id is None:
                if not self.latest_fallback:
                    raise EpisodeStateError(
                        "episode_id is required on this server (LATEST_EPISODE_FALLBACK=false): "
                        "pass the one POST /reset returned"
                    )
                latest = self._latest_by_client.get(client)
                if latest is None:
                    raise EpisodeStateError(
                        "no HTTP episode is running: POST /reset first (it returns an episode_id)"
                    )
                episode_id = latest
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
            self._forget(oldest.episode_id)
