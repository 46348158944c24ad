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
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from bench_step import (  # noqa: E402
    INSTALL_HINT,
    our_episodes,
    print_environment,
    their_contenders,
    time_steps,
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


@dataclass
class Contender:
    name: str
    run: Callable[[], tuple[int, float]]
    """One pass: (env-steps simulated, seconds timed)."""
    rates: list[float] = field(default_factory=list)


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

    class Scalar:  # bench_step's time_steps wants reset/step attributes
        reset, step = env.reset, env.step

    def run() -> tuple[int, float]:
        return EPISODE_DAYS * len(episodes), time_steps(Scalar, episodes)

    return Contender("scalar simulator", run)


def batch_contender(size: int, tasks: list[str], arrays: tuple[np.ndarray, ...]) -> Contender:
    batch = BatchInventoryEnv(size)
    pick = np.arange(size) % POOL
    names = [tasks[i] for i in pick]
    buy, method, price, liquidate = (a[:, pick] for a in arrays)
    episodes = max(1, -(-MIN_STEPS // (size * EPISODE_DAYS)))

    def run() -> tuple[int, float]:
        seconds = 0.0
        for episode in range(episodes):
            batch.reset(names, np.arange(size) + episode * size)
            started = time.perf_counter()
            for day in range(EPISODE_DAYS):
                batch.step(buy[day], method[day], price[day], liquidate[day])
            seconds += time.perf_counter() - started
        return episodes * size * EPISODE_DAYS, seconds

    return Contender(f"batch simulator B={size}", run)


def vector_contender(size: int, kind: str = "ours") -> Contender:
    if kind == "ours":
        vector = InventoryVectorEnv(size, task="medium")
        name = f"vector env B={size} (auto-reset incl.)"
    else:
        vector = SyncVectorEnv(
            [lambda: InventoryGymEnv(task="medium", grade_at_end=False) for _ in range(size)]
        )
        name = f"SyncVectorEnv B={size} (auto-reset incl.)"
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (EPISODE_DAYS + 1, size, ACTION_SIZE)).astype(np.float32)
    episodes = max(1, -(-MIN_STEPS // (size * EPISODE_DAYS)))
    vector.reset(seed=0)

    def run() -> tuple[int, float]:
        seconds = 0.0
        for _ in range(episodes):
            vector.reset()  # untimed; the timed span then includes one auto-reset of all
            started = time.perf_counter()
            for action in actions:  # 30 days, then the auto-reset step
                vector.step(action)
            seconds += time.perf_counter() - started
        return episodes * size * EPISODE_DAYS, seconds

    return Contender(name, run)


def serial_contender() -> Contender | None:
    theirs = their_contenders(POOL)
    if theirs is None:
        return None
    made = theirs[0]  # via gymnasium.make, as bench_step.py's judged ratio

    def run() -> tuple[int, float]:
        return sum(len(e.actions) for e in made.episodes), time_steps(made, made.episodes)

    return Contender("gym-invmgmt Serial-v0", run)


def measure(contenders: Sequence[Contender], repeats: int) -> None:
    for contender in contenders:  # warm-up
        contender.run()
    for _ in range(repeats):
        gc.collect()
        for contender in contenders:
            steps, seconds = contender.run()
            contender.rates.append(steps / seconds)


def report(contenders: Sequence[Contender], repeats: int) -> None:
    by_name = {c.name: statistics.median(c.rates) for c in contenders}
    scalar = by_name["scalar simulator"]
    serial = by_name.get("gym-invmgmt Serial-v0")
    print(f"\nmedian of {repeats} passes after a warm-up")
    header = f"{'contender':<40} {'env-steps/s':>12} {'us/step':>8} {'/ scalar':>9}"
    print(header + (f" {'/ Serial-v0':>11}" if serial else "") + "   min..max")
    for contender in contenders:
        rate = by_name[contender.name]
        line = f"{contender.name:<40} {rate:>12,.0f} {1e6 / rate:>8.2f} {rate / scalar:>8.1f}x"
        if serial:
            line += f" {rate / serial:>10.1f}x"
        print(f"{line}   {min(contender.rates):,.0f}..{max(contender.rates):,.0f}")
    top = by_name[f"batch simulator B={SIZES[-1]}"]
    verdict = "meets" if top >= TARGET_RATE and top / scalar > TARGET_RATIO else "MISSES"
    print(
        f"\nbatch B={SIZES[-1]}: {top:,.0f} env-steps/s, {top / scalar:.1f}x the scalar "
        f"simulator; {verdict} the target (>= {TARGET_RATE:,} and > {TARGET_RATIO:.0f}x)"
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
    measure(contenders, args.repeats)
    report(contenders, args.repeats)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
