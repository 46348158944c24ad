"""Benchmark: the grader's uncached ceiling solve per task, against a cached ``grade``.

What is timed, for each task's default seed
    uncached   ``compute_baselines`` right after ``clear_cache()``: the passive floor episode,
               building the ceiling program and HiGHS's solve (target: median under 2 s on this
               machine).
    old/new    the ceiling solve alone (build + HiGHS, CPU time) with the settings before issue
               9 (``ROOT_ONLY_OPTIONS``, root node only) and with the grader's
               (``HIGHS_OPTIONS``), alternating, and their ratio: what the tighter bound costs.
    floor      one passive episode (``run_episode(PassiveAgent())``), the part of an uncached
               call that is plain simulation: a baseline measured in the same run.
    plan       the solver's plan turned into checked actions and replayed
               (``ceiling_report`` once the baselines are cached; not part of ``grade``).
    cached     ``grade(task, profit)`` with the baselines cached (target: median under 1 ms).

Medians over ``--repeats`` uncached solves (at least 5) and ``--calls`` cached calls, in wall
time and, for the solves, process CPU time too: the machine this runs on is shared with other
work, and CPU time is the steadier of the two. Run from the repository root::

    python bench/bench_grader.py
    python bench/bench_grader.py --repeats 9 --calls 20000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from server import grader
from server.agents import PassiveAgent
from server.ceiling import HIGHS_OPTIONS, ROOT_ONLY_OPTIONS, solve_scenario
from server.constants import TASK_NAMES
from server.in_process_episode import run_episode
from server.scenario import draw_scenario


def _timed(function: Callable[..., object], *args: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="uncached solves per task (>= 5)")
    parser.add_argument("--calls", type=int, default=10_000, help="cached grade() calls per task")
    args = parser.parse_args()
    repeats = max(5, args.repeats)

    print(
        f"{'task':8} {'uncached wall':>14} {'uncached cpu':>13} {'floor':>9} {'plan':>9} "
        f"{'cached grade':>13} {'cached/uncached':>16} {'old cpu':>8} {'new cpu':>8} "
        f"{'new/old':>8}"
    )
    for task in TASK_NAMES:
        uncached = []
        for _ in range(repeats):
            grader.clear_cache()
            uncached.append(_timed(grader.compute_baselines, task))
        floor = statistics.median(
            _timed(run_episode, PassiveAgent(), task)[0] for _ in range(repeats)
        )
        plan = _timed(grader.ceiling_report, task)[0]
        floor_value, ceiling_value = grader.compute_baselines(task)
        profit = (floor_value + ceiling_value) / 2
        cached = []
        for _ in range(args.calls):
            start = time.perf_counter()
            grader.grade(task, profit)
            cached.append(time.perf_counter() - start)
        scenario = draw_scenario(task)
        settings: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(repeats):
            settings["old"].append(_timed(solve_scenario, scenario, ROOT_ONLY_OPTIONS)[1])
            settings["new"].append(_timed(solve_scenario, scenario, HIGHS_OPTIONS)[1])
        old, new = (statistics.median(settings[name]) for name in ("old", "new"))
        wall = statistics.median(w for w, _ in uncached)
        cpu = statistics.median(c for _, c in uncached)
        hit = statistics.median(cached)
        print(
            f"{task:8} {wall * 1e3:11.0f} ms {cpu * 1e3:10.0f} ms {floor * 1e3:6.2f} ms "
            f"{plan * 1e3:6.0f} ms {hit * 1e6:10.1f} us {hit / wall:16.2e} "
            f"{old * 1e3:5.0f} ms {new * 1e3:5.0f} ms {new / old:7.2f}x"
        )
    print(f"(medians: {repeats} uncached solves, {args.calls} cached calls per task)")


if __name__ == "__main__":
    main()
