"""Benchmark: in-process stepping of our simulator against gym-invmgmt's ``Serial-v0``.

Both environments play full 30-day episodes with a non-trivial action every day, and both
build their observation every step (ours returns an ``InventoryObservation``, theirs a numpy
state vector). Timings are medians over several repeats taken after a warm-up, with the two
environments interleaved inside each repeat so machine noise hits both alike.

What is timed
    Only the ``step`` calls of each episode (``reset`` happens outside the timed span); the
    actions are built before the timed loop for both environments, so the figure is the cost
    of simulating a day and building its observation. Ours are validated ``InventoryAction``
    objects: orders of 2-4 products with the shipping method rotating slow / medium / fast by
    day, small liquidations and price multipliers on 3-5 products. Theirs are random order
    quantities on every reorder link. One extra row, "validated in the loop", builds each of
    our actions from a plain dict inside the timed loop (what the HTTP/WebSocket server does).

Run it from the repository root (gym-invmgmt is a benchmark-only dependency: give it its own
venv, never the project's)::

    python3 -m venv ../benchvenv && ../benchvenv/bin/pip install -e . gym-invmgmt
    ../benchvenv/bin/python bench/bench_step.py

Without gym-invmgmt installed (e.g. ``.venv/bin/python bench/bench_step.py``) the script still
prints our own figures and says how to install it (``pip install gym-invmgmt``). ``--repeats``,
``--episodes`` and ``--chunk`` trade time for stability; the defaults take 15-25 seconds.
The machine this was written on is shared and noisy: trust the ratios more than the rates.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from models import InventoryAction  # noqa: E402
from server.constants import (  # noqa: E402
    DELIVERY_METHODS,
    EPISODE_DAYS,
    PRODUCTS,
    TASK_NAMES,
)
from server.inventory_env import InventoryEnvironment  # noqa: E402
from server.task_catalog import get_task  # noqa: E402

THEIR_ENV_ID = "GymInvMgmt/Serial-v0"
TARGET_RATIO = 2.0
INSTALL_HINT = (
    "gym-invmgmt is not installed in this interpreter, so only our figures are shown.\n"
    "  Install it for the benchmark only (never as a project dependency):\n"
    "    pip install gym-invmgmt\n"
    "  e.g. in a separate venv, from the repository root:\n"
    "    python3 -m venv ../benchvenv && ../benchvenv/bin/pip install -e . gym-invmgmt\n"
    "    ../benchvenv/bin/python bench/bench_step.py"
)


@dataclass
class Episode:
    """One episode to play: what to pass to reset, and the day-by-day actions."""

    reset_kwargs: dict[str, Any]
    actions: list[Any]


@dataclass
class Contender:
    """A named environment under test: how to reset it and step it."""

    name: str
    reset: Callable[..., Any]
    step: Callable[[Any], Any]
    episodes: list[Episode]


# ------------------------------------------------------------------ workloads
def our_action_dict(rng: random.Random, task_name: str, day: int) -> dict[str, Any]:
    """A plausible, busy day: several orders, a rotating shipping method, prices, disposal."""
    demand_range = get_task(task_name).base_demand
    bought = rng.sample(PRODUCTS, rng.randint(2, 4))
    priced = rng.sample(PRODUCTS, rng.randint(3, 5))
    liquidated = rng.sample(PRODUCTS, rng.randint(1, 2))
    return {
        "buy_quantities": {p: rng.randint(1, 2 * demand_range[p][1] + 1) for p in bought},
        "delivery_method": DELIVERY_METHODS[day % len(DELIVERY_METHODS)],
        "liquidate": {p: rng.randint(0, 3) for p in liquidated},
        "price_multipliers": {p: round(rng.uniform(0.7, 1.3), 2) for p in priced},
    }


def our_episodes(count: int, validated: bool) -> list[Episode]:
    """``count`` episodes cycling through the tasks, each with its own seed and schedule."""
    episodes = []
    for index in range(count):
        task_name = TASK_NAMES[index % len(TASK_NAMES)]
        rng = random.Random(index)
        dicts = [our_action_dict(rng, task_name, day) for day in range(EPISODE_DAYS)]
        actions = [InventoryAction.model_validate(d) for d in dicts] if validated else dicts
        episodes.append(Episode({"seed": index, "task_name": task_name}, actions))
    return episodes


def our_contenders(episode_count: int) -> list[Contender]:
    env = InventoryEnvironment()
    in_loop = InventoryEnvironment()
    return [
        Contender(
            "ours, pre-built actions", env.reset, env.step, our_episodes(episode_count, True)
        ),
        Contender(
            "ours, actions validated in the loop",
            in_loop.reset,
            lambda action: in_loop.step(InventoryAction.model_validate(action)),
            our_episodes(episode_count, False),
        ),
    ]


def their_contenders(episode_count: int) -> list[Contender] | None:
    """gym-invmgmt's registered ``Serial-v0`` (as ``gymnasium.make`` returns it, and bare)."""
    try:
        import gym_invmgmt  # noqa: F401  (importing registers the environments)
        import gymnasium
    except ImportError:
        return None
    wrapped = gymnasium.make(THEIR_ENV_ID)
    bare = gymnasium.make(THEIR_ENV_ID).unwrapped
    periods = bare.num_periods
    links = bare.action_space.shape[0]
    mean_demand = 20  # Serial-v0 registers stationary demand with base_mu=20
    rng = np.random.default_rng(0)
    episodes = [
        Episode(
            {"seed": index},
            list(rng.integers(0, 2 * mean_demand + 1, size=(periods, links)).astype(np.float64)),
        )
        for index in range(episode_count)
    ]
    return [
        Contender("Serial-v0 via gymnasium.make", wrapped.reset, wrapped.step, episodes),
        Contender("Serial-v0 unwrapped CoreEnv", bare.reset, bare.step, episodes),
    ]


# ------------------------------------------------------------------ timing
def check_episode_length(contender: Contender) -> None:
    """Guard against timing short episodes: one episode must last the full 30 steps."""
    episode = contender.episodes[0]
    contender.reset(**episode.reset_kwargs)
    for day, action in enumerate(episode.actions, start=1):
        result = contender.step(action)
        done = result.done if hasattr(result, "done") else (result[2] or result[3])
        if done != (day == EPISODE_DAYS):
            raise SystemExit(f"{contender.name}: done={done} on step {day}, expected day 30 only")


def time_steps(contender: Contender, episodes: Sequence[Episode]) -> float:
    """Play ``episodes``; return the seconds spent inside ``step`` calls (resets excluded)."""
    reset, step, clock = contender.reset, contender.step, time.perf_counter
    elapsed = 0.0
    for episode in episodes:
        reset(**episode.reset_kwargs)
        started = clock()
        for action in episode.actions:
            step(action)
        elapsed += clock() - started
    return elapsed


def measure(contenders: Sequence[Contender], repeats: int, chunk: int) -> dict[str, list[float]]:
    """One warm-up pass, then ``repeats`` passes; steps/s per pass per contender.

    Within a pass the contenders take turns every ``chunk`` episodes, so a burst of load from
    other processes on this shared machine slows all of them rather than one.
    """
    for contender in contenders:
        check_episode_length(contender)
        time_steps(contender, contender.episodes)
    rates: dict[str, list[float]] = {c.name: [] for c in contenders}
    for _ in range(repeats):
        gc.collect()
        seconds = dict.fromkeys(rates, 0.0)
        for start in range(0, len(contenders[0].episodes), chunk):
            for contender in contenders:
                episodes = contender.episodes[start : start + chunk]
                seconds[contender.name] += time_steps(contender, episodes)
        for contender in contenders:
            steps = sum(len(e.actions) for e in contender.episodes)
            rates[contender.name].append(steps / seconds[contender.name])
    return rates


# ------------------------------------------------------------------ report
def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def print_environment() -> None:
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"numpy {np.__version__}, pydantic {package_version('pydantic')}, "
        f"gymnasium {package_version('gymnasium')}, gym-invmgmt {package_version('gym-invmgmt')}"
    )
    print(f"{platform.platform()}, {os.cpu_count()} CPUs (os.cpu_count)")
    print("Note: a shared, noisy machine; compare the ratios more than the absolute figures.")


def describe_our_workload(episodes: Sequence[Episode]) -> str:
    """What our actions actually did (untimed replay), to show the workload is not idle."""
    env = InventoryEnvironment()
    accepted = rejected = sold = liquidated = in_transit = 0
    for episode in episodes:
        env.reset(**episode.reset_kwargs)
        for action in episode.actions:
            observation = env.step(action)
            rejected += len(observation.rejected_orders)
            accepted += len(action.buy_quantities) - len(observation.rejected_orders)
            sold += sum(observation.units_sold.values())
            liquidated += sum(observation.units_liquidated.values())
            in_transit += len(observation.updated_deliveries)
    steps = sum(len(e.actions) for e in episodes)
    return (
        f"our workload per step: {accepted / steps:.1f} orders accepted, "
        f"{rejected / steps:.1f} rejected, {sold / steps:.0f} units sold, "
        f"{liquidated / steps:.1f} liquidated, {in_transit / steps:.1f} shipments in transit"
    )


def print_rates(rates: dict[str, list[float]], repeats: int, steps: int) -> None:
    print(f"\nmedian of {repeats} repeats after a warm-up; {steps} steps per repeat each")
    print(f"{'environment':<38} {'steps/s':>9} {'us/step':>8}   min..max steps/s")
    for name, values in rates.items():
        median = statistics.median(values)
        print(
            f"{name:<38} {median:>9,.0f} {1e6 / median:>8.1f}   "
            f"{min(values):,.0f}..{max(values):,.0f}"
        )


def print_ratio(rates: dict[str, list[float]], ours: str, theirs: str, judged: bool) -> None:
    """Ratio of medians, with the spread of the per-repeat (same time window) ratios."""
    paired = [a / b for a, b in zip(rates[ours], rates[theirs], strict=True)]
    ratio = statistics.median(rates[ours]) / statistics.median(rates[theirs])
    if judged:
        verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
        note = f"{verdict} the {TARGET_RATIO:.0f}x target"
    else:
        note = "not judged: includes validating the action, theirs has no such step"
    print(
        f"{ours} / {theirs}: {ratio:.2f}x per step "
        f"(paired per repeat {min(paired):.2f}..{max(paired):.2f}); {note}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed passes (default 7)")
    parser.add_argument("--episodes", type=int, default=150, help="episodes per pass")
    parser.add_argument("--chunk", type=int, default=5, help="episodes per turn within a pass")
    args = parser.parse_args(argv)

    print_environment()
    contenders = our_contenders(args.episodes)
    print(describe_our_workload(contenders[0].episodes))
    theirs = their_contenders(args.episodes)
    if theirs is None:
        print("\n" + INSTALL_HINT)
    else:
        print(f"their workload: {THEIR_ENV_ID}, random orders of 0..40 units on every reorder link")
        contenders += theirs
    rates = measure(contenders, args.repeats, args.chunk)
    steps = {sum(len(e.actions) for e in c.episodes) for c in contenders}
    assert len(steps) == 1, steps  # every contender plays the same number of steps
    print_rates(rates, args.repeats, steps.pop())
    if theirs is not None:
        print()
        for position, ours in enumerate(contenders[:2]):
            for their in theirs:
                print_ratio(rates, ours.name, their.name, judged=position == 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
