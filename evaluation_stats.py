"""Means with 95% confidence intervals, paired differences, and the evaluation JSON.

One seed per task is an anecdote: seed noise (sd about 0.025 per agent) is as large as the
gaps people compare. An evaluation plays the same seeds for every agent, reports each task's
mean score with a 95% Student-t interval, and compares agents by their *paired* differences
on the same seeds (which cancels most of the scenario noise).

The results file (schema ``inventory-eval/1``) holds every episode and the summaries, so a
leaderboard can be rebuilt from it. Pure Python: no I/O, no third-party imports.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

SCHEMA = "inventory-eval/1"
CONFIDENCE = 0.95

_T975 = (
    12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836,
    2.446911851, 2.364624252, 2.306004135, 2.262157163, 2.228138852,
    2.200985160, 2.178812830, 2.160368656, 2.144786688, 2.131449546,
    2.119905299, 2.109815578, 2.100922040, 2.093024054, 2.085963447,
    2.079613845, 2.073873068, 2.068657610, 2.063898562, 2.059538553,
    2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456,
)  # fmt: skip
"""Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom."""
_Z975 = 1.959963984540054


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom.

    Exact table up to 30; beyond, the Cornish-Fisher expansion (error below 1e-5 there).
    """
    if df < 1:
        raise ValueError("a t interval needs at least one degree of freedom (two values)")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


@dataclass(frozen=True)
class Interval:
    """Mean of a sample with its 95% confidence interval (``low``/``high`` None for n < 2)."""

    n: int
    mean: float
    sd: float
    half_width: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self, digits: int = 3) -> str:
        """``0.812 ± 0.014`` (or just the mean for a single value)."""
        if self.half_width is None:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.half_width:.{digits}f}"


def mean_interval(values: Sequence[float]) -> Interval:
    """Mean, sample standard deviation and 95% t interval of ``values``."""
    data = [float(v) for v in values]
    if not data:
        raise ValueError("no values")
    mean = statistics.fmean(data)
    if len(data) < 2:
        return Interval(len(data), mean, 0.0, None, None, None)
    sd = statistics.stdev(data)
    half = t_quantile_975(len(data) - 1) * sd / math.sqrt(len(data))
    return Interval(len(data), mean, sd, half, mean - half, mean + half)


def paired_interval(first: Mapping[Any, float], second: Mapping[Any, float]) -> Interval:
    """``first - second`` on the keys (seeds) both have, with its 95% t interval."""
    common = [key for key in first if key in second]
    if not common:
        raise ValueError("no common seeds to pair")
    return mean_interval([first[key] - second[key] for key in common])


# --------------------------------------------------------------------------- results file
def _scores(episodes: Iterable[Mapping[str, Any]], task: str, agent: str, field: str) -> dict:
    return {
        e["seed"]: e[field]
        for e in episodes
        if e["task"] == task and e["agent"] == agent and e.get(field) is not None
    }


def evaluation_document(
    episodes: Sequence[Mapping[str, Any]],
    *,
    command: str | None = None,
    created: str | None = None,
    baseline: str | None = None,
) -> dict[str, Any]:
    """The ``inventory-eval/1`` document: episodes, per task and agent summaries, and paired
    differences of each agent against ``baseline`` (default: ``heuristic`` if played, else the
    first agent).

    Each episode needs ``task``, ``seed``, ``agent``, ``profit`` and ``score`` (None when it
    failed or was not graded); other keys are kept as they are.
    """
    agents = list(dict.fromkeys(e["agent"] for e in episodes))
    tasks = list(dict.fromkeys(e["task"] for e in episodes))
    seeds = {t: sorted({e["seed"] for e in episodes if e["task"] == t}, key=str) for t in tasks}
    if baseline is None:
        baseline = "heuristic" if "heuristic" in agents else (agents[0] if agents else None)
    summaries = []
    paired = []
    for task in tasks:
        for agent in agents:
            entry: dict[str, Any] = {"task": task, "agent": agent}
            for field in ("score", "profit"):
                values = _scores(episodes, task, agent, field)
                entry[field] = mean_interval(list(values.values())).as_dict() if values else None
            entry["failed"] = sum(
                1
                for e in episodes
                if e["task"] == task and e["agent"] == agent and e.get("profit") is None
            )
            summaries.append(entry)
        base = _scores(episodes, task, baseline, "score") if baseline else {}
        for agent in agents:
            if agent == baseline or not base:
                continue
            mine = _scores(episodes, task, agent, "score")
            if not any(seed in base for seed in mine):
                continue
            paired.append(
                {
                    "task": task,
                    "agent": agent,
                    "baseline": baseline,
                    "score_difference": paired_interval(mine, base).as_dict(),
                }
            )
    return {
        "schema": SCHEMA,
        "created": created,
        "command": command,
        "confidence": CONFIDENCE,
        "agents": agents,
        "tasks": tasks,
        "seeds": seeds,
        "baseline": baseline,
        "episodes": [dict(e) for e in episodes],
        "summaries": summaries,
        "paired_differences": paired,
    }


def _cell(interval: Mapping[str, Any] | None) -> str:
    if not interval:
        return "-"
    half = interval["half_width"]
    return f"{interval['mean']:.3f}" + ("" if half is None else f" ± {half:.3f}")


def markdown_tables(document: Mapping[str, Any]) -> str:
    """Mean score ± 95% half-width per task and agent, then the paired differences."""
    agents, tasks = document["agents"], document["tasks"]
    by_key = {(s["task"], s["agent"]): s for s in document["summaries"]}
    lines = ["| Task | " + " | ".join(agents) + " |", "|---|" + "---|" * len(agents)]
    for task in tasks:
        cells = [_cell((by_key.get((task, a)) or {}).get("score")) for a in agents]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    pairs = document["paired_differences"]
    if pairs:
        others = list(dict.fromkeys(p["agent"] for p in pairs))
        pair_of = {(p["task"], p["agent"]): p for p in pairs}
        lines += [
            "",
            f"Paired score difference against {document['baseline']} on the same seeds "
            "(mean ± 95% half-width; an interval that excludes 0 is a real difference):",
            "",
            "| Task | " + " | ".join(f"{a} − {document['baseline']}" for a in others) + " |",
            "|---|" + "---|" * len(others),
        ]
        for task in tasks:
            cells = [_cell((pair_of.get((task, a)) or {}).get("score_difference")) for a in others]
            lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_seed_list(text: str) -> list[int]:
    """``0-9``, ``1,5,9``, ``0-4,12``: non-negative seeds, in order, without repeats."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:]:
            low_text, high_text = part.split("-", 1)
            low, high = int(low_text), int(high_text)
            if high < low:
                raise ValueError(f"empty seed range {part!r}")
            seeds.extend(range(low, high + 1))
        else:
            seeds.append(int(part))
    if not seeds:
        raise ValueError(f"no seeds in {text!r}")
    if min(seeds) < 0:
        raise ValueError("seeds are non-negative")
    return list(dict.fromkeys(seeds))
