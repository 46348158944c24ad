"""A Gymnasium environment over the in-process simulator, with flat Box spaces SB3 accepts.

Importing this module registers ``InventoryEnv-v0`` (task from ``kwargs``, default easy) and
``InventoryEasy-v0``, ``InventoryMedium-v0``, ``InventoryHard-v0``, so
``gymnasium.make("InventoryMedium-v0")`` works after ``import adapters.gym_env`` (or, without
the import, ``gymnasium.make("adapters.gym_env:InventoryMedium-v0")``).

* Seeds: ``reset(seed=s)`` plays scenario ``(task, s)``, the same scenario the server, the
  grader and every other agent get for that seed; ``reset()`` without a seed draws the next
  scenario seed from the env's seeded generator, so a seeded run reproduces its scenarios.
  ``options={"scenario_seed": s}`` picks a scenario without reseeding the generator.
* Rewards (``reward_mode``): ``profit`` (default: ``day_profit / 1000``, cheap and dense;
  for one scenario the graded score is an affine function of profit), ``shaped`` (the
  environment's default signals), or ``score`` (sums to the unclamped graded score; costs
  a ceiling solve of ~1 s per new scenario, cached).
* ``info``: ``task``, ``scenario_seed``, ``day``, ``profit``, ``rejected_orders``; on the
  last step also ``grade`` (floor, ceiling, score, unclamped score) unless
  ``grade_at_end=False``.
* Vector entry point: ``make_vector_env(n, task)``, or ``gymnasium.make_vec`` on the ids;
  for SB3, its own ``make_vec_env`` on the ids.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import SyncVectorEnv

from adapters.briefing import day_report
from adapters.gym_encoding import (
    ACTION_SIZE,
    OBS_BOUND,
    OBSERVATION_SIZE,
    decode_action,
    encode_observation,
)
from adapters.tasks import task_names
from models import InventoryObservation
from server.grader import grade
from server.inventory_env import InventoryEnvironment

REWARD_MODES = ("profit", "shaped", "score")
SCENARIO_SEED_LIMIT = 2**31 - 1
ENV_IDS = {
    "InventoryEnv-v0": "easy",
    "InventoryEasy-v0": "easy",
    "InventoryMedium-v0": "medium",
    "InventoryHard-v0": "hard",
}


class InventoryGymEnv(gymnasium.Env[np.ndarray, np.ndarray]):
    """One store's month per episode; see the module docstring for spaces, seeds and rewards."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        task: str = "easy",
        reward_mode: str = "profit",
        grade_at_end: bool = True,
        render_mode: str | None = None,
    ) -> None:
        if task not in task_names():
            raise ValueError(f"unknown task {task!r}; tasks: {', '.join(task_names())}")
        if reward_mode not in REWARD_MODES:
            raise ValueError(f"unknown reward_mode {reward_mode!r}; modes: {REWARD_MODES}")
        # Other render modes are accepted and render nothing: SB3's make_vec_env asks for
        # "rgb_array" whatever the env offers.
        self.task = task
        self.reward_mode = reward_mode
        self.grade_at_end = grade_at_end
        self.render_mode = render_mode
        self.action_space = spaces.Box(-1.0, 1.0, shape=(ACTION_SIZE,), dtype=np.float32)
        self.observation_space = spaces.Box(
            -OBS_BOUND, OBS_BOUND, shape=(OBSERVATION_SIZE,), dtype=np.float32
        )
        self._env = InventoryEnvironment()
        self._observation: InventoryObservation | None = None
        self._scenario_seed = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        if "scenario_seed" in options:
            scenario_seed = int(options["scenario_seed"])
        elif seed is not None:
            scenario_seed = int(seed)
        else:
            scenario_seed = int(self.np_random.integers(0, SCENARIO_SEED_LIMIT))
        self._scenario_seed = scenario_seed
        self._observation = self._env.reset(
            task_name=self.task, seed=scenario_seed, reward_mode=self.reward_mode
        )
        return encode_observation(self._observation), self._info()

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._observation is None:
            raise RuntimeError("call reset() before step()")
        observation = self._env.step(decode_action(action, self.task))
        self._observation = observation
        reward = float(observation.reward or 0.0)
        info = self._info()
        if observation.done and self.grade_at_end:
            info["grade"] = grade(self.task, observation.total_profit, seed=self._scenario_seed)
        return encode_observation(observation), reward, bool(observation.done), False, info

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self._observation is not None:
            return day_report(self._observation)
        return None

    def _info(self) -> dict[str, Any]:
        observation = self._observation
        assert observation is not None
        return {
            "task": self.task,
            "scenario_seed": self._scenario_seed,
            "day": observation.current_day,
            "profit": float(observation.total_profit),
            "rejected_orders": len(observation.rejected_orders),
        }


def make_vector_env(n: int, task: str = "easy", **kwargs: Any) -> SyncVectorEnv:
    """``n`` independent copies in one process (the simulator is fast; no subprocesses)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return SyncVectorEnv([lambda: InventoryGymEnv(task=task, **kwargs) for _ in range(n)])


def _register() -> None:
    for env_id, task in ENV_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(
                id=env_id, entry_point="adapters.gym_env:InventoryGymEnv", kwargs={"task": task}
            )


_register()
