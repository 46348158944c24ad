"""Benchmark: the simulator's step at two git revisions, in CPU time, interleaved finely.

``bench/bench_step.py`` times wall clock, which on a shared, loaded machine swings by several
times between runs. This compares two revisions of the code on the same workload (the busy
pre-built actions of ``bench_step.our_episodes``) in CPU seconds of the stepping process, so
other processes' load mostly drops out:

* each revision is exported (``git archive``) to a temporary directory, or ``.`` is used as is;
* ``--pairs`` pairs of fresh worker processes (one per revision) each play ``--rounds`` chunks
  of 10 episodes, the two taking turns chunk by chunk (first one, then the other, alternating);
* it prints the median microseconds per step of each, the median of the per-chunk ratios
  (with quartiles) and the median ratio of each process pair (a process-level spread: memory
  layout differs from process to process).

Compare a revision with itself first to see the noise floor. From the repository root::

    .venv/bin/python bench/bench_step_revisions.py main HEAD
    .venv/bin/python bench/bench_step_revisions.py main main     # the noise floor
    .venv/bin/python bench/bench_step_revisions.py HEAD .        # uncommitted changes
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 10
EPISODES = 40

WORKER = f"""
import json, sys, time
sys.path.insert(0, ".")
sys.argv = ["bench"]
import bench.bench_step as bench
from server.inventory_env import InventoryEnvironment
episodes = bench.our_episodes({EPISODES}, True)
env = InventoryEnvironment()

def play(chunk):
    cpu = 0.0
    for episode in chunk:
        env.reset(**episode.reset_kwargs)
        started = time.process_time()
        for action in episode.actions:
            env.step(action)
        cpu += time.process_time() - started
    return cpu, sum(len(e.actions) for e in chunk)

play(episodes)  # warm-up
print("ready", flush=True)
for line in sys.stdin:
    start = int(line) * {CHUNK} % {EPISODES}
    print(json.dumps(play(episodes[start : start + {CHUNK}])), flush=True)
"""


def export(revision: str, into: Path) -> Path:
    """The tree of ``revision`` in a fresh directory (``.``: this working tree as it is)."""
    if revision == ".":
        return ROOT
    target = into / revision.replace("/", "_")
    if target.exists():
        return target
    target.mkdir()
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def measure(trees: tuple[Path, Path], rounds: int, pairs: int) -> tuple[list, list, list]:
    """Per chunk microseconds/step of both trees, and each process pair's median ratio."""
    first: list[float] = []
    second: list[float] = []
    per_pair: list[float] = []
    for _ in range(pairs):
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER],
                cwd=tree,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
            )
            for tree in trees
        ]
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        mine: tuple[list[float], list[float]] = ([], [])
        for index in range(rounds):
            order = (0, 1) if index % 2 == 0 else (1, 0)
            for which in order:
                worker = workers[which]
                assert worker.stdin is not None and worker.stdout is not None
                worker.stdin.write(f"{index}\n")
                worker.stdin.flush()
                seconds, steps = json.loads(worker.stdout.readline())
                mine[which].append(1e6 * seconds / steps)
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait()
        first += mine[0]
        second += mine[1]
        per_pair.append(statistics.median(b / a for a, b in zip(*mine, strict=True)))
    return first, second, per_pair


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", help="git revision, or . for the working tree")
    parser.add_argument("candidate", help="git revision, or . for the working tree")
    parser.add_argument("--rounds", type=int, default=15, help="chunks per process pair")
    parser.add_argument("--pairs", type=int, default=6, help="fresh process pairs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        trees = (export(args.baseline, Path(scratch)), export(args.candidate, Path(scratch)))
        base, cand, per_pair = measure(trees, args.rounds, args.pairs)
    ratios = [b / a for a, b in zip(base, cand, strict=True)]
    low, _, high = statistics.quantiles(ratios, n=4)
    print(f"CPU time per step, {len(ratios)} interleaved chunks of {CHUNK} episodes")
    print(f"  {args.baseline:<12} {statistics.median(base):7.1f} us/step (median)")
    print(f"  {args.candidate:<12} {statistics.median(cand):7.1f} us/step (median)")
    print(
        f"  {args.candidate} / {args.baseline}: {statistics.median(ratios):.3f} "
        f"(quartiles {low:.3f}..{high:.3f}); per process pair: "
        + " ".join(f"{r:.3f}" for r in per_pair)
    )


if __name__ == "__main__":
    main()
