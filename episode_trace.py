"""Episode traces: every action and observation of an episode, as JSON lines.

Schema ``inventory-trace/1``. A trace file holds one or more episodes; each is a block of

* a header line: ``{"type": "header", "schema", "task", "seed", "agent", "observation"}``
  (``observation`` is what ``reset`` returned; extra keys such as ``model`` may follow),
* one line per day: ``{"type": "step", "day", "action", "observation", "reward"}``,
* a footer line: ``{"type": "footer", "profit", "grade", "error"}``.

Episodes are buffered and written whole, so episodes played at the same time never
interleave. ``scripts/trace_report.py`` turns a trace into an HTML report.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA = "inventory-trace/1"


def _plain(model: Any) -> Any:
    """A pydantic model (action or observation) as JSON-ready data."""
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json", exclude={"metadata"})
    return model


class EpisodeTrace:
    """The lines of one episode, kept until ``finish``."""

    def __init__(
        self, writer: TraceWriter | None, task: str, seed: int | None, agent: str, **extra: Any
    ) -> None:
        self._writer = writer
        self.header: dict[str, Any] = {
            "type": "header",
            "schema": SCHEMA,
            "task": task,
            "seed": seed,
            "agent": agent,
            "observation": None,
            **extra,
        }
        self.steps: list[dict[str, Any]] = []
        self.footer: dict[str, Any] | None = None

    def reset(self, observation: Any, seed: int | None = None) -> None:
        """The observation ``reset`` returned (and the seed, once the server said it)."""
        self.header["observation"] = _plain(observation)
        if seed is not None:
            self.header["seed"] = seed

    def step(self, action: Any, observation: Any, reward: float | None) -> None:
        self.steps.append(
            {
                "type": "step",
                "day": len(self.steps) + 1,
                "action": _plain(action),
                "observation": _plain(observation),
                "reward": None if reward is None else float(reward),
            }
        )

    def finish(
        self,
        profit: float | None,
        grade: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Close the episode and write it (header, steps, footer) in one go."""
        self.footer = {"type": "footer", "profit": profit, "grade": grade, "error": error}
        if self._writer is not None:
            self._writer.write(self)

    def lines(self) -> list[dict[str, Any]]:
        return [self.header, *self.steps, *([self.footer] if self.footer else [])]


class TraceWriter:
    """Appends finished episodes to a JSON-lines file (truncated when opened)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")
        self._lock = threading.Lock()
        self.episodes = 0

    def episode(self, task: str, seed: int | None, agent: str, **extra: Any) -> EpisodeTrace:
        return EpisodeTrace(self, task, seed, agent, **extra)

    def write(self, trace: EpisodeTrace) -> None:
        text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in trace.lines())
        with self._lock, self.path.open("a") as out:
            out.write(text)
            self.episodes += 1


def read_traces(path: Path | str) -> list[dict[str, Any]]:
    """Every episode in a trace file: ``{"header", "steps", "footer"}`` each.

    Raises ``ValueError`` naming the line when the file is not an ``inventory-trace/1`` trace.
    """
    episodes: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for number, line in enumerate(_lines(path), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"line {number}: not JSON ({error})") from None
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == "header":
            if record.get("schema") != SCHEMA:
                raise ValueError(f"line {number}: schema {record.get('schema')!r}, not {SCHEMA}")
            current = {"header": record, "steps": [], "footer": None}
            episodes.append(current)
        elif kind in ("step", "footer"):
            if current is None:
                raise ValueError(f"line {number}: a {kind} line before any header")
            if kind == "step":
                current["steps"].append(record)
            else:
                current["footer"] = record
                current = None
        else:
            raise ValueError(f"line {number}: unknown line type {kind!r}")
    if not episodes:
        raise ValueError(f"{path}: no episode in the trace")
    return episodes


def _lines(path: Path | str) -> Iterator[str]:
    with Path(path).open() as source:
        for line in source:
            if line.strip():
                yield line
