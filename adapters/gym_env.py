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
* Vector entry point: ``make_vector_env(n, task)`` or ``gymnasium.make_vec`` on the ids give an
  ``InventoryVectorEnv``: ``n`` episodes stepped at once by the batch simulator
  (``server.batch_env``), the same observations, rewards and info as ``n`` single envs in a
  ``SyncVectorEnv`` (``gymnasium.make_vec(..., vectorization_mode="sync")`` still builds
  that). For SB3, its own ``make_vec_env`` on the ids.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from adapters.briefing import day_report
from adapters.gym_encoding import (
    ACTION_SIZE,
    EVENTS,
    GROCERY_LIFE,
    OBS_BOUND,
    OBSERVATION_SIZE,
    decode_action,
    decode_batch,
    encode_batch,
    encode_observation,
)
from adapters.tasks import task_names
from models import InventoryObservation
from server.batch_env import NO_EVENT, PERISHABLE, BatchDay, BatchInventoryEnv
from server.constants import PRODUCTS
from server.grader import grade, scenario_baselines
from server.inventory_env import InventoryEnvironment

REWARD_MODES = ("profit", "shaped", "score")
SCENARIO_SEED_LIMIT = 2**31 - 1
ENV_IDS = {
    "InventoryEnv-v0": "easy",
    "InventoryEasy-v0": "easy",
    "InventoryMedium-v0": "medium",
    "InventoryHard-v0": "hard",
}


def _check_options(task: str, reward_mode: str) -> None:
    """Refuse an unknown task or reward mode at construction, naming the allowed ones."""
    if task not in task_names():
        raise ValueError(f"unknown task {task!r}; tasks: {', '.join(task_names())}")
    if reward_mode not in REWARD_MODES:
        raise ValueError(f"unknown reward_mode {reward_mode!r}; modes: {REWARD_MODES}")


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
        _check_options(task, reward_mode)
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
        self._env = InventoryEnvironment(baselines=scenario_baselines)
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


_GROCERIES = PERISHABLE.index(PRODUCTS.index("groceries"))


class InventoryVectorEnv(VectorEnv):
    """``num_envs`` episodes of one task stepped at once by the batch simulator.

    Spaces, rewards, seeds and info are the single env's, batched: ``reset(seed=s)`` plays
    scenarios ``s, s+1, ...`` and seeds each episode's generator as ``SyncVectorEnv`` seeds its
    sub-envs, so the unseeded scenario seeds of later episodes match too; a list of seeds
    gives one per episode; ``options={"scenario_seed": s}`` and ``options={"reset_mask":
    mask}`` as in gymnasium. Auto-reset: gymnasium's ``next_step`` mode by default (the step
    after an episode's last one resets it, ignores its action and returns reward 0),
    ``same_step`` or ``disabled`` by ``autoreset_mode``. ``grade_at_end`` defaults to False
    here, and ``reward_mode="score"`` suits small batches only: each costs a ceiling solve
    (~1 s) per new scenario. ``simulator`` is the ``BatchInventoryEnv`` underneath.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int,
        task: str = "easy",
        reward_mode: str = "profit",
        grade_at_end: bool = False,
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        _check_options(task, reward_mode)
        self.num_envs = num_envs
        self.task = task
        self.reward_mode = reward_mode
        self.grade_at_end = grade_at_end
        self.render_mode = render_mode
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.single_action_space = spaces.Box(-1.0, 1.0, shape=(ACTION_SIZE,), dtype=np.float32)
        self.single_observation_space = spaces.Box(
            -OBS_BOUND, OBS_BOUND, shape=(OBSERVATION_SIZE,), dtype=np.float32
        )
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.simulator = BatchInventoryEnv(
            num_envs, reward_mode=reward_mode, baselines=scenario_baselines
        )
        self._generators: list[np.random.Generator | None] = [None] * num_envs
        self._scenario_seeds = np.zeros(num_envs, dtype=np.int64)
        shape = (num_envs, len(PRODUCTS))
        self._demand = np.zeros(shape, dtype=np.int64)
        self._sold = np.zeros(shape, dtype=np.int64)
        self._missed = np.zeros(shape, dtype=np.int64)
        self._expired = np.zeros(shape, dtype=np.int64)
        self._lost = np.zeros(shape, dtype=np.int64)
        self._price = np.ones(shape)
        self._active = np.zeros((num_envs, len(EVENTS)), dtype=bool)
        self._rejected = np.zeros(num_envs, dtype=np.int64)
        self._autoreset = np.zeros(num_envs, dtype=bool)

    # ------------------------------------------------------------------ reset
    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        if mask is None:
            mask = np.ones(self.num_envs, dtype=bool)
        elif not isinstance(mask, np.ndarray) or mask.shape != (self.num_envs,):
            raise ValueError(f"options['reset_mask'] must be a bool array of ({self.num_envs},)")
        if seed is None:
            seeds: list[int | None] = [None] * self.num_envs
        elif isinstance(seed, int):
            seeds = [seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
        if len(seeds) != self.num_envs:
            raise ValueError(f"need {self.num_envs} seeds, got {len(seeds)}")
        self._reset_rows(np.flatnonzero(mask), seeds, options.get("scenario_seed"))
        self._autoreset[mask] = False
        return self._observations(), self._infos(mask)

    def _reset_rows(
        self, rows: np.ndarray, seeds: list[int | None], scenario_seed: int | None
    ) -> None:
        """Start new episodes on ``rows``, picking scenario seeds as the single env does."""
        for row in rows.tolist():
            if seeds[row] is not None:
                self._generators[row] = seeding.np_random(seeds[row])[0]
            if scenario_seed is not None:
                self._scenario_seeds[row] = int(scenario_seed)
            elif seeds[row] is not None:
                self._scenario_seeds[row] = int(seeds[row])
            else:
                generator = self._generators[row]
                if generator is None:
                    generator = self._generators[row] = seeding.np_random()[0]
                self._scenario_seeds[row] = int(generator.integers(0, SCENARIO_SEED_LIMIT))
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[rows] = True
        self.simulator.reset(self.task, self._scenario_seeds, mask)
        for array in (
            self._demand,
            self._sold,
            self._missed,
            self._expired,
            self._lost,
            self._active,
        ):
            array[rows] = 0
        self._price[rows] = 1.0
        self._rejected[rows] = 0

    # ------------------------------------------------------------------- step
    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        simulator = self.simulator
        buy, method, price, liquidate = decode_batch(actions, simulator.capacity)
        next_step = self.autoreset_mode == AutoresetMode.NEXT_STEP
        resetting = self._autoreset.copy()  # finished last step (next_step mode only)
        if resetting.any():
            self._reset_rows(np.flatnonzero(resetting), [None] * self.num_envs, None)
        if resetting.all():
            rewards = np.zeros(self.num_envs)
            terminated = np.zeros(self.num_envs, dtype=bool)
        else:
            day = simulator.step(buy, method, price, liquidate, active=~resetting)
            self._record(day, ~resetting)
            rewards = np.where(resetting, 0.0, day.reward)
            terminated = day.done & ~resetting
        truncated = np.zeros(self.num_envs, dtype=bool)
        everyone = np.ones(self.num_envs, dtype=bool)
        infos = self._infos(everyone)
        if self.grade_at_end and terminated.any():
            infos |= self._grades(terminated)
        if self.autoreset_mode == AutoresetMode.SAME_STEP and terminated.any():
            infos = self._same_step_reset(terminated, infos)
        if next_step:
            self._autoreset = terminated | truncated
        return self._observations(), rewards, terminated, truncated, infos

    def _same_step_reset(self, finished: np.ndarray, step_infos: dict[str, Any]) -> dict[str, Any]:
        """Gymnasium's ``same_step`` mode: the finished episodes' last observation and info
        move to ``final_obs`` / ``final_info`` and their new episodes start at once."""
        final_obs = np.full(self.num_envs, None, dtype=object)
        for row, observation in zip(
            np.flatnonzero(finished).tolist(), self._observations()[finished], strict=True
        ):
            final_obs[row] = observation
        final_info = {
            key: (finished & value) if key.startswith("_") else value
            for key, value in step_infos.items()
        }
        self._reset_rows(np.flatnonzero(finished), [None] * self.num_envs, None)
        infos = self._infos(np.ones(self.num_envs, dtype=bool))
        infos.update(final_obs=final_obs, _final_obs=finished.copy())
        infos.update(final_info=final_info, _final_info=finished.copy())
        return infos

    def _record(self, day: BatchDay, rows: np.ndarray) -> None:
        """Keep what the observation shows of the day just simulated, for ``rows``."""
        per_product = rows[:, None]
        for kept, new in (
            (self._demand, day.demand),
            (self._sold, day.sold),
            (self._missed, day.missed),
            (self._expired, day.expired),
            (self._lost, day.lost),
            (self._price, day.price),
        ):
            np.copyto(kept, new, where=per_product)
        np.copyto(self._active, day.active_events, where=per_product)
        np.copyto(self._rejected, (day.rejected > 0).sum(axis=1), where=rows)

    # ------------------------------------------------------------------ views
    def _observations(self) -> np.ndarray:
        simulator = self.simulator
        by_life = simulator.perishable_units_by_days_left()[:, _GROCERIES, 1 : GROCERY_LIFE + 1]
        notices = simulator.cost_spikes.transpose(2, 1, 0)  # [B, K, 4]
        day = simulator.day[:, None]
        first, last = notices[..., 1], notices[..., 2]
        shown = (first - simulator.cost_notice_days[:, None] <= day) & (day <= last)
        return encode_batch(
            day=simulator.day,
            cash=simulator.cash,
            profit=simulator.cash - simulator.starting_cash,
            capacity=simulator.capacity,
            units=np.stack(
                [
                    simulator.on_hand,
                    simulator.in_transit,
                    simulator.remaining_capacity(),
                    self._demand,
                    self._sold,
                    self._missed,
                    self._expired,
                ],
                axis=1,
            ),  # UNIT_FIELDS order
            price=self._price,
            grocery_units_by_days_left=by_life,
            event_countdown=simulator.event_start - simulator.day[:, None],
            event_known=simulator.event_start != NO_EVENT,
            event_active=self._active,
            lost=self._lost,
            overdue=simulator.overdue(),
            cost_notices=notices,
            notice_shown=shown,
        )

    def _infos(self, rows: np.ndarray) -> dict[str, Any]:
        """The single env's info keys as gymnasium's vector info: arrays and ``_key`` masks."""
        simulator = self.simulator
        values = {
            "task": np.array([self.task] * self.num_envs, dtype=object),
            "scenario_seed": self._scenario_seeds.copy(),
            "day": simulator.day.copy(),
            "profit": simulator.cash - simulator.starting_cash,
            "rejected_orders": self._rejected.copy(),
        }
        infos: dict[str, Any] = {}
        for key, value in values.items():
            infos[key] = np.where(rows, value, None if value.dtype == object else 0)
            infos[f"_{key}"] = rows.copy()
        return infos

    def _grades(self, rows: np.ndarray) -> dict[str, Any]:
        """``grade`` per finished episode, as the single env's last info carries it."""
        profit = self.simulator.cash - self.simulator.starting_cash
        grades = {
            row: grade(self.task, float(profit[row]), seed=int(self._scenario_seeds[row]))
            for row in np.flatnonzero(rows).tolist()
        }
        keys = next(iter(grades.values())).keys()
        table: dict[str, Any] = {}
        for key in keys:
            kind = type(next(iter(grades.values()))[key])  # as gymnasium's own _add_info types
            numeric = kind in (int, float, bool)
            column = (
                np.zeros(self.num_envs, dtype=kind)
                if numeric
                else np.full(self.num_envs, None, dtype=object)
            )
            for row, values in grades.items():
                column[row] = values[key]
            table[key], table[f"_{key}"] = column, rows.copy()
        return {"grade": table, "_grade": rows.copy()}


def make_vector_env(n: int, task: str = "easy", **kwargs: Any) -> InventoryVectorEnv:
    """``n`` episodes of ``task`` stepped at once by the batch simulator (one process)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return InventoryVectorEnv(n, task=task, **kwargs)


def _register() -> None:
    for env_id, task in ENV_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(
                id=env_id,
                entry_point="adapters.gym_env:InventoryGymEnv",
                vector_entry_point="adapters.gym_env:InventoryVectorEnv",
                kwargs={"task": task},
            )


_register()
