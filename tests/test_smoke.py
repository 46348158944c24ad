"""A passive episode runs to the end on every task."""

from models import InventoryAction
from server.constants import EPISODE_DAYS, TASK_NAMES
from server.inventory_env import InventoryEnvironment


def test_passive_episode_runs_thirty_days() -> None:
    env = InventoryEnvironment()
    for task in TASK_NAMES:
        observation = env.reset(task_name=task)
        steps = 0
        while not observation.done:
            observation = env.step(InventoryAction())
            steps += 1
        assert steps == EPISODE_DAYS
        assert observation.total_profit > 0
