"""The graded score of an episode, for trainers that want one number per episode.

The environment's ``score`` reward mode (per-step rewards that sum to the unclamped graded
score) is used when this version of the environment has it; otherwise the score is computed
from the grader's floor and ceiling, ``(profit - floor) / (ceiling - floor)``. Both give the
same number: unclamped, so a trainer still sees how far below the floor a bad policy is.
"""

from __future__ import annotations

from typing import Any

from server.constants import REWARD_MODES
from server.grader import grade

SCORE_MODE_AVAILABLE = "score" in REWARD_MODES
"""True once ``InventoryEnvironment.reset(reward_mode="score")`` exists."""

EPISODE_REWARD_MODE = "score" if SCORE_MODE_AVAILABLE else "profit"
"""The reward mode the adapters reset with when they report the graded score."""


def episode_grade(task_name: str, seed: int | None, profit: float) -> dict[str, Any]:
    """The grader's verdict on a finished episode: floor, ceiling, score, unclamped score."""
    return grade(task_name, profit, seed=seed)
