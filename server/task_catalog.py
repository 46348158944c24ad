"""Which tasks exist: the built-in task files plus a user's directory of task files.

The built-in files (``server/tasks/*.toml``) come first, in the order of their ``seed_stream``
(easy, medium, hard); a user's files follow by name. The user's directory is given by the
``INVENTORY_TASKS_DIR`` environment variable (read once, on first use) or by
``use_tasks_dir`` (scripts' ``--tasks-dir``, tests). A bad file stops the load with a
``TaskFileError`` naming the file and the field; a user file may not reuse a built-in name.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from server.task_config import TaskConfig, TaskFileError, load_task_file, parse_task, tomllib

TASKS_DIR_ENV = "INVENTORY_TASKS_DIR"

_lock = threading.Lock()
_catalog: Mapping[str, TaskConfig] | None = None


def builtin_tasks() -> dict[str, TaskConfig]:
    """The tasks shipped in the package, easy / medium / hard first."""
    found: list[TaskConfig] = []
    for entry in resources.files("server.tasks").iterdir():
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            found.append(parse_task(entry.name.removesuffix(".toml"), data, entry.name))
    found.sort(key=lambda task: (task.seed_stream, task.name))
    return {task.name: task for task in found}


def load_tasks_dir(directory: Path) -> dict[str, TaskConfig]:
    """Every ``*.toml`` task in ``directory`` by name (a missing directory is an error)."""
    if not directory.is_dir():
        raise TaskFileError(f"{directory}: task directory not found ({TASKS_DIR_ENV})")
    return {path.stem: load_task_file(path) for path in sorted(directory.glob("*.toml"))}


def build_catalog(directory: Path | None) -> Mapping[str, TaskConfig]:
    """Built-in tasks plus the tasks of ``directory``."""
    catalog = builtin_tasks()
    if directory is not None:
        for name, task in load_tasks_dir(directory).items():
            if name in catalog:
                raise TaskFileError(
                    f"{directory / (name + '.toml')}: field name: {name!r} is a built-in task; "
                    "rename the file"
                )
            catalog[name] = task
    return MappingProxyType(catalog)


def _env_dir() -> Path | None:
    value = os.environ.get(TASKS_DIR_ENV, "").strip()
    return Path(value) if value else None


def tasks() -> Mapping[str, TaskConfig]:
    """The current catalog, loaded on first use."""
    global _catalog
    catalog = _catalog
    if catalog is None:
        with _lock:
            if _catalog is None:
                _catalog = build_catalog(_env_dir())
            catalog = _catalog
    return catalog


def task_names() -> tuple[str, ...]:
    """Names of every task in the catalog, built-in first."""
    return tuple(tasks())


def get_task(task_name: str) -> TaskConfig:
    """The task called ``task_name``; ``ValueError`` naming the allowed tasks otherwise."""
    catalog = tasks()
    task = catalog.get(task_name) if isinstance(task_name, str) else None
    if task is None:
        raise ValueError(f"unknown task_name {task_name!r}; allowed: {', '.join(catalog)}")
    return task


def set_tasks_dir(directory: Path | None) -> Mapping[str, TaskConfig]:
    """Replace the catalog with the built-in tasks plus ``directory``'s (``None``: none)."""
    global _catalog
    catalog = build_catalog(directory)
    with _lock:
        _catalog = catalog
    return catalog


@contextmanager
def use_tasks_dir(directory: Path | None) -> Iterator[Mapping[str, TaskConfig]]:
    """Within the block the catalog is built-in tasks plus ``directory``'s; restored after."""
    global _catalog
    previous = _catalog
    try:
        yield set_tasks_dir(directory)
    finally:
        with _lock:
            _catalog = previous
