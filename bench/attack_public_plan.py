"""Measurement: the replay-the-public-plan attack against hidden scenarios.

An agent that knows ``(task, seed)`` replays the public clairvoyant plan of that seed. On a
server with ``SCENARIO_SECRET`` the scenario of ``(task, seed)`` is another one, drawn with
the secret; this plays both the attack and the heuristic (the baseline, in the same run) on
the hidden scenarios of seeds ``0..N-1`` and grades them on those scenarios. Prints each
task's mean score, the per-seed scores and the ratio attack / heuristic. Run from the
repository root::

    python bench/attack_public_plan.py --seeds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.agents import ReplayAgent, make_agent  # noqa: E402
from server.constants import TASK_NAMES  # noqa: E402
from server.grader import clairvoyant_plan, grade_scenario  # noqa: E402
from server.in_process_episode import run_episode  # noqa: E402
from server.scenario import draw_scenario  # noqa: E402

SECRET = "bench-attack-secret-0123456789"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per task")
    args = parser.parse_args()
    for task in TASK_NAMES:
        started = time.perf_counter()
        attack, heuristic = [], []
        for seed in range(args.seeds):
            hidden = draw_scenario(task, seed, secret=SECRET)
            plan = clairvoyant_plan(task, seed)
            attack_profit = run_episode(ReplayAgent(plan), task, scenario=hidden).profit
            heuristic_profit = run_episode(make_agent("heuristic"), task, scenario=hidden).profit
            attack.append(grade_scenario(hidden, attack_profit)["score"])
            heuristic.append(grade_scenario(hidden, heuristic_profit)["score"])
        mean_attack, mean_heuristic = statistics.mean(attack), statistics.mean(heuristic)
        print(
            f"{task}: attack {mean_attack:.3f} {[round(s, 2) for s in attack]}, heuristic "
            f"{mean_heuristic:.3f} {[round(s, 2) for s in heuristic]}, ratio "
            f"{mean_attack / mean_heuristic:.2f} ({time.perf_counter() - started:.0f} s)"
        )


if __name__ == "__main__":
    main()
