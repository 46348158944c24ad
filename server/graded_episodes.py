"""What the server remembers of episodes it played, so ``/grader`` can grade them itself.

A score computed from a profit a client claims proves nothing: ``agent_profit=1e9`` scores
1.0. Every environment the server builds (HTTP episodes and WebSocket sessions alike) reports
here when an episode starts and when it ends, with the profit the simulator booked and the
scenario it played. ``POST /grader {"episode_id": ...}`` then grades that profit on that
scenario and says ``"verified": true``.

Entries are bounded in number (the least recently touched is dropped first) and in time (an
entry is forgotten ``ttl_s`` after it was last touched). Pure Python, no web imports, no
grading here: the route grades, in a worker thread.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from server.scenario import Scenario

DEFAULT_TTL_S = 3600.0
DEFAULT_CAPACITY = 4096


class UnknownGradedEpisodeError(LookupError):
    """No episode with that id was played here, or its record expired or was evicted."""


class EpisodeNotFinishedError(RuntimeError):
    """The episode is still running: a grade needs its 30th day."""


@dataclass(frozen=True)
class EpisodeRecord:
    """One episode as the server saw it; ``profit`` is ``None`` until it is done."""

    episode_id: str
    scenario: Scenario
    reward_mode: str
    profit: float | None
    touched: float

    @property
    def finished(self) -> bool:
        return self.profit is not None

    @property
    def hidden(self) -> bool:
        """Played on a scenario drawn with the operator secret (its seed is never shown)."""
        return self.scenario.secret_tag is not None


class GradedEpisodes:
    """Bounded, expiring map from episode id to ``EpisodeRecord`` (thread-safe)."""

    def __init__(
        self,
        ttl_s: float = DEFAULT_TTL_S,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        if not ttl_s > 0:
            raise ValueError(f"ttl_s must be > 0, got {ttl_s}")
        self.ttl_s = ttl_s
        self.capacity = capacity
        self._clock = clock
        self._records: OrderedDict[str, EpisodeRecord] = OrderedDict()  # least recent first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired(self._clock())
            return len(self._records)

    def started(self, episode_id: str, scenario: Scenario, reward_mode: str) -> None:
        """An episode began (a restart under the same id replaces the old record)."""
        self._put(EpisodeRecord(episode_id, scenario, reward_mode, None, self._clock()))

    def finished(
        self, episode_id: str, scenario: Scenario, reward_mode: str, profit: float
    ) -> None:
        """An episode reached its last day with ``profit`` booked by the simulator."""
        record = EpisodeRecord(episode_id, scenario, reward_mode, float(profit), self._clock())
        self._put(record)

    def finished_record(self, episode_id: str) -> EpisodeRecord:
        """The record of a finished episode; ``UnknownGradedEpisodeError`` when there is none,
        ``EpisodeNotFinishedError`` while it runs."""
        with self._lock:
            self._drop_expired(self._clock())
            record = self._records.get(episode_id)
        if record is None:
            raise UnknownGradedEpisodeError(
                f"no episode {episode_id!r} was played on this server, or its record expired "
                f"({self.ttl_s:g} s after it was last used) or was evicted (at most "
                f"{self.capacity} are kept)"
            )
        if not record.finished:
            raise EpisodeNotFinishedError(
                f"episode {episode_id!r} is not finished: it is graded after its last day"
            )
        return record

    def _put(self, record: EpisodeRecord) -> None:
        with self._lock:
            self._drop_expired(record.touched)
            self._records.pop(record.episode_id, None)
            while len(self._records) >= self.capacity:
                self._records.popitem(last=False)
            self._records[record.episode_id] = record

    def _drop_expired(self, now: float) -> None:
        deadline = now - self.ttl_s
        while self._records:
            oldest = next(iter(self._records.values()))
            if oldest.touched > deadline:
                break
            self._records.popitem(last=False)
