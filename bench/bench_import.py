"""Import time of the grader, the simulator, the models and the client, each in a fresh
interpreter, against the eager imports they replaced (measured in the same run).

    python bench/bench_import.py            # ~1-2 min on 2 shared cores; --repeats N (>= 3)

"before" imports what ``server.grader`` pulled in until openenv's packages were deferred
(``server/openenv_light.py``) and scipy was imported only to solve a ceiling: openenv's whole
server package (FastAPI, MCP, Gradio) and scipy's optimizer, then the grader. Each figure is
the median of the time spent inside ``import`` (interpreter start-up excluded); the variants
take turns so that load on the machine hits them alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_GRADER_S = 1.5

VARIANTS: dict[str, str] = {
    "server.grader": "import server.grader",
    "server.inventory_env": "import server.inventory_env",
    "models": "import models",
    "client": "import client",
    "before: openenv.core + scipy + server.grader": (
        "import openenv.core.env_server, scipy.optimize, scipy.sparse; import server.grader"
    ),
}


def time_import(statement: str) -> float:
    code = (
        "import time; started = time.perf_counter(); "
        f"{statement}; print(time.perf_counter() - started)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")
    for statement in VARIANTS.values():  # warm the bytecode caches once
        time_import(statement)
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.repeats):
        for name, statement in VARIANTS.items():
            samples[name].append(time_import(statement))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    before = medians["before: openenv.core + scipy + server.grader"]
    print(f"Python {sys.version.split()[0]}, {args.repeats} fresh interpreters per row, medians")
    print("| import | median s | min s | max s | / before |")
    print("|---|---:|---:|---:|---:|")
    for name, values in samples.items():
        print(
            f"| {name} | {medians[name]:.2f} | {min(values):.2f} | {max(values):.2f} "
            f"| {medians[name] / before:.2f} |"
        )
    grader = medians["server.grader"]
    verdict = "met" if grader < TARGET_GRADER_S else "NOT met"
    print(f"target: server.grader under {TARGET_GRADER_S} s: {verdict} ({grader:.2f} s)")


if __name__ == "__main__":
    main()
