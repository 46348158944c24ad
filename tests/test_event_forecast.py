"""Events forecast with error (task files' ``[event_forecast]``): the agent sees the announced
calendar; the realized start and size, drawn at reset after everything else, drive demand and
the ceiling. Hand-computed demand, clipping to the month, bad rules refused at load."""

from __future__ import annotations

import numpy as np
import pytest

from models import InventoryAction
from server.ceiling import solve_ceiling
from server.constants import PRODUCTS
from server.inventory_env import InventoryEnvironment
from server.scenario import demand_multiplier_table, draw_scenario
from server.task_catalog import build_catalog, get_task
from server.task_config import TaskFileError
from tests.task_files import TaskDir, builtin_file_data, toml_text

LATE_AND_SMALL = {"start_offsets": [2, 2], "size_factors": [0.5]}
"""Every event starts 2 days after its announced day with half its effect."""


def test_the_event_comes_late_and_smaller_than_announced(task_dir: TaskDir) -> None:
    """Base demand 10 everywhere, christmas announced for day 8, realized on days 10-11 with
    half the effect: toys 1 + (3 - 1) x 0.5 = 2 -> 20; electronics 1 + 1 x 0.5 -> 15;
    clothing and groceries 1 + 0.5 x 0.5 = 1.25 -> 12.5 -> 13 (half up); furniture 10.
    Days 8 and 9 (announced) are plain: 10. No weekend among days 8-11."""
    task_dir.add(
        "rumor",
        base="easy",
        base_demand=dict.fromkeys(PRODUCTS, [10, 10]),
        events={"christmas": 8},
        event_forecast=LATE_AND_SMALL,
    )
    assert draw_scenario("rumor", 0).events == (("christmas", 10, 0.5),)
    env = InventoryEnvironment()
    observation = env.reset(task_name="rumor", seed=0)
    assert observation.updated_events == {"christmas": 8}  # the forecast
    days = [env.step(InventoryAction()) for _ in range(12)]
    expected = {"electronics": 15, "clothing": 13, "groceries": 13, "furniture": 10, "toys": 20}
    for day in (8, 9):
        assert days[day].demand_today == dict.fromkeys(PRODUCTS, 10)
        assert days[day].active_events == []
    for day in (10, 11):
        assert days[day].demand_today == expected
        assert days[day].active_events == ["christmas"]
    assert days[7].updated_events == {"christmas": 0}  # still counts down to the forecast


def test_realized_starts_stay_in_the_month(task_dir: TaskDir) -> None:
    task_dir.add(
        "edges",
        base="easy",
        events={"black_friday": 1, "new_competitor": 27},
        event_forecast={"start_offsets": [-3, -3], "size_factors": [1.0]},
    )
    assert draw_scenario("edges", 0).events == (
        ("black_friday", 0, 1.0),
        ("new_competitor", 24, 1.0),
    )
    task_dir.add(
        "edges",
        base="easy",
        events={"black_friday": 1, "new_competitor": 27},
        event_forecast={"start_offsets": [5, 5], "size_factors": [1.0]},
    )
    assert draw_scenario("edges", 0).events == (
        ("black_friday", 6, 1.0),
        ("new_competitor", 29, 1.0),
    )


def test_offsets_and_factors_are_drawn_per_event_within_the_rule() -> None:
    rule = get_task("hard").event_forecast
    assert rule is not None
    announced = get_task("hard").events
    seen_offsets, seen_factors = set(), set()
    for seed in range(30):
        scenario = draw_scenario("hard", seed)
        assert [name for name, _, _ in scenario.events] == list(announced)
        for name, start, factor in scenario.events:
            offset = start - announced[name]
            assert rule.start_offsets[0] <= offset <= rule.start_offsets[1]
            assert factor in rule.size_factors
            seen_offsets.add(offset)
            seen_factors.add(factor)
    assert seen_offsets == set(range(rule.start_offsets[0], rule.start_offsets[1] + 1))
    assert seen_factors == set(rule.size_factors)


def test_the_forecast_is_drawn_last_and_changes_only_the_multipliers(task_dir: TaskDir) -> None:
    task_dir.add("sure", base="hard", event_forecast=None)
    assert get_task("sure").event_forecast is None
    for seed in range(5):
        sure, unsure = draw_scenario("sure", seed), draw_scenario("hard", seed)
        assert np.array_equal(sure.base_demand, unsure.base_demand)
        assert np.array_equal(sure.lead_time, unsure.lead_time)
        assert sure.supplier_rows == unsure.supplier_rows
        assert sure.cost_spikes == unsure.cost_spikes
        # hard's demand shift is drawn before the forecast: the same in both; without the
        # forecast the multipliers are the announced calendar times the shift
        assert sure.demand_shift == unsure.demand_shift
        expected = demand_multiplier_table("hard").copy()
        for index, (day, factor) in enumerate(sure.demand_shift):
            expected[day:, index] *= factor
        assert np.allclose(sure.demand_multipliers, expected)


def test_the_ceiling_plans_on_the_realized_calendar(task_dir: TaskDir) -> None:
    """A forecast off by a day with full size is, for the ceiling, the same month as an
    exact calendar a day later: same multipliers, same bound."""
    task_dir.add(
        "forecast",
        base="medium",
        event_forecast={"start_offsets": [1, 1], "size_factors": [1.0]},
        supplier_disruption=None,
        cost_spikes=None,
    )
    later = {name: start + 1 for name, start in get_task("medium").events.items()}
    task_dir.add(
        "exact",
        base="medium",
        events=later,
        seed_stream=get_task("forecast").seed_stream,
        supplier_disruption=None,
        cost_spikes=None,
        event_forecast=None,
    )
    forecast, exact = draw_scenario("forecast", 0), draw_scenario("exact", 0)
    assert np.array_equal(forecast.demand_multipliers, exact.demand_multipliers)
    assert np.array_equal(forecast.base_demand, exact.base_demand)
    assert solve_ceiling("forecast", 0).bound == solve_ceiling("exact", 0).bound


def test_the_rule_is_published_but_not_the_draw() -> None:
    published = get_task("medium").published
    assert published["event_forecast"] == get_task("medium").event_forecast.model_dump(mode="json")
    observation = InventoryEnvironment().reset(task_name="medium", seed=0)
    assert observation.updated_events == get_task("medium").events


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"start_offsets": [3, 1], "size_factors": [1.0]}, "start_offsets"),
        ({"start_offsets": [-8, 0], "size_factors": [1.0]}, "start_offsets"),
        ({"start_offsets": [0, 1], "size_factors": []}, "size_factors"),
        ({"start_offsets": [0, 1], "size_factors": [6.0]}, "size_factors"),
        ({"start_offsets": [0, 1], "size_factors": [1.0], "seed": 3}, "seed"),
        ({"size_factors": [1.0]}, "start_offsets"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(task_dir: TaskDir, rule: dict, field: str) -> None:
    data = {**builtin_file_data("easy"), "event_forecast": rule}
    task_dir.write("bad_forecast", toml_text(data))
    with pytest.raises(TaskFileError, match=f"bad_forecast.toml: field event_forecast.{field}"):
        build_catalog(task_dir.path)


def test_the_llm_prompt_states_the_rule() -> None:
    from server.llm_agent import system_prompt

    assert "each event starts -2 to 2 days from its announced day" in system_prompt("hard")
    assert "x[0.6, 1.0, 1.4] of the published one" in system_prompt("medium")
