"""The few task facts the adapters need: names, warehouse capacity, default seed."""

from __future__ import annotations

from server.task_catalog import get_task
from server.task_catalog import task_names as _catalog_names


def task_names() -> tuple[str, ...]:
    """Every task this installation knows (built-in and user task files)."""
    return tuple(_catalog_names())


def capacity(task_name: str) -> dict[str, int]:
    """Warehouse space per product: on hand plus in transit may not exceed it."""
    return dict(get_task(task_name).capacity)


def default_seed(task_name: str) -> int:
    """The seed a reset without one plays (kept for evaluation, not training)."""
    return int(get_task(task_name).default_seed)
