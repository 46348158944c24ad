"""Benchmark: the batch simulator at B = 1, 64, 1024, 4096 against the scalar simulator and
gym-invmgmt's ``Serial-v0``, in one run.

What is timed (medians over ``--repeats`` passes after a warm-up; the contenders take turns
inside each pass so load from other processes hits all of them alike)
    * ``scalar``: ``InventoryEnvironment.step`` with pre-built ``InventoryAction`` objects,
      ``bench_step.py``'s busy workload (orders of 2-4 products, shipping rotating by day,
      prices on 3-5 products, small liquidations; tasks easy / medium / hard in turn).
    * ``batch B=n``: ``BatchInventoryEnv.step`` on ``n`` episodes with the same day-by-day
      actions as arrays (episode ``b`` plays the scalar workload's episode ``b % 150``, seed
      ``b``). Resets are outside the timed span, as for the scalar simulator. Rate =
      episodes x days / seconds (env-steps/s).
    * ``vector env B=n``: the Gymnasium ``InventoryVectorEnv`` (decode the [-1, 1] actions,
      step, encode observations and info) over one whole episode plus the auto-reset step
      after it, so each pass includes drawing ``n`` new scenarios; random [-1, 1] actions.
      Rate = 30 x n real env-steps / seconds of all 31 calls.
    * ``SyncVectorEnv B=64``: 64 single ``InventoryGymEnv`` in gymnasium's ``SyncVectorEnv``,
      what ``make_vector_env`` built before, for the vector env's ratio.
    * ``Serial-v0``: gym-invmgmt's ``GymInvMgmt/Serial-v0`` as ``bench_step.py`` plays it
      (random orders on every link, ``gymnasium.make``), if installed.

Run from the repository root; gym-invmgmt is a benchmark-only dependency (its own venv)::

    python3 -m venv ../benchvenv && ../benchvenv/bin/pip install -e . gym-invmgmt
    ../benchvenv/bin/python bench/bench_batch.py      # ~1-2 min; .venv/bin/python: ours only

One core: numpy runs these element-wise operations single-threaded (no BLAS calls here).
The machine is shared: the load average is printed before and after; trust the ratios of
the same run more than the rates.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from bench_step import (  # noqa: E402
    INSTALL_HINT,
    our_episodes,
    print_environment,
    their_contenders,
)
from gymnasium.vector import SyncVectorEnv  # noqa: E402

from adapters.gym_encoding import ACTION_SIZE  # noqa: E402
from adapters.gym_env import InventoryGymEnv, InventoryVectorEnv  # noqa: E402
from server.batch_env import BatchInventoryEnv  # noqa: E402
from server.constants import DELIVERY_METHODS, EPISODE_DAYS, PRODUCTS  # noqa: E402
from server.inventory_env import InventoryEnvironment  # noqa: E402

SIZES = (1, 64, 1024, 4096)
POOL = 150
"""Distinct action schedules (bench_step.py's episodes); batch episode b plays b % POOL."""
MIN_STEPS = 4500
"""Each pass of a contender plays whole episodes until it has simulated at least this many."""
TARGET_RATE = 500_000
TARGET_RATIO = 15.0


Timing = tuple[str, int, float, float]
"""One row of one pass: (row name, env-steps simulated, wall seconds, CPU seconds)."""


@dataclass
class Contender:
    run: Callable[[], list[Timing]]
    """One pass; most contenders give one row, the vector env two."""


class Clock:
    """Wall and CPU (this process) time of the spans between ``start`` and ``stop``."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def stop(self) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


def schedules() -> tuple[list, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The scalar workload's episodes, and the same actions as ``[day, episode, ...]`` arrays."""
    episodes = our_episodes(POOL, validated=True)
    tasks = [e.reset_kwargs["task_name"] for e in episodes]
    shape = (EPISODE_DAYS, POOL, len(PRODUCTS))
    buy, liquidate = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    price, method = np.ones(shape), np.zeros((EPISODE_DAYS, POOL), np.int64)
    for e, episode in enumerate(episodes):
        for d, action in enumerate(episode.actions):
            method[d, e] = DELIVERY_METHODS.index(action.delivery_method)
            for i, p in enumerate(PRODUCTS):
                buy[d, e, i] = action.buy_quantities.get(p, 0)
                liquidate[d, e, i] = action.liquidate.get(p, 0)
                price[d, e, i] = action.price_multipliers.get(p, 1.0)
    return episodes, tasks, buy, method, price, liquidate


def scalar_contender(episodes: list) -> Contender:
    env = InventoryEnvironment()
    return Contender(lambda: [timed("scalar simulator", env.reset, env.step, episodes)])


def timed(name: str, reset: Callable, step: Callable, episodes: list) -> Timing:
    """bench_step.py's ``time_steps`` loop (resets untimed), with CPU time too."""
    clock = Clock()
    for episode in episodes:
        reset(**episode.reset_kwargs)
        clock.start()
        for action in episode.actions:
            step(action)
        clock.stop()
    return name, sum(len(e.actions) for e in episodes), clock.wall, clock.cpu


def batch_contender(size: int, tasks: list[str], arrays: tuple[np.ndarray, ...]) -> Contender:
    batch = BatchInventoryEnv(size)
    pick = np.arange(size) % POOL
    names = [tasks[i] for i in pick]
    buy, method, price, liquidate = (a[:, pick] for a in arrays)
    episodes = max(1, -(-MIN_STEPS // (size * EPISODE_DAYS)))

    def run() -> list[Timing]:
        clock = Clock()
        for episode in range(episodes):
            batch.reset(names, np.arange(size) + episode * size)
            clock.start()
            for day in range(EPISODE_DAYS):
                batch.step(buy[day], method[day], price[day], liquidate[day])
            clock.stop()
        steps = episodes * size * EPISODE_DAYS
        return [(f"batch simulator B={size}", steps, clock.wall, clock.cpu)]

    return Contender(run)


def vector_contender(size: int, kind: str = "ours") -> Contender:
    if kind == "ours":
        vector = InventoryVectorEnv(size, task="medium")
        name = f"vector env B={size}"
    else:
        vector = SyncVectorEnv(
            [lambda: InventoryGymEnv(task="medium", grade_at_end=False) for _ in range(size)]
        )
        name = f"SyncVectorEnv B={size}"
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (EPISODE_DAYS + 1, size, ACTION_SIZE)).astype(np.float32)
    episodes = max(1, -(-MIN_STEPS // (size * EPISODE_DAYS)))
    vector.reset(seed=0)

    def run() -> list[Timing]:
        days, resets = Clock(), Clock()
        for _ in range(episodes):
            vector.reset()  # untimed; then 30 days and the auto-reset step after them
            days.start()
            for action in actions[:-1]:
                vector.step(action)
            days.stop()
            resets.start()
            vector.step(actions[-1])
            resets.stop()
        steps = episodes * size * EPISODE_DAYS
        return [
            (f"{name}, days only", steps, days.wall, days.cpu),
            (
                f"{name}, auto-reset incl.",
                steps,
                days.wall + resets.wall,
                days.cpu + resets.cpu,
            ),
        ]

    return Contender(run)


def serial_contender() -> Contender | None:
    theirs = their_contenders(POOL)
    if theirs is None:
        return None
    made = theirs[0]  # via gymnasium.make, as bench_step.py's judged ratio
    return Contender(lambda: [timed("gym-invmgmt Serial-v0", made.reset, made.step, made.episodes)])


def measure(contenders: Sequence[Contender], repeats: int) -> dict[str, dict[str, list[float]]]:
    """Per row, env-steps per wall second and per CPU second of each pass."""
    for contender in contenders:  # warm-up
        contender.run()
    rates: dict[str, dict[str, list[float]]] = {}
    for _ in range(repeats):
        gc.collect()
        for contender in contenders:
            for name, steps, wall, cpu in contender.run():
                row = rates.setdefault(name, {"wall": [], "cpu": []})
                row["wall"].append(steps / wall)
                row["cpu"].append(steps / cpu)
    return rates


def report(rates: dict[str, dict[str, list[float]]], repeats: int) -> None:
    median = {
        name: {k: statistics.median(v) for k, v in row.items()} for name, row in rates.items()
    }
    serial = median.get("gym-invmgmt Serial-v0")
    print(f"\nmedian of {repeats} passes after a warm-up; env-steps per second of wall clock")
    print("and per second of this process's CPU time (what one core does while others share it)")
    columns = ["wall/s", "CPU/s", "/ scalar"] + (["/ Serial-v0"] if serial else [])
    print(f"{'contender':<44}" + "".join(f" {c:>11}" for c in columns) + "   wall min..max")
    for name, row in median.items():
        cells = [f"{row['wall']:,.0f}", f"{row['cpu']:,.0f}"]
        cells.append(f"{row['cpu'] / median['scalar simulator']['cpu']:.1f}x")
        if serial:
            cells.append(f"{row['cpu'] / serial['cpu']:.1f}x")
        spread = f"{min(rates[name]['wall']):,.0f}..{max(rates[name]['wall']):,.0f}"
        print(f"{name:<44}" + "".join(f" {c:>11}" for c in cells) + f"   {spread}")
    top = median[f"batch simulator B={SIZES[-1]}"]
    ratio = top["cpu"] / median["scalar simulator"]["cpu"]
    verdict = "meets" if top["cpu"] >= TARGET_RATE and ratio > TARGET_RATIO else "MISSES"
    print(
        f"\nbatch B={SIZES[-1]}: {top['cpu']:,.0f} env-steps per CPU second ({top['wall']:,.0f} "
        f"per wall second), {ratio:.1f}x the scalar simulator (ratios of CPU rates); {verdict} "
        f"the target (>= {TARGET_RATE:,} on one core and > {TARGET_RATIO:.0f}x)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (default 5)")
    args = parser.parse_args(argv)
    print_environment()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    episodes, tasks, *arrays = schedules()
    contenders = [scalar_contender(episodes)]
    contenders += [batch_contender(size, tasks, tuple(arrays)) for size in SIZES]
    contenders += [vector_contender(size) for size in SIZES]
    contenders.append(vector_contender(64, kind="sync"))
    serial = serial_contender()
    if serial is None:
        print("\n" + INSTALL_HINT.replace("bench_step.py", "bench_batch.py"))
    else:
        contenders.append(serial)
    report(measure(contenders, args.repeats), args.repeats)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
