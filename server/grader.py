"""Scores an episode's profit between two baselines of the same scenario ``(task, seed)``.

* floor: the profit of ``PassiveAgent`` (never buys, never liquidates, prices 1.0x), played
  through the real simulator with ``run_episode``;
* ceiling: the perfect-information bound of ``server.ceiling`` -- no policy, even one that
  knows every future draw, can earn more;
* ``score = clamp((profit - floor) / (ceiling - floor), 0, 1)``; the unclamped value is
  reported too.

A hidden scenario (drawn with the operator's secret, ``server.hidden_scenarios``) is graded on
itself: ``grade_scenario`` replays the passive agent and solves the ceiling on its own tables.

Baselines are computed once per scenario and cached (thread-safe, bounded), so a
cached ``grade`` costs microseconds. The ceiling's tightness is checked by replaying the
solver's plan (``clairvoyant_plan``) through the simulator: ``ceiling_report``.

``python -m server.grader --report`` prints the table of docs/grading.md for each task's
default seed.
"""

from __future__ import annotations

import argparse
import math
import numbers
import statistics
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from models import InventoryAction
from server import solver_pool
from server.agents import PassiveAgent, ReplayAgent
from server.ceiling import CeilingSolution
from server.clairvoyant import plan_actions
from server.constants import TASK_NAMES
from server.in_process_episode import run_episode
from server.known_ceilings import known_ceiling, scipy_available
from server.scenario import Scenario, resolve_seed
from server.task_catalog import get_task

CACHE_SIZE = 256
"""Scenarios whose baselines stay cached (least recently used are dropped first)."""


@dataclass
class _Baselines:
    """Everything computed for one scenario; the plan only when first asked for."""

    floor: float
    solution: CeilingSolution
    plan: list[InventoryAction] | None = None
    replayed_profit: float | None = None
    replay_seconds: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_CacheKey = tuple[str, int, str, bytes | None]
"""``(task, seed, task file digest, secret tag)``: a hidden scenario is not the public one of
its seed, and a task file changed in process is solved anew."""
_cache: OrderedDict[_CacheKey, _Baselines] = OrderedDict()
_cache_lock = threading.Lock()
_key_locks: dict[_CacheKey, threading.Lock] = {}


def _key(task_name: str, seed: int | None) -> tuple[str, int, str]:
    """``(task, seed, task file digest)``: a task file changed in process is solved anew."""
    task = get_task(task_name)
    return task_name, resolve_seed(seed, task), task.digest


def _scenario_key(scenario: Scenario) -> _CacheKey:
    task = get_task(scenario.task_name)
    return scenario.task_name, scenario.seed, task.digest, scenario.secret_tag


def _baselines(task_name: str, seed: int | None, scenario: Scenario | None = None) -> _Baselines:
    """The cached baselines of a scenario (``scenario`` when given, else the public one of
    ``(task_name, seed)``); computed once even when threads ask together."""
    if scenario is None:
        key: _CacheKey = (*_key(task_name, seed), None)
    else:
        key = _scenario_key(scenario)
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
            return entry
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        with _cache_lock:
            entry = _cache.get(key)
        if entry is None:
            floor = run_episode(PassiveAgent(), key[0], key[1], scenario=scenario).profit
            solution = solver_pool.solve(key[0], key[1], scenario)
            entry = _Baselines(floor=float(floor), solution=solution)
            with _cache_lock:
                _cache[key] = entry
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
    with _cache_lock:
        _key_locks.pop(key, None)
    return entry


def is_cached(task_name: str, seed: int | None = None) -> bool:
    """Whether the baselines of ``(task_name, seed)`` are cached (grading them is instant)."""
    key: _CacheKey = (*_key(task_name, seed), None)
    with _cache_lock:
        return key in _cache


def scenario_is_cached(scenario: Scenario) -> bool:
    """Whether the baselines of a drawn scenario (public or hidden) are cached."""
    with _cache_lock:
        return _scenario_key(scenario) in _cache


def clear_cache() -> None:
    """Forget every cached baseline (benchmarks time uncached solves with this)."""
    with _cache_lock:
        _cache.clear()


def compute_floor(task_name: str, seed: int | None = None) -> float:
    """The floor alone: the passive policy's profit, played through the simulator (no scipy)."""
    task_name, seed, _ = _key(task_name, seed)
    return float(run_episode(PassiveAgent(), task_name, seed).profit)


def compute_baselines(task_name: str, seed: int | None = None) -> tuple[float, float]:
    """``(floor, ceiling)`` of ``(task_name, seed)``; ``seed=None`` is the task's default.

    Without scipy the ceiling of a task's default seed comes from ``server.known_ceilings``
    (the solver's value, recorded); any other scenario raises ImportError naming scipy."""
    if not scipy_available():
        return compute_floor(task_name, seed), known_ceiling(task_name, seed)
    entry = _baselines(task_name, seed)
    return entry.floor, entry.solution.bound


def scenario_baselines(scenario: Scenario) -> tuple[float, float]:
    """``(floor, ceiling)`` of a drawn scenario, public or hidden (a hidden one needs scipy)."""
    if scenario.secret_tag is None:
        return compute_baselines(scenario.task_name, scenario.seed)
    entry = _baselines(scenario.task_name, scenario.seed, scenario)
    return entry.floor, entry.solution.bound


def _checked_profit(agent_profit: float) -> float:
    if isinstance(agent_profit, bool) or not isinstance(agent_profit, numbers.Real):
        raise ValueError(f"agent_profit must be a number, got {agent_profit!r}")
    profit = float(agent_profit)
    if not math.isfinite(profit):
        raise ValueError(f"agent_profit must be finite, got {profit}")
    return profit


def grade(task_name: str, agent_profit: float, seed: int | None = None) -> dict[str, Any]:
    """Score ``agent_profit`` on ``(task_name, seed)`` between the floor and the ceiling.

    When the ceiling does not exceed the floor (a degenerate scenario) the unclamped score is
    1.0 for a profit at or above the ceiling and 0.0 below it.
    """
    profit = _checked_profit(agent_profit)
    task_name, seed, _ = _key(task_name, seed)
    floor, ceiling = compute_baselines(task_name, seed)
    return _graded(task_name, seed, profit, floor, ceiling)


def grade_scenario(scenario: Scenario, agent_profit: float) -> dict[str, Any]:
    """``grade`` on a drawn scenario; a hidden one answers ``"seed": None``."""
    profit = _checked_profit(agent_profit)
    floor, ceiling = scenario_baselines(scenario)
    seed = None if scenario.secret_tag is not None else scenario.seed
    return _graded(scenario.task_name, seed, profit, floor, ceiling)


def _graded(
    task_name: str, seed: int | None, profit: float, floor: float, ceiling: float
) -> dict[str, Any]:
    span = ceiling - floor
    degenerate = 1.0 if profit >= ceiling else 0.0
    unclamped = (profit - floor) / span if span > 0.0 else degenerate
    return {
        "task_name": task_name,
        "seed": seed,
        "agent_profit": profit,
        "floor": floor,
        "ceiling": ceiling,
        "score": min(1.0, max(0.0, unclamped)),
        "unclamped_score": unclamped,
    }


def _planned(task_name: str, seed: int | None) -> _Baselines:
    """Baselines with the plan and its replay filled in."""
    entry = _baselines(task_name, seed)
    with entry.lock:
        if entry.plan is None:
            started = time.perf_counter()
            plan = plan_actions(entry.solution)
            solution = entry.solution
            replay = run_episode(
                ReplayAgent(plan, "clairvoyant"), solution.task_name, solution.seed
            )
            entry.replay_seconds = time.perf_counter() - started
            entry.replayed_profit = replay.profit
            entry.plan = plan
    return entry


def clairvoyant_plan(task_name: str, seed: int | None = None) -> list[InventoryAction]:
    """The ceiling solver's plan as one action per day, checked against the simulator:
    replayed with ``clairvoyant_agent`` it earns ``ceiling_report(...)["replayed_profit"]``."""
    entry = _planned(task_name, seed)
    assert entry.plan is not None
    return [action.model_copy(deep=True) for action in entry.plan]


def clairvoyant_agent(task_name: str, seed: int | None = None) -> ReplayAgent:
    """An agent that plays the clairvoyant plan of ``(task_name, seed)``."""
    return ReplayAgent(clairvoyant_plan(task_name, seed), "clairvoyant")


def ceiling_report(
    task_name: str, seed: int | None = None, *, with_plan: bool = False
) -> dict[str, Any]:
    """Floor, ceiling, the solver's plan replayed through the simulator, and how tight the
    ceiling is (``tightness = replayed_profit / ceiling``). ``with_plan`` adds the plan's
    actions as plain dicts (``"plan"``)."""
    entry = _planned(task_name, seed)
    solution = entry.solution
    assert entry.replayed_profit is not None and entry.plan is not None
    report = {
        "task_name": solution.task_name,
        "seed": solution.seed,
        "floor": entry.floor,
        "ceiling": solution.bound,
        "plan_profit": solution.plan_profit,
        "replayed_profit": entry.replayed_profit,
        "tightness": entry.replayed_profit / solution.bound,
        "solve_seconds": solution.solve_seconds,
        "replay_seconds": entry.replay_seconds,
        "solver_status": solution.status,
    }
    if with_plan:
        report["plan"] = [action.model_dump(exclude={"metadata"}) for action in entry.plan]
    return report


def report_table(reports: list[dict[str, Any]]) -> str:
    """Markdown table of ``ceiling_report`` results, one row each."""
    lines = [
        "| Task | Seed | Floor | Ceiling | Replayed plan | Tightness |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        lines.append(
            f"| {r['task_name']} | {r['seed']} | {r['floor']:,.2f} | {r['ceiling']:,.2f} | "
            f"{r['replayed_profit']:,.2f} | {100 * r['tightness']:.2f}% |"
        )
    return "\n".join(lines)


def sweep_table(reports: list[dict[str, Any]]) -> str:
    """Markdown table of the tightness of ``ceiling_report`` results, one row per task."""
    lines = [
        "| Task | Seeds | Tightness min | median | max | Ceiling / floor (median) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for task_name in TASK_NAMES:
        mine = [r for r in reports if r["task_name"] == task_name]
        if not mine:
            continue
        tightness = sorted(r["tightness"] for r in mine)
        seeds = sorted(r["seed"] for r in mine)
        ratio = statistics.median(r["ceiling"] / r["floor"] for r in mine)
        lines.append(
            f"| {task_name} | {seeds[0]}-{seeds[-1]} | {100 * tightness[0]:.2f}% | "
            f"{100 * statistics.median(tightness):.2f}% | {100 * tightness[-1]:.2f}% | "
            f"{ratio:.1f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """``python -m server.grader [--report [--seed N]] [--sweep N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--report", action="store_true", help="markdown table: floor, ceiling, tightness"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed (default: each task's)")
    parser.add_argument(
        "--sweep", type=int, default=0, metavar="N", help="tightness over seeds 0..N-1"
    )
    args = parser.parse_args(argv)
    if args.report:
        print(report_table([ceiling_report(task, args.seed) for task in TASK_NAMES]))
    if args.sweep:
        seeds = range(args.sweep)
        print(sweep_table([ceiling_report(task, seed) for task in TASK_NAMES for seed in seeds]))
    if args.report or args.sweep:
        return
    for task_name in TASK_NAMES:
        floor, ceiling = compute_baselines(task_name, args.seed)
        print(f"{task_name}: floor={floor:.2f}, ceiling={ceiling:.2f}")


if __name__ == "__main__":
    main()
