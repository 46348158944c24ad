"""Score the built-in agents and the clairvoyant plan over many seeds: the README's table.

    python scripts/evaluate.py                      # seeds 0..19, every task, markdown table
    python scripts/evaluate.py --seeds 0-4 --tasks hard --json scores.json
    python scripts/evaluate.py --tasks-dir my_tasks --tasks easy,shop   # a user's task files

Episodes run in process (``server.agents.run_episode``) and are scored by ``server.grader``:
floor = passive policy, ceiling = perfect-information bound, score clamped to [0, 1].
"clairvoyant" replays the ceiling solver's own plan through the simulator (what perfect
knowledge of the scenario earns in practice). Scenarios are spread over ``--jobs`` processes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server.agents import make_agent, run_episode  # noqa: E402
from server.task_catalog import TASKS_DIR_ENV, set_tasks_dir, task_names  # noqa: E402

AGENTS = ("passive", "random", "basestock", "heuristic", "clairvoyant")


def score_scenario(task_name: str, seed: int) -> dict[str, Any]:
    """Profit and score of every agent on one scenario."""
    from server import grader  # imported here: each worker process builds its own cache

    floor, ceiling = grader.compute_baselines(task_name, seed)
    row: dict[str, Any] = {"task": task_name, "seed": seed, "floor": floor, "ceiling": ceiling}
    for name in AGENTS:
        if name == "clairvoyant":
            agent = grader.clairvoyant_agent(task_name, seed)
        else:
            agent = make_agent(name, seed)
        profit = run_episode(agent, task_name, seed).profit
        grade = grader.grade(task_name, profit, seed)
        row[name] = {"profit": profit, "score": grade["score"]}
    return row


def _spread(values: list[float]) -> str:
    mean = statistics.fmean(values)
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    interval = f"[{mean - half:.3f}, {mean + half:.3f}]"
    return f"{mean:.3f} {interval} ({min(values):.2f}–{max(values):.2f})"


def markdown_table(rows: list[dict[str, Any]], seeds: list[int]) -> str:
    """Mean [95% confidence interval] (min–max) of the score per task and agent."""
    label = f"{seeds[0]}..{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else ""
    lines = [
        f"Score over seeds {label or ', '.join(map(str, seeds))} "
        "(mean [95% confidence interval of the mean], min–max):",
        "",
        "| Task | " + " | ".join(AGENTS) + " |",
        "|---|" + "---|" * len(AGENTS),
    ]
    for task in dict.fromkeys(row["task"] for row in rows):
        task_rows = [row for row in rows if row["task"] == task]
        cells = [_spread([row[name]["score"] for row in task_rows]) for name in AGENTS]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            seeds.extend(range(low, high + 1))
        elif part.strip():
            seeds.append(int(part))
    return seeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-19", help="'0-19' (default), '1,5,9'")
    parser.add_argument("--tasks", default=None, help="comma-separated tasks (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument("--json", type=Path, default=None, help="also write every row here")
    parser.add_argument(
        "--tasks-dir", type=Path, default=None, help=f"a directory of task files ({TASKS_DIR_ENV})"
    )
    args = parser.parse_args(argv)
    if args.tasks_dir is not None:
        os.environ[TASKS_DIR_ENV] = str(args.tasks_dir.resolve())  # worker processes read it
        set_tasks_dir(args.tasks_dir)
    seeds = parse_seeds(args.seeds)
    tasks = [t.strip() for t in (args.tasks or ",".join(task_names())).split(",") if t.strip()]
    unknown = [t for t in tasks if t not in task_names()]
    if unknown or not seeds:
        parser.error(f"unknown tasks {unknown} or no seeds")
    jobs = [(task, seed) for task in tasks for seed in seeds]
    started = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            rows = list(pool.map(score_scenario, *zip(*jobs, strict=True)))
    else:
        rows = [score_scenario(task, seed) for task, seed in jobs]
    print(markdown_table(rows, seeds))
    print(f"\n{len(rows)} scenarios in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
