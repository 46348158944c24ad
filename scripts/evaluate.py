"""Score the built-in agents and the clairvoyant plan over the same seeds: the README's table.

    python scripts/evaluate.py                      # seeds 0-9, all tasks, all agents
    python scripts/evaluate.py --seeds 0-19 --tasks hard --json scores.json --trace hard.jsonl
    python scripts/evaluate.py --agents heuristic,random --num-seeds 30
    python scripts/evaluate.py --publish --jobs 2   # seeds 0-49: docs/scores.json, README table

Episodes run in process and are scored by ``server.grader``: floor = passive policy,
ceiling = perfect-information bound, score clamped to [0, 1]. "clairvoyant" replays the
ceiling solver's own plan through the simulator (what perfect knowledge of the scenario
earns in practice). Every agent plays the same seeds. The output is each task's mean score
with its 95% confidence interval and the paired differences against the heuristic (see
docs/evaluation.md); ``--json`` writes the ``inventory-eval/1`` results document.
Scenarios are spread over ``--jobs`` processes. ``--publish`` plays the published set (every
built-in task and agent, seeds 0-49), writes ``docs/scores.json`` and rewrites the README's
score table and the ladder of docs/tasks.md from it (``published_scores``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import published_scores  # noqa: E402
from evaluation_stats import evaluation_document, markdown_tables, parse_seed_list  # noqa: E402
from server.task_catalog import TASKS_DIR_ENV, set_tasks_dir, task_names  # noqa: E402

AGENTS = ("passive", "random", "basestock", "heuristic", "clairvoyant")
DEFAULT_SEEDS = "0-9"


def _agent(name: str, task_name: str, seed: int) -> Any:
    from server import grader
    from server.agents import make_agent

    if name == "clairvoyant":
        return grader.clairvoyant_agent(task_name, seed)
    return make_agent(name, seed)


def score_scenario(
    task_name: str, seed: int, agents: tuple[str, ...], traced: bool
) -> list[dict[str, Any]]:
    """Every agent's episode on one scenario (with its trace lines when ``traced``)."""
    from episode_trace import EpisodeTrace
    from server import grader  # imported here: each worker process builds its own cache
    from server.in_process_episode import run_episode

    floor, ceiling = grader.compute_baselines(task_name, seed)
    rows = []
    for name in agents:
        agent = _agent(name, task_name, seed)
        trace = EpisodeTrace(None, task_name, seed, name) if traced else None
        profit = run_episode(agent, task_name, seed, observer=trace).profit
        grade = grader.grade(task_name, profit, seed)
        row = {
            "task": task_name,
            "seed": seed,
            "agent": name,
            "profit": profit,
            "score": grade["score"],
            "unclamped_score": grade["unclamped_score"],
            "floor": floor,
            "ceiling": ceiling,
        }
        if trace is not None:
            trace.finish(
                profit, {k: row[k] for k in ("score", "unclamped_score", "floor", "ceiling")}
            )
            row["trace"] = trace.lines()
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    seeds_group = parser.add_mutually_exclusive_group()
    seeds_group.add_argument("--seeds", default=None, help="'0-9' (default), '0-4,12', '1,5,9'")
    seeds_group.add_argument("--num-seeds", type=int, default=None, help="seeds 0..N-1")
    parser.add_argument("--tasks", default=None, help="comma-separated tasks (default: all)")
    parser.add_argument(
        "--tasks-dir", type=Path, default=None, help=f"a directory of task files ({TASKS_DIR_ENV})"
    )
    parser.add_argument(
        "--agents", default=",".join(AGENTS), help=f"comma-separated, of {', '.join(AGENTS)}"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument("--json", type=Path, default=None, help="write the results document")
    parser.add_argument(
        "--trace", type=Path, default=None, help="write every episode (inventory-trace/1)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="every built-in task and agent on seeds 0-49; write docs/scores.json and the "
        "README / docs/tasks.md tables made from it",
    )
    args = parser.parse_args(argv)
    if args.publish:
        fixed = [args.seeds, args.num_seeds, args.tasks, args.tasks_dir, args.trace, args.json]
        if any(value is not None for value in fixed) or args.agents != ",".join(AGENTS):
            parser.error("--publish plays a fixed set: give it only --jobs and --quiet")
        if os.environ.get(TASKS_DIR_ENV):
            parser.error(f"--publish scores the built-in tasks: unset {TASKS_DIR_ENV}")
        seed_range = published_scores.PUBLISHED_SEEDS
        args.seeds = f"{seed_range[0]}-{seed_range[-1]}"
    try:
        if args.num_seeds is not None:
            if args.num_seeds < 1:
                raise ValueError("--num-seeds must be at least 1")
            seeds = list(range(args.num_seeds))
        else:
            seeds = parse_seed_list(args.seeds or DEFAULT_SEEDS)
    except ValueError as error:
        parser.error(str(error))
    if args.tasks_dir is not None:
        os.environ[TASKS_DIR_ENV] = str(args.tasks_dir.resolve())  # worker processes read it
        set_tasks_dir(args.tasks_dir)
    known_tasks = task_names()
    tasks = [t.strip() for t in (args.tasks or ",".join(known_tasks)).split(",") if t.strip()]
    agents = tuple(dict.fromkeys(a.strip() for a in args.agents.split(",") if a.strip()))
    unknown = [t for t in tasks if t not in known_tasks] + [a for a in agents if a not in AGENTS]
    if unknown or not tasks or not agents:
        parser.error(f"unknown or missing tasks/agents: {unknown}")
    jobs = [(task, seed) for task in tasks for seed in seeds]
    traced = args.trace is not None
    started = time.perf_counter()
    progress = _progress(len(jobs), enabled=not args.quiet)
    rows: list[dict[str, Any]] = []
    if args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(score_scenario, t, s, agents, traced) for t, s in jobs]
            for (task, seed), future in zip(jobs, futures, strict=True):
                rows += future.result()
                progress(f"{task}/{seed}")
    else:
        for task, seed in jobs:
            rows += score_scenario(task, seed, agents, traced)
            progress(f"{task}/{seed}")
    if traced:
        args.trace.parent.mkdir(parents=True, exist_ok=True)
        with args.trace.open("w") as out:
            for row in rows:
                for line in row.pop("trace"):
                    out.write(json.dumps(line, separators=(",", ":")) + "\n")
    command = "python scripts/evaluate.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.publish:
        command = published_scores.PUBLISH_COMMAND
    document = evaluation_document(
        rows,
        command=command.strip(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    print(f"Mean score ± 95% confidence half-width over seeds {_label(seeds)}:\n")
    print(markdown_tables(document))
    elapsed = time.perf_counter() - started
    print(f"\n{len(jobs)} scenarios in {elapsed:.0f} s", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=1) + "\n")
    if args.publish:
        published = published_scores.compact(document)
        published_scores.write_document(published)
        pages = published_scores.update_pages(published)
        written = [published_scores.SCORES_PATH, *pages]
        print("wrote " + ", ".join(str(p.relative_to(ROOT)) for p in written), file=sys.stderr)
    return 0


def _label(seeds: list[int]) -> str:
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _progress(total: int, enabled: bool) -> Any:
    """A tqdm bar on a terminal, a plain line per scenario otherwise."""
    if enabled and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, unit="scenario", file=sys.stderr)
        return lambda key: bar.update(1) or (bar.n == total and bar.close())
    done = [0]

    def line(key: str) -> None:
        done[0] += 1
        if enabled:
            print(f"[{done[0]}/{total}] {key}", file=sys.stderr, flush=True)

    return line


if __name__ == "__main__":
    sys.exit(main())
