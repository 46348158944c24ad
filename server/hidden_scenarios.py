"""Hidden scenarios for evaluation: which seed a reset plays when an operator secret is set.

With ``SCENARIO_SECRET`` set, the scenario of ``(task, seed)`` is drawn with the secret
(``server.scenario.draw_scenario(..., secret=...)``), so knowing the code and the seed no
longer reveals the future. Two more rules stop an agent from learning an evaluation episode's
future by playing it first (a probe episode):

* a reset without a seed plays a scenario of a seed the server draws itself and never shows;
* a seeded reset of a given ``(task, seed)`` plays at most once per server process: a second
  one is refused (409), so whoever plays a scenario first is the only one who ever sees it.

The set of played ``(task, seed)`` pairs is bounded (``MAX_HIDDEN_SEEDS``); once it is full,
seeded resets are refused (forgetting old pairs would let a replay through) until the server
restarts. Seedless resets are not recorded: their seeds are drawn from 2**63 and never shown.
"""

from __future__ import annotations

import secrets
import threading

from server.inventory_env import EpisodeStateError
from server.scenario import check_seed

MIN_SECRET_CHARS = 16
DEFAULT_MAX_HIDDEN_SEEDS = 65536
SEED_SPACE = 2**63


class ScenarioReplayError(EpisodeStateError):
    """A seeded reset asked for a hidden scenario this server has already played (409)."""


def check_secret(secret: str) -> str:
    """``secret`` when it is long enough to resist guessing; a clear error otherwise."""
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(
            f"SCENARIO_SECRET must be at least {MIN_SECRET_CHARS} characters (got "
            f"{len(secret)}); use e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    return secret


class HiddenScenarios:
    """The seed policy of a server with a scenario secret (thread-safe)."""

    def __init__(self, secret: str, max_seeds: int = DEFAULT_MAX_HIDDEN_SEEDS) -> None:
        if max_seeds < 1:
            raise ValueError(f"max_seeds must be >= 1, got {max_seeds}")
        self.secret = check_secret(secret)
        self.max_seeds = max_seeds
        self._played: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._played)

    def assign(self, task_name: str, seed: int | None) -> int:
        """The seed a reset plays: a fresh secret one for ``None``; ``seed`` itself the first
        time ``(task_name, seed)`` is asked for; ``ScenarioReplayError`` after that."""
        if seed is None:
            return secrets.randbelow(SEED_SPACE)
        seed = check_seed(seed)
        key = (task_name, seed)
        with self._lock:
            if key in self._played:
                raise ScenarioReplayError(
                    f"the hidden scenario of task {task_name!r} seed {seed} was already played "
                    "on this server; each is played once (reset without a seed for a fresh one)"
                )
            if len(self._played) >= self.max_seeds:
                raise ScenarioReplayError(
                    f"this server has played MAX_HIDDEN_SEEDS={self.max_seeds} seeded hidden "
                    "scenarios; reset without a seed, or restart the server to play more"
                )
            self._played.add(key)
        return seed
