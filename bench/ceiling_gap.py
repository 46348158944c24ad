"""Benchmark: how far the grader's ceiling sits above the program's exact optimum, and its cost.

For each task and seeds 0..N-1 the ceiling program (``server.ceiling``) is solved three ways:

    exact   branch and bound with no node limit and ``mip_rel_gap=0``: the program's optimum
            (its best plan's objective; the run checks that its dual bound equals it);
    new     ``HIGHS_OPTIONS``, what the grader uses;
    old     ``ROOT_ONLY_OPTIONS``, the earlier root-node-only settings (baseline).

Gap = (reported bound - exact optimum) / exact optimum. Every bound must be at least the
optimum (it is a proven upper bound); the run fails loudly otherwise. Solve times are process
CPU time of build + solve (steadier than wall time on a shared machine). Run from the
repository root::

    python bench/ceiling_gap.py              # seeds 0..19, all tasks, about 4 min on 2 cores
    python bench/ceiling_gap.py --seeds 5 --tasks hard
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from server.ceiling import HIGHS_OPTIONS, ROOT_ONLY_OPTIONS, CeilingSolution, solve_scenario
from server.constants import TASK_NAMES
from server.scenario import draw_scenario

EXACT_OPTIONS: dict[str, Any] = {
    **{k: v for k, v in HIGHS_OPTIONS.items() if k != "node_limit"},
    "mip_rel_gap": 0.0,
}
"""No node limit, no gap tolerance: the program's exact optimum."""


def _cpu_solve(scenario: Any, options: dict[str, Any]) -> tuple[CeilingSolution, float]:
    started = time.process_time()
    solution = solve_scenario(scenario, options)
    return solution, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 per task")
    parser.add_argument("--tasks", default=",".join(TASK_NAMES), help="comma-separated")
    args = parser.parse_args()

    print(
        f"{'task':8} {'seeds':>6} {'old gap max':>12} {'new gap max':>12} {'new median':>11} "
        f"{'exact cpu':>10} {'old cpu':>8} {'new cpu':>8} {'new/old':>8}"
    )
    for task in args.tasks.split(","):
        gaps: dict[str, list[float]] = {"old": [], "new": []}
        cpu: dict[str, list[float]] = {"old": [], "new": [], "exact": []}
        for seed in range(args.seeds):
            scenario = draw_scenario(task, seed)
            exact, cpu_exact = _cpu_solve(scenario, EXACT_OPTIONS)
            optimum = exact.plan_profit
            assert abs(exact.bound - optimum) <= 1e-9 * abs(optimum), (task, seed, exact.status)
            cpu["exact"].append(cpu_exact)
            for name, options in (("old", ROOT_ONLY_OPTIONS), ("new", HIGHS_OPTIONS)):
                solution, seconds = _cpu_solve(scenario, options)
                assert solution.bound >= optimum * (1 - 1e-9), (task, seed, name, solution.bound)
                gaps[name].append(100 * (solution.bound - optimum) / optimum)
                cpu[name].append(seconds)
        median = {name: statistics.median(values) for name, values in cpu.items()}
        print(
            f"{task:8} {'0-' + str(args.seeds - 1):>6} {max(gaps['old']):11.3f}% "
            f"{max(gaps['new']):11.3f}% {statistics.median(gaps['new']):10.3f}% "
            f"{median['exact']:8.2f} s {median['old']:6.2f} s {median['new']:6.2f} s "
            f"{median['new'] / median['old']:7.2f}x"
        )
    print("(gap: bound above the exact optimum; cpu: medians of build + solve, process time)")


if __name__ == "__main__":
    main()
