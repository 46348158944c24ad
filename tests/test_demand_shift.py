"""The unannounced demand shift (task files' ``[demand_shift]``): drawn at reset into the
scenario's multiplier table, after everything else, so the rest of the scenario is unchanged;
hand-computed demand before and after the shift; bad rules refused at load."""

from __future__ import annotations

import numpy as np
import pytest

from models import InventoryAction
from server.constants import PRODUCTS
from server.inventory_env import InventoryEnvironment
from server.scenario import draw_scenario
from server.task_catalog import build_catalog, get_task
from server.task_config import TaskFileError
from tests.task_files import TaskDir, builtin_file_data, toml_text


def test_demand_halves_from_the_shift_day_on(task_dir: TaskDir) -> None:
    """Base demand 6 every day, shift x0.5 on day 3 for every product, prices 1.0:
    days 0-2: 6; days 3-4: 3; day 5 (weekend x1.2): 6 x 1.2 x 0.5 = 3.6 -> 4."""
    task_dir.add(
        "shifty",
        base="easy",
        base_demand=dict.fromkeys(PRODUCTS, [6, 6]),
        demand_shift={"first_day": 3, "last_day": 3, "factors": [0.5]},
    )
    assert draw_scenario("shifty", 0).demand_shift == ((3, 0.5),) * len(PRODUCTS)
    env = InventoryEnvironment()
    env.reset(task_name="shifty", seed=0)
    seen = [env.step(InventoryAction()).demand_today["toys"] for _ in range(6)]
    assert seen == [6, 6, 6, 3, 3, 4]


def test_the_shift_is_drawn_last_and_changes_only_the_multipliers(task_dir: TaskDir) -> None:
    # "calm" is volatile without the shift: same seed stream, same demand ranges
    volatile = get_task("volatile")
    calm = {k: v for k, v in volatile.published.items() if k != "demand_shift"}
    task_dir.add("calm", base=None, seed_stream=volatile.seed_stream, **calm)
    rule = get_task("volatile").demand_shift
    assert rule is not None
    for seed in range(5):
        shifted, calm = draw_scenario("volatile", seed), draw_scenario("calm", seed)
        assert np.array_equal(shifted.base_demand, calm.base_demand)
        assert np.array_equal(shifted.lead_time, calm.lead_time)
        assert calm.demand_shift == ()
        for index, (day, factor) in enumerate(shifted.demand_shift):
            assert rule.first_day <= day <= rule.last_day and factor in rule.factors
            column, plain = shifted.demand_multipliers[:, index], calm.demand_multipliers[:, index]
            assert np.array_equal(column[:day], plain[:day])
            assert np.allclose(column[day:], plain[day:] * factor)
        again = draw_scenario("volatile", seed)
        assert again.demand_shift == shifted.demand_shift
        assert np.array_equal(again.demand_multipliers, shifted.demand_multipliers)


def test_the_rule_is_published_but_not_the_draw() -> None:
    published = get_task("volatile").published
    assert published["demand_shift"] == {
        "first_day": 5,
        "last_day": 20,
        "factors": [0.4, 0.7, 1.5, 2.2],
    }
    assert "demand_shift" not in get_task("easy").published
    for task in ("medium", "hard"):  # the ladder's stronger shift
        assert get_task(task).published["demand_shift"] == {
            "first_day": 3,
            "last_day": 15,
            "factors": [0.3, 0.5, 2.0, 3.0],
        }
    env = InventoryEnvironment()
    observation = env.reset(task_name="volatile")
    assert "shift" not in observation.model_dump_json()


@pytest.mark.parametrize(
    "rule",
    [
        {"first_day": 9, "last_day": 4, "factors": [2.0]},
        {"first_day": 0, "last_day": 4, "factors": [2.0]},
        {"first_day": 3, "last_day": 4, "factors": []},
        {"first_day": 3, "last_day": 4, "factors": [0.0]},
        {"first_day": 3, "last_day": 4, "factors": [2.0], "probability": 0.5},
    ],
)
def test_bad_shift_rules_are_refused(task_dir: TaskDir, rule: dict) -> None:
    data = {**builtin_file_data("easy"), "demand_shift": rule}
    task_dir.write("bad_shift", toml_text(data))
    with pytest.raises(TaskFileError, match="bad_shift.toml: field demand_shift"):
        build_catalog(task_dir.path)
