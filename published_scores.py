"""The published score table: ``docs/scores.json`` and the tables rendered from it.

The README's score table and the ladder tables of ``docs/tasks.md`` are made by one command,

    python scripts/evaluate.py --publish --jobs 2

which plays every built-in agent on every task over ``PUBLISHED_SEEDS``, writes the results
document (``inventory-eval/1``) to ``docs/scores.json`` and rewrites the marked blocks of the
two pages from it. ``tests/test_published_scores.py`` fails when a page differs from the
rendering of the document, or when the document's scenarios or the profits of a few of its
episodes no longer match what the code plays (a changed rule, task or agent): re-run the
command then. Pure functions except ``read_document`` / ``write_document`` / ``update_pages``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evaluation_stats import mean_interval, paired_interval

ROOT = Path(__file__).resolve().parent
SCORES_PATH = ROOT / "docs" / "scores.json"
PUBLISHED_SEEDS = range(50)
PUBLISH_DATE = "2026-12-07"
PUBLISH_COMMAND = "python scripts/evaluate.py --publish --jobs 2"
EPISODE_KEYS = ("task", "seed", "agent", "profit", "score", "unclamped_score")
"""What each episode of the published document keeps (floor and ceiling go per scenario)."""

TARGETS = {"medium": 0.60, "hard": 0.45}
"""Issue 10: the basestock family's best scores at most this much."""
GAP = 0.20
"""Issue 10: the heuristic scores at least this much above basestock on medium and hard."""
STEP = 0.05
"""Issue 10: the heuristic's mean drops at least this much from easy to medium to hard."""


# --------------------------------------------------------------------------- the document
def compact(document: Mapping[str, Any]) -> dict[str, Any]:
    """The published form of an ``evaluate.py`` document: episodes keep ``EPISODE_KEYS``;
    each scenario's floor, ceiling and fingerprint (``server.known_ceilings``: a digest of its
    drawn tables and the task) are listed once under ``scenarios``."""
    from server.known_ceilings import scenario_fingerprint

    scenarios: dict[tuple[str, int], dict[str, Any]] = {}
    for e in document["episodes"]:
        if (e["task"], e["seed"]) not in scenarios:
            scenarios[e["task"], e["seed"]] = {
                "task": e["task"],
                "seed": e["seed"],
                "fingerprint": scenario_fingerprint(e["task"], e["seed"]),
                "floor": e["floor"],
                "ceiling": e["ceiling"],
            }
    published = {k: v for k, v in document.items() if k != "episodes"}
    published["episodes"] = [{k: e[k] for k in EPISODE_KEYS} for e in document["episodes"]]
    published["scenarios"] = list(scenarios.values())
    return published


def dumps(document: Mapping[str, Any]) -> str:
    """JSON with one episode or scenario per line (readable diffs, a tenth of ``indent=1``)."""
    lines = ["{"]
    items = list(document.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rows = [json.dumps(row, separators=(", ", ": ")) for row in value]
            lines.append(f" {json.dumps(key)}: [")
            lines += [f"  {row}," for row in rows[:-1]] + [f"  {rows[-1]}", f" ]{comma}"]
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, separators=(', ', ': '))}{comma}")
    return "\n".join(lines + ["}"]) + "\n"


def read_document(path: Path = SCORES_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_document(document: Mapping[str, Any], path: Path = SCORES_PATH) -> None:
    path.write_text(dumps(document), encoding="utf-8")


# --------------------------------------------------------------------------- rendering
def _scores(document: Mapping[str, Any], task: str, agent: str) -> dict[int, float]:
    return {
        e["seed"]: e["score"]
        for e in document["episodes"]
        if e["task"] == task and e["agent"] == agent and e["score"] is not None
    }


def _mean(document: Mapping[str, Any], task: str, agent: str) -> float | None:
    scores = _scores(document, task, agent)
    return mean_interval(list(scores.values())).mean if scores else None


def _seed_label(document: Mapping[str, Any]) -> str:
    seeds = sorted({e["seed"] for e in document["episodes"]})
    if seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def score_table(document: Mapping[str, Any]) -> str:
    """Per task and agent: mean score ± 95% half-width, then (min-max) over the seeds."""
    agents, tasks = document["agents"], document["tasks"]
    lines = ["| Task | " + " | ".join(agents) + " |", "|---|" + "---:|" * len(agents)]
    for task in tasks:
        cells = []
        for agent in agents:
            scores = list(_scores(document, task, agent).values())
            if not scores:
                cells.append("-")
                continue
            interval = mean_interval(scores)
            cells.append(f"{interval.text()} ({min(scores):.2f}-{max(scores):.2f})")
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def readme_block(document: Mapping[str, Any]) -> str:
    """The README's score table with its caption."""
    return (
        f"Seeds {_seed_label(document)}: mean ± 95% half-width (min-max); made {PUBLISH_DATE} "
        f"by `{PUBLISH_COMMAND}`; episodes: [docs/scores.json](docs/scores.json), targets: "
        "[docs/tasks.md](docs/tasks.md#the-ladder).\n\n" + score_table(document)
    )


def paired_table(document: Mapping[str, Any], baseline: str = "basestock") -> str:
    """Paired difference of each other agent minus ``baseline`` on the same seeds."""
    others = [a for a in document["agents"] if a != baseline]
    lines = [
        "| Task | " + " | ".join(f"{a} − {baseline}" for a in others) + " |",
        "|---|" + "---:|" * len(others),
    ]
    for task in document["tasks"]:
        base = _scores(document, task, baseline)
        cells = []
        for agent in others:
            mine = _scores(document, task, agent)
            cells.append(paired_interval(mine, base).text() if mine and base else "-")
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _verdict(holds: bool | None) -> str:
    return "n/a" if holds is None else ("yes" if holds else "**no**")


def target_rows(document: Mapping[str, Any]) -> list[tuple[str, str, bool | None]]:
    """Issue 10's ladder targets: ``(target, measured, holds)``."""
    tasks = document["tasks"]
    rows: list[tuple[str, str, bool | None]] = []

    def means(agent: str) -> dict[str, float]:
        found = {t: _mean(document, t, agent) for t in tasks}
        return {t: m for t, m in found.items() if m is not None}

    def listed(values: Mapping[str, float]) -> str:
        return ", ".join(f"{t} {v:.3f}" for t, v in values.items())

    passive, random_, base, heuristic, clairvoyant = (
        means(a) for a in ("passive", "random", "basestock", "heuristic", "clairvoyant")
    )
    rows.append(("passive scores 0", listed(passive), all(v == 0 for v in passive.values())))
    rows.append(("random <= 0.10", listed(random_), all(v <= 0.10 for v in random_.values())))
    for task, limit in TARGETS.items():
        value = base.get(task)
        rows.append(
            (
                f"basestock <= {limit:.2f} on {task}",
                "-" if value is None else f"{value:.3f}",
                None if value is None else value <= limit,
            )
        )
    for task in TARGETS:
        if task in base and task in heuristic:
            gap = heuristic[task] - base[task]
            rows.append(
                (f"heuristic >= basestock + {GAP:.2f} on {task}", f"+{gap:.3f}", gap >= GAP)
            )
    ladder = [t for t in ("easy", "medium", "hard") if t in heuristic]
    if len(ladder) == 3:
        steps = [heuristic[a] - heuristic[b] for a, b in itertools.pairwise(ladder)]
        rows.append(
            (
                f"heuristic easy > medium > hard by >= {STEP:.2f} each step",
                " > ".join(f"{heuristic[t]:.3f}" for t in ladder)
                + f" (steps {steps[0]:.3f}, {steps[1]:.3f})",
                all(s >= STEP for s in steps),
            )
        )
    rows.append(
        ("clairvoyant >= 0.97", listed(clairvoyant), all(v >= 0.97 for v in clairvoyant.values()))
    )
    return rows


def ladder_block(document: Mapping[str, Any]) -> str:
    """docs/tasks.md: the targets, then the paired differences against basestock."""
    lines = [
        f"Made {PUBLISH_DATE} by `{PUBLISH_COMMAND}` from the same document as the README's "
        f"table ([scores.json](scores.json), seeds {_seed_label(document)}).",
        "",
        "| Target (issue 10) | Measured (mean) | Holds |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {m} | {_verdict(h)} |" for t, m, h in target_rows(document)]
    lines += [
        "",
        "Paired score difference against basestock on the same seeds (mean ± 95% half-width):",
        "",
        paired_table(document),
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the pages
PAGES: dict[str, tuple[Path, Any]] = {
    "scores": (ROOT / "README.md", readme_block),
    "ladder": (ROOT / "docs" / "tasks.md", ladder_block),
}
"""Marker name -> (page, renderer): the page holds ``<!-- NAME:begin -->`` ... ``end``."""


def _marked(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {name}:begin -->\n)(.*?)(<!-- {name}:end -->)", re.DOTALL)


def page_block(text: str, name: str) -> str:
    """The text between a page's markers (``ValueError`` when the markers are missing)."""
    match = _marked(name).search(text)
    if match is None:
        raise ValueError(f"no <!-- {name}:begin/end --> markers")
    return match.group(2).removesuffix("\n")


def with_block(text: str, name: str, body: str) -> str:
    page_block(text, name)  # the markers must be there
    return _marked(name).sub(lambda m: m.group(1) + body + "\n" + m.group(3), text, count=1)


def update_pages(document: Mapping[str, Any]) -> list[Path]:
    """Rewrite every page's marked block from ``document``; return the pages written."""
    written = []
    for name, (path, render) in PAGES.items():
        text = path.read_text(encoding="utf-8")
        updated = with_block(text, name, render(document))
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            written.append(path)
    return written


def stale_pages(document: Mapping[str, Any]) -> list[str]:
    """Names of the marked blocks that differ from the rendering of ``document``."""
    return [
        name
        for name, (path, render) in PAGES.items()
        if page_block(path.read_text(encoding="utf-8"), name) != render(document)
    ]


def sample_episodes(
    document: Mapping[str, Any], seeds: Sequence[int], agents: Sequence[str]
) -> list[Mapping[str, Any]]:
    """The document's episodes of ``seeds`` and ``agents`` (for re-playing a sample)."""
    return [e for e in document["episodes"] if e["seed"] in seeds and e["agent"] in agents]
