"""Task files for tests: write TOML task files into a directory and load them as the catalog.

The seam tests use instead of patching a task table: ``TaskDir.add`` writes ``<name>.toml``
(starting from a built-in task or from scratch) and reloads the catalog, exactly as a user's
``INVENTORY_TASKS_DIR`` would be read.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from server.task_catalog import builtin_tasks, set_tasks_dir


def toml_value(value: Any) -> str:
    """One TOML value (strings, numbers, booleans, arrays, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return {math.inf: "inf", -math.inf: "-inf"}.get(value, "nan")
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(v)}" for key, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def toml_text(data: dict[str, Any]) -> str:
    """A TOML document: scalars first, then one ``[table]`` per dict value."""
    lines = [
        f"{key} = {toml_value(value)}" for key, value in data.items() if not isinstance(value, dict)
    ]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            lines.extend(f"{k} = {toml_value(v)}" for k, v in value.items())
    return "\n".join(lines) + "\n"


def file_form(published: dict[str, Any]) -> dict[str, Any]:
    """A task in its ``GET /tasks`` form (batches as ``[quantity, days_left]``) as file data."""
    data = {key: value for key, value in published.items() if key != "name"}
    if "starting_stock" in data:
        data["starting_stock"] = {
            product: [
                {"quantity": q} if d is None else {"quantity": q, "days_left": d}
                for q, d in batches
            ]
            for product, batches in data["starting_stock"].items()
        }
    return data


def builtin_file_data(name: str) -> dict[str, Any]:
    """The file data of a built-in task (to copy and change)."""
    task = builtin_tasks()[name]
    return {**file_form(task.published), "seed_stream": task.seed_stream}


class TaskDir:
    """A directory of task files that is the catalog's user directory while a test runs."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, name: str, text: str) -> Path:
        """Write raw file text (for malformed files); does not reload."""
        path = self.path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def add(self, name: str, base: str | None = "easy", **fields: Any) -> Path:
        """Write ``<name>.toml``: built-in ``base`` (or nothing) with ``fields`` replaced
        (published form: batches as ``[quantity, days_left]``; per-product tables replace only
        the products given; ``None`` drops a field), then reload the catalog."""
        data = builtin_file_data(base) if base else {}
        for key, value in file_form(fields).items():
            if value is None:
                data.pop(key, None)
                continue
            per_product = key in ("capacity", "starting_stock", "base_demand")
            data[key] = {**data.get(key, {}), **value} if per_product else value
        path = self.write(name, toml_text(data))
        set_tasks_dir(self.path)
        return path
