"""Tune the built-in ``basestock`` agent: the best member of its family per task, on seeds that
are not the evaluation seeds (0..49).

    python scripts/tune_basestock.py                    # seeds 100..119, every task
    python scripts/tune_basestock.py --tasks hard --seeds 100-104 --jobs 2

Scores every setting of the grid (price x shipping method x review period x safety factor)
by its mean grader score over the seeds, and prints the best per task as the ``TUNED`` table
of ``server/basestock_agent.py`` (paste it there).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evaluation_stats import parse_seed_list  # noqa: E402
from server.basestock_agent import BasestockAgent, BasestockSettings  # noqa: E402
from server.constants import DELIVERY_METHODS  # noqa: E402
from server.task_catalog import task_names  # noqa: E402

PRICES = (1.0, 1.1, 1.2, 1.3, 1.4, 1.5)
REVIEW_DAYS = (1, 2, 3)
SAFETY = (0.8, 1.0, 1.2, 1.4, 1.7, 2.0, 2.5, 3.0)
GRID = [
    BasestockSettings(price=p, method=m, review_days=r, safety=s)
    for p, m, r, s in itertools.product(PRICES, DELIVERY_METHODS, REVIEW_DAYS, SAFETY)
]


def baselines(task: str, seed: int) -> tuple[float, float]:
    from server import grader

    return grader.compute_baselines(task, seed)


def mean_score(
    task: str, seeds: list[int], bounds: list[tuple[float, float]], settings: BasestockSettings
) -> float:
    """Mean clamped score of one setting (the grader's formula on cached floor and ceiling)."""
    from server.in_process_episode import run_episode

    scores = []
    for seed, (floor, ceiling) in zip(seeds, bounds, strict=True):
        profit = run_episode(BasestockAgent(settings), task, seed).profit
        scores.append(min(1.0, max(0.0, (profit - floor) / (ceiling - floor))))
    return statistics.fmean(scores)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100-119")
    parser.add_argument("--tasks", default=",".join(task_names()))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    seeds = parse_seed_list(args.seeds)
    if set(seeds) & set(range(50)):
        parser.error("tune on seeds outside the evaluation seeds 0..49")
    started = time.perf_counter()
    best: dict[str, tuple[float, BasestockSettings]] = {}
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for task in [t.strip() for t in args.tasks.split(",") if t.strip()]:
            bounds = list(pool.map(baselines, [task] * len(seeds), seeds))
            n = len(GRID)
            scores = list(
                pool.map(mean_score, [task] * n, [seeds] * n, [bounds] * n, GRID, chunksize=8)
            )
            ranked = sorted(zip(scores, range(n), strict=True), reverse=True)
            for score, index in ranked[:3]:
                print(f"{task}: {score:.3f} {GRID[index]}", file=sys.stderr)
            best[task] = (ranked[0][0], GRID[ranked[0][1]])
    label = f"{seeds[0]}..{seeds[-1]}"
    print(f"TUNED: dict[str, BasestockSettings] = {{  # mean score on seeds {label}")
    for task, (score, s) in best.items():
        print(
            f'    "{task}": BasestockSettings(price={s.price}, method="{s.method}", '
            f"review_days={s.review_days}, safety={s.safety}),  # {score:.3f}"
        )
    print("}")
    print(f"{len(GRID)} settings in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
