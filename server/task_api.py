"""openenv's task API over our tasks and seeds: splits ``train``, ``validation`` and ``test``.

openenv 0.10 serves ``GET /{env_name}/splits``, ``POST /{env_name}/tasks``, ``/num_tasks``,
``/task`` and ``/task_range`` for an environment that has these methods (its ``TaskProvider``
protocol). A task is one ``(task_name, seed)`` scenario; within a split, index ``i`` is task
``TASK_NAMES[i % 3]`` (easy, medium, hard) on seed ``first_seed + i // 3``, so every block of
three indices is one seed at each difficulty. The seed ranges do not overlap:

==========  ==================  =====
split       seeds               tasks
==========  ==================  =====
train       0 .. 999            3000
validation  100000 .. 100099    300
test        200000 .. 200099    300
==========  ==================  =====

A chosen task is played by passing its ``reset`` arguments (``task_name``, ``seed``) to
``reset``, or ``split`` and ``index`` themselves (``reset(split="test", index=12)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.constants import TASK_NAMES


@dataclass(frozen=True)
class Split:
    """A range of seeds played at every difficulty."""

    name: str
    first_seed: int
    seeds: int

    @property
    def size(self) -> int:
        return self.seeds * len(TASK_NAMES)


SPLITS: dict[str, Split] = {
    split.name: split
    for split in (
        Split("train", first_seed=0, seeds=1000),
        Split("validation", first_seed=100_000, seeds=100),
        Split("test", first_seed=200_000, seeds=100),
    )
}


class UnknownSplitError(IndexError):
    """An unknown split name: an ``IndexError`` so that openenv's routes answer 400."""


def _split(name: Any) -> Split:
    if not isinstance(name, str) or name not in SPLITS:
        raise UnknownSplitError(f"unknown split {name!r}; allowed: {', '.join(SPLITS)}")
    return SPLITS[name]


def task_spec(split_name: str, index: int) -> dict[str, Any]:
    """Task ``index`` of ``split_name``; ``IndexError`` when out of range (openenv: 400)."""
    split = _split(split_name)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < split.size:
        raise IndexError(f"index must be in [0, {split.size}) for split {split.name!r}")
    task_name = TASK_NAMES[index % len(TASK_NAMES)]
    seed = split.first_seed + index // len(TASK_NAMES)
    return {
        "id": f"{split.name}-{task_name}-{seed}",
        "split": split.name,
        "index": index,
        "task_name": task_name,
        "seed": seed,
        "reset": {"task_name": task_name, "seed": seed},
    }


class InventoryTaskProvider:
    """openenv's ``TaskProvider`` methods (side-effect free) and ``reset(split=, index=)``."""

    def list_splits(self) -> list[dict[str, Any]]:
        return [
            {
                "name": split.name,
                "type": split.name,
                "num_tasks": split.size,
                "seeds": [split.first_seed, split.first_seed + split.seeds - 1],
            }
            for split in SPLITS.values()
        ]

    def num_tasks(self, split: str) -> int:
        return _split(split).size

    def get_task(self, split: str, index: int) -> dict[str, Any]:
        return task_spec(split, index)

    def get_task_range(
        self, split: str, start: int | None = None, stop: int | None = None
    ) -> list[dict[str, Any]]:
        indices = range(_split(split).size)[start:stop]
        return [task_spec(split, index) for index in indices]

    def list_tasks(self, split: str) -> list[dict[str, Any]]:
        return self.get_task_range(split)

    def reset(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        split: str | None = None,
        index: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """``split`` and ``index`` name a task (its task_name and seed); else as usual."""
        if split is not None or index is not None:
            if split is None or index is None:
                raise ValueError("reset takes split and index together")
            if seed is not None or "task_name" in kwargs:
                raise ValueError("reset takes split and index, or task_name and seed, not both")
            try:
                spec = task_spec(split, index)
            except IndexError as exc:
                raise ValueError(str(exc)) from None
            seed = spec["seed"]
            kwargs["task_name"] = spec["task_name"]
        return super().reset(seed=seed, episode_id=episode_id, **kwargs)  # type: ignore[misc]
