"""Each stage and rule of the step, checked against values computed by hand.

The tasks in ``server/constants.py`` may be recalibrated, so these tests never rely on their
numbers: they register a small hand-made task, and where a day's base demand or a lead time
matters they replace the episode's drawn tables with hand-written ones. Prices, costs,
elasticities, shipping costs and reward coefficients are the brief's, fixed, and appear here
as literals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from models import InventoryAction, InventoryObservation
from server.constants import (
    DELIVERY_METHODS,
    EPISODE_DAYS,
    PRODUCTS,
    TASK_NAMES,
)
from server.inventory_env import EpisodeStateError, InventoryEnvironment
from server.scenario import draw_scenario
from tests.task_files import TaskDir

UNIT_TASK = "unit_rules"
WEEKEND_DAYS_OF_MONTH = {5, 6, 12, 13, 19, 20, 26, 27}

MakeEnv = Callable[..., tuple[InventoryEnvironment, InventoryObservation]]


def unit_task(**overrides: Any) -> dict[str, Any]:
    """A hand-made task: no stock, no demand, no events, lots of cash and space."""
    task: dict[str, Any] = {
        "title": "Unit rules",
        "description": "Hand-made task for hand-computed tests.",
        "default_seed": 7,
        "seed_stream": 99,
        "starting_cash": 1000.0,
        "capacity": dict.fromkeys(PRODUCTS, 1000),
        "starting_stock": {product: [] for product in PRODUCTS},
        "base_demand": {product: [0, 0] for product in PRODUCTS},
        "events": {},
    }
    for key, value in overrides.items():
        if key in ("capacity", "starting_stock"):
            task[key] = {**task[key], **value}
        else:
            task[key] = value
    return task


def demand_table(base_demand: dict[str, int | list[int]]) -> np.ndarray:
    """``[day, product]`` base demand: an int is every day's, a list is days 0.. (then 0)."""
    table = np.zeros((EPISODE_DAYS, len(PRODUCTS)), dtype=np.int64)
    for product, per_day in base_demand.items():
        column = PRODUCTS.index(product)
        if isinstance(per_day, int):
            table[:, column] = per_day
        else:
            table[: len(per_day), column] = per_day
    return table


@pytest.fixture
def make_env(task_dir: TaskDir) -> Iterator[MakeEnv]:
    """Start an episode of the hand-made task; returns the env and its reset observation.

    ``base_demand`` and ``lead_time`` ({method: days}) replace the drawn tables; anything else
    overrides the task's configuration.
    """

    def make(
        *,
        base_demand: dict[str, int | list[int]] | None = None,
        lead_time: dict[str, int] | None = None,
        reward_mode: str = "shaped",
        seed: int | None = None,
        **task_overrides: Any,
    ) -> tuple[InventoryEnvironment, InventoryObservation]:
        task_dir.add(UNIT_TASK, base=None, **unit_task(**task_overrides))
        env = InventoryEnvironment()
        observation = env.reset(task_name=UNIT_TASK, reward_mode=reward_mode, seed=seed)
        episode = env._episode
        assert episode is not None
        if base_demand is not None:
            episode.scenario = dataclasses.replace(
                episode.scenario, base_demand=demand_table(base_demand)
            )
        if lead_time is not None:
            table = np.array(episode.scenario.lead_time)
            for method, days in lead_time.items():
                table[:, :, DELIVERY_METHODS.index(method)] = days
            episode.scenario = dataclasses.replace(episode.scenario, lead_time=table)
        return env, observation

    yield make


def step(env: InventoryEnvironment, **action: Any) -> InventoryObservation:
    return env.step(InventoryAction(**action))


def idle(env: InventoryEnvironment, days: int) -> list[InventoryObservation]:
    return [step(env) for _ in range(days)]


NO_REWARD = {
    "sales": 0.0,
    "missed_sales": 0.0,
    "expired": 0.0,
    "failed_purchases": 0.0,
    "liquidation": 0.0,
}


# ---------------------------------------------------------------- 4. purchases
def test_order_cash_cannot_cover_is_rejected_whole_and_costs_half_a_point(
    make_env: MakeEnv,
) -> None:
    env, _ = make_env(starting_cash=100.0)
    # 1 electronics, slow: 1 x ($100 + $2) = $102 > $100.
    observation = step(env, buy_quantities={"electronics": 1}, delivery_method="slow")
    assert observation.total_cash == 100.0
    assert observation.purchase_cost_today == 0.0
    assert observation.updated_deliveries == []
    assert observation.reward == -0.5
    assert observation.reward_breakdown == {**NO_REWARD, "failed_purchases": -0.5}
    [rejected] = observation.rejected_orders
    assert rejected["product"] == "electronics"
    assert rejected["quantity"] == 1
    assert rejected["cost"] == 102.0
    assert "cash" in rejected["reason"]
    assert any("rejected" in message for message in observation.notes)
    totals = env.state.totals
    assert totals["rejected"]["electronics"] == 1
    assert totals["bought"]["electronics"] == 0


def test_order_costing_exactly_the_cash_is_accepted(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_cash=102.0)
    observation = step(env, buy_quantities={"electronics": 1}, delivery_method="slow")
    assert observation.rejected_orders == []
    assert observation.total_cash == 0.0
    assert observation.purchase_cost_today == 102.0
    assert observation.day_profit == -102.0
    assert observation.total_profit == -102.0
    assert observation.reward == 0.0  # the shaped reward does not charge purchases


@pytest.mark.parametrize(
    ("method", "unit_cost"), [("slow", 14.0), ("medium", 17.0), ("fast", 22.0)]
)
def test_order_costs_units_times_cost_plus_shipping(
    make_env: MakeEnv, method: str, unit_cost: float
) -> None:
    env, _ = make_env()
    # toys cost $12, shipping $2 / $5 / $10 per unit.
    observation = step(env, buy_quantities={"toys": 10}, delivery_method=method)
    assert observation.purchase_cost_today == 10 * unit_cost
    assert observation.total_cash == 1000.0 - 10 * unit_cost


def test_capacity_counts_units_in_transit(make_env: MakeEnv) -> None:
    env, _ = make_env(
        capacity={"toys": 20}, starting_stock={"toys": [[5, None]]}, lead_time={"slow": 5}
    )
    first = step(env, buy_quantities={"toys": 10})  # 5 + 10 <= 20; cost 10 x $14 = $140
    assert first.rejected_orders == []
    assert first.remaining_capacity["toys"] == 5
    assert first.total_cash == 860.0

    second = step(env, buy_quantities={"toys": 6})  # 5 on hand + 10 on the way + 6 > 20
    [rejected] = second.rejected_orders
    assert rejected["product"] == "toys"
    assert "warehouse" in rejected["reason"]
    assert second.total_cash == 860.0
    assert second.reward == -0.5
    assert second.remaining_capacity["toys"] == 5

    third = step(env, buy_quantities={"toys": 5})  # exactly fills the space
    assert third.rejected_orders == []
    assert third.remaining_capacity["toys"] == 0
    assert third.total_cash == 790.0


def test_purchases_are_processed_in_product_order(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_cash=200.0)
    # Fast: electronics $110 (paid, $90 left), clothing 4 x $35 = $140 (> $90: rejected),
    # groceries 5 x $15 = $75 (paid, $15 left). In the action's key order clothing would be
    # paid first and both others rejected.
    observation = step(
        env,
        buy_quantities={"clothing": 4, "groceries": 5, "electronics": 1},
        delivery_method="fast",
    )
    assert [order["product"] for order in observation.rejected_orders] == ["clothing"]
    assert observation.total_cash == 15.0
    assert observation.purchase_cost_today == 185.0
    assert sorted(d["product"] for d in observation.updated_deliveries) == [
        "electronics",
        "groceries",
    ]


def test_todays_sales_cannot_pay_for_todays_orders(make_env: MakeEnv) -> None:
    env, _ = make_env(
        starting_cash=0.0, starting_stock={"toys": [[10, None]]}, base_demand={"toys": 10}
    )
    observation = step(env, buy_quantities={"toys": 1})  # $14, but cash is $0 at stage 4
    assert len(observation.rejected_orders) == 1
    assert observation.units_sold["toys"] == 10
    assert observation.total_cash == 250.0


# ------------------------------------------------------------ 2-3. expiry, arrivals
@pytest.mark.parametrize("days_left", [0, 1, 2, 3, 5])
def test_grocery_batch_showing_k_days_left_sells_on_the_next_k_steps(
    make_env: MakeEnv, days_left: int
) -> None:
    env, reset = make_env(
        starting_stock={"groceries": [[10, days_left]]}, base_demand={"groceries": 1}
    )
    assert reset.updated_inventory["groceries"] == [[10, days_left]]
    for step_number in range(1, days_left + 1):
        observation = step(env)
        assert observation.units_sold["groceries"] == 1
        assert observation.units_expired["groceries"] == 0
        assert observation.updated_inventory["groceries"] == [
            [10 - step_number, days_left - step_number]
        ]
    # Showing 0 days left: removed as expired at the start of the next step.
    observation = step(env)
    remaining = 10 - days_left
    assert observation.units_expired["groceries"] == remaining
    assert observation.units_sold["groceries"] == 0
    assert observation.units_missed["groceries"] == 1
    assert observation.updated_inventory["groceries"] == []
    assert observation.reward_breakdown["expired"] == pytest.approx(-0.05 * remaining)
    assert observation.reward_breakdown["missed_sales"] == pytest.approx(-0.01)
    assert env.state.totals["expired"]["groceries"] == remaining


def test_fast_shipment_arrives_next_day_with_full_shelf_life(make_env: MakeEnv) -> None:
    env, _ = make_env(base_demand={"groceries": [0] + [1] * 29})
    ordered = step(env, buy_quantities={"groceries": 10}, delivery_method="fast")
    assert ordered.units_received["groceries"] == 0
    assert ordered.updated_inventory["groceries"] == []
    assert ordered.updated_deliveries == [
        {
            "product": "groceries",
            "quantity": 10,
            "method": "fast",
            "ordered_day": 0,
            "earliest_arrival_day": 1,
            "latest_arrival_day": 1,
        }
    ]
    assert ordered.remaining_capacity["groceries"] == 990

    # Day 1: arrives and sells on its arrival day; 5 selling days: days 1..5.
    shown = []
    for _ in range(5):
        observation = step(env)
        assert observation.units_sold["groceries"] == 1
        shown.append(observation.updated_inventory["groceries"])
    assert shown == [[[9, 4]], [[8, 3]], [[7, 2]], [[6, 1]], [[5, 0]]]
    assert env.state.totals["received"]["groceries"] == 10
    expired_day = step(env)  # day 6
    assert expired_day.units_expired["groceries"] == 5
    assert expired_day.units_missed["groceries"] == 1


def test_arrival_is_a_new_batch_behind_older_ones(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_stock={"groceries": [[4, 3]]})
    step(env, buy_quantities={"groceries": 6}, delivery_method="fast")
    observation = step(env)
    assert observation.units_received["groceries"] == 6
    assert observation.updated_inventory["groceries"] == [[4, 1], [6, 4]]


def test_non_perishable_stock_is_one_batch_without_expiry(make_env: MakeEnv) -> None:
    env, reset = make_env(starting_stock={"electronics": [[3, None]]})
    assert reset.updated_inventory["electronics"] == [[3, None]]
    step(env, buy_quantities={"electronics": 2}, delivery_method="fast")
    observation = step(env)
    assert observation.updated_inventory["electronics"] == [[5, None]]
    for observation in idle(env, EPISODE_DAYS - 2):
        assert observation.units_expired["electronics"] == 0
    assert observation.updated_inventory["electronics"] == [[5, None]]


@pytest.mark.parametrize("task_name", TASK_NAMES)
def test_lead_time_tables_stay_in_the_shipping_windows(task_name: str) -> None:
    seen: dict[str, set[int]] = {method: set() for method in DELIVERY_METHODS}
    for seed in range(4):
        lead_time = draw_scenario(task_name, seed).lead_time
        for index, method in enumerate(DELIVERY_METHODS):
            seen[method].update(int(days) for days in np.unique(lead_time[:, :, index]))
    assert seen == {"slow": {3, 4, 5, 6, 7}, "medium": {2, 3, 4}, "fast": {1}}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shipments_arrive_on_the_drawn_lead_time(make_env: MakeEnv, seed: int) -> None:
    env, _ = make_env(seed=seed, starting_cash=100_000.0)
    lead_time = env.scenario.lead_time
    # Tag each method by its order size so a day's receipts say which shipment came.
    orders = [(0, "slow", 1), (1, "medium", 10), (2, "fast", 100)]
    expected = np.zeros((EPISODE_DAYS + 10, len(PRODUCTS)), dtype=np.int64)
    observations = []
    for day, method, quantity in orders:
        observation = step(
            env, buy_quantities=dict.fromkeys(PRODUCTS, quantity), delivery_method=method
        )
        assert not observation.rejected_orders
        observations.append(observation)
        low, high = {"slow": (3, 7), "medium": (2, 4), "fast": (1, 1)}[method]
        for delivery in observation.updated_deliveries:
            if delivery["ordered_day"] == day:
                assert delivery["method"] == method
                assert delivery["earliest_arrival_day"] == day + low
                assert delivery["latest_arrival_day"] == day + high
        for index in range(len(PRODUCTS)):
            days = int(lead_time[day, index, DELIVERY_METHODS.index(method)])
            assert low <= days <= high
            expected[day + days, index] += quantity
    observations += idle(env, 10)
    for day, observation in enumerate(observations):
        received = [observation.units_received[product] for product in PRODUCTS]
        assert received == list(expected[day]), f"day {day}"
    assert all(row.sum() == 0 for row in expected[len(observations) :])


# --------------------------------------------------------- 1 + 5. demand multipliers
def test_weekend_multiplier_on_days_5_and_6_of_each_week(make_env: MakeEnv) -> None:
    env, _ = make_env(base_demand=dict.fromkeys(PRODUCTS, 10))
    for day, observation in enumerate(idle(env, EPISODE_DAYS)):
        expected = 12 if day in WEEKEND_DAYS_OF_MONTH else 10
        assert observation.demand_today == dict.fromkeys(PRODUCTS, expected), f"day {day}"
        assert observation.active_events == []


def test_events_apply_on_their_two_days_and_count_down(make_env: MakeEnv) -> None:
    env, reset = make_env(
        base_demand=dict.fromkeys(PRODUCTS, 10), events={"black_friday": 3, "christmas": 12}
    )
    assert reset.updated_events == {"black_friday": 3, "christmas": 12}
    observations = idle(env, 14)
    for simulated, observation in enumerate(observations, start=1):
        assert observation.updated_events == {
            "black_friday": 3 - simulated,
            "christmas": 12 - simulated,
        }
    by_day = dict(enumerate(observations))
    plain = dict.fromkeys(PRODUCTS, 10)
    black_friday = {
        "electronics": 30,
        "clothing": 20,
        "groceries": 10,
        "furniture": 15,
        "toys": 15,
    }
    # Christmas falls on the weekend days 12 and 13: 10 x 1.2 x event multiplier.
    christmas_weekend = {
        "electronics": 24,
        "clothing": 18,
        "groceries": 18,
        "furniture": 12,
        "toys": 36,
    }
    assert by_day[2].demand_today == plain
    assert by_day[3].demand_today == black_friday
    assert by_day[4].demand_today == black_friday
    assert by_day[5].demand_today == dict.fromkeys(PRODUCTS, 12)
    assert by_day[11].demand_today == plain
    assert by_day[12].demand_today == christmas_weekend
    assert by_day[13].demand_today == christmas_weekend
    active = {day: observation.active_events for day, observation in by_day.items()}
    assert active[2] == [] and active[5] == [] and active[11] == []
    assert active[3] == active[4] == ["black_friday"]
    assert active[12] == active[13] == ["christmas"]
    # The observation before day 3 shows 0 (starts next step); before day 4 shows -1.
    assert by_day[2].updated_events["black_friday"] == 0
    assert by_day[3].updated_events["black_friday"] == -1
    assert by_day[4].updated_events["black_friday"] == -2


def test_demand_rounds_half_up(make_env: MakeEnv) -> None:
    env, _ = make_env(
        base_demand={"clothing": [1], "furniture": [0, 0, 3], "toys": [0] * 8 + [5]},
        events={"back_to_school": 0, "black_friday": 2, "new_competitor": 8},
    )
    by_day = dict(enumerate(idle(env, 9)))
    assert by_day[0].demand_today["clothing"] == 3  # 1 x 2.5 = 2.5 -> 3
    assert by_day[2].demand_today["furniture"] == 5  # 3 x 1.5 = 4.5 -> 5
    assert by_day[8].demand_today["toys"] == 4  # 5 x 0.7 = 3.5 -> 4


PRICED_BASE = {"electronics": 10, "clothing": 10, "groceries": 20, "furniture": 4, "toys": 10}
PRICED_MULTIPLIERS = {
    "electronics": 1.3,
    "clothing": 0.5,
    "groceries": 1.5,
    "furniture": 0.8,
    "toys": 1.2,
}
# round(base x m ** -elasticity): 10 x 1.3^-1.2 = 7.30 -> 7; 10 x 0.5^-1.5 = 28.28 -> 28;
# 20 x 1.5^-0.4 = 17.01 -> 17; 4 x 0.8^-0.8 = 4.78 -> 5; 10 x 1.2^-1.3 = 7.89 -> 8.
PRICED_DEMAND = {"electronics": 7, "clothing": 28, "groceries": 17, "furniture": 5, "toys": 8}


def test_price_multipliers_move_demand_and_revenue(make_env: MakeEnv) -> None:
    env, _ = make_env(
        base_demand=PRICED_BASE,
        starting_stock={product: [[50, None]] for product in PRODUCTS if product != "groceries"}
        | {"groceries": [[50, 5]]},
    )
    observation = step(env, price_multipliers=PRICED_MULTIPLIERS)
    assert observation.demand_today == PRICED_DEMAND
    assert observation.units_sold == PRICED_DEMAND
    assert observation.price_multipliers == PRICED_MULTIPLIERS
    # 7x150x1.3 + 28x40x0.5 + 17x10x1.5 + 5x200x0.8 + 8x25x1.2 = 1365+560+255+800+240.
    assert observation.revenue_today == pytest.approx(3220.0)
    assert observation.total_cash == pytest.approx(4220.0)
    assert observation.day_profit == pytest.approx(3220.0)
    # The sales signal counts list prices: 0.001 x (1050 + 1120 + 170 + 1000 + 200).
    assert observation.reward_breakdown["sales"] == pytest.approx(3.54)
    # Omitted products sell at 1.0x the next day; weekend day 5 with toys at 1.3x:
    # 10 x 1.2 x 1.3^-1.3 = 8.53 -> 9.
    assert step(env).price_multipliers == dict.fromkeys(PRODUCTS, 1.0)
    idle(env, 3)
    weekend = step(env, price_multipliers={"toys": 1.3})
    assert weekend.current_day == 6  # the observation after simulating day 5
    assert weekend.demand_today["toys"] == 9


# ---------------------------------------------------------------- 6-7. FIFO
def test_sales_take_the_oldest_batch_first(make_env: MakeEnv) -> None:
    env, _ = make_env(
        starting_stock={"groceries": [[3, 2], [10, 5]]}, base_demand={"groceries": [5, 2]}
    )
    assert step(env).updated_inventory["groceries"] == [[8, 4]]
    assert step(env).updated_inventory["groceries"] == [[6, 3]]


def test_partial_sale_leaves_the_rest_of_the_oldest_batch(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_stock={"groceries": [[3, 2], [10, 5]]}, base_demand={"groceries": 2})
    assert step(env).updated_inventory["groceries"] == [[1, 1], [10, 4]]


def test_liquidation_takes_the_oldest_batch_first_for_no_revenue(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_stock={"groceries": [[3, 2], [10, 5]]})
    observation = step(env, liquidate={"groceries": 4})
    assert observation.updated_inventory["groceries"] == [[9, 4]]
    assert observation.units_liquidated["groceries"] == 4
    assert observation.revenue_today == 0.0
    assert observation.total_cash == 1000.0
    assert observation.notes == []
    # 4 units x $5 cost x 0.001.
    assert observation.reward_breakdown == {**NO_REWARD, "liquidation": pytest.approx(-0.02)}


def test_liquidation_comes_after_sales(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_stock={"toys": [[3, None]]}, base_demand={"toys": 3})
    observation = step(env, liquidate={"toys": 3})
    assert observation.units_sold["toys"] == 3
    assert observation.units_liquidated["toys"] == 0
    assert observation.updated_inventory["toys"] == []


def test_liquidating_more_than_on_hand_disposes_what_there_is(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_stock={"electronics": [[5, None]]})
    observation = step(env, liquidate={"electronics": 8})
    assert observation.units_liquidated["electronics"] == 5
    assert observation.updated_inventory["electronics"] == []
    assert observation.remaining_capacity["electronics"] == 1000
    [message] = observation.notes
    assert "electronics" in message and "8" in message and "5" in message
    assert observation.reward_breakdown["liquidation"] == pytest.approx(-0.5)  # 5 x $100
    assert env.state.totals["liquidated"]["electronics"] == 5


# ---------------------------------------------------------------- 8. reward
def reward_day(make_env: MakeEnv, reward_mode: str) -> InventoryObservation:
    """One day with every shaped signal non-zero (and an accepted toy order)."""
    env, _ = make_env(
        reward_mode=reward_mode,
        starting_stock={"electronics": [[2, None]], "groceries": [[4, 0], [3, 3]]},
        base_demand={"electronics": 1, "groceries": 5},
    )
    return step(
        env,
        buy_quantities={"furniture": 10, "toys": 2},  # furniture 10 x $132 > $1000
        liquidate={"electronics": 3},
    )


def test_shaped_reward_is_the_sum_of_the_brief_signals(make_env: MakeEnv) -> None:
    observation = reward_day(make_env, "shaped")
    # sold: 1 electronics ($150) + 3 groceries ($10): +0.001 x 180 = +0.18
    # missed: 2 groceries: -0.001 x 20 = -0.02;  expired: 4 groceries: -0.05 x 4 = -0.2
    # failed purchase: furniture: -0.5;  liquidated: 1 electronics (cost $100): -0.1
    assert observation.units_sold == {
        **dict.fromkeys(PRODUCTS, 0),
        "electronics": 1,
        "groceries": 3,
    }
    assert observation.units_expired["groceries"] == 4
    assert observation.units_liquidated["electronics"] == 1
    assert observation.reward_breakdown == pytest.approx(
        {
            "sales": 0.18,
            "missed_sales": -0.02,
            "expired": -0.2,
            "failed_purchases": -0.5,
            "liquidation": -0.1,
        }
    )
    assert observation.reward == pytest.approx(-0.64)
    assert observation.reward_mode == "shaped"
    # Cash: 1000 - 2 toys x $14 + 180 revenue.
    assert observation.total_cash == pytest.approx(1152.0)
    assert observation.day_profit == pytest.approx(152.0)


def test_profit_reward_is_a_thousandth_of_day_profit(make_env: MakeEnv) -> None:
    observation = reward_day(make_env, "profit")
    assert observation.reward == pytest.approx(0.152)
    assert observation.reward_mode == "profit"
    assert observation.reward_breakdown["failed_purchases"] == -0.5  # still reported


def test_total_reward_and_profit_accumulate(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_stock={"toys": [[10, None]]}, base_demand={"toys": 2})
    rewards = [step(env, buy_quantities={"clothing": 1}).reward for _ in range(3)]
    # Each day: 2 toys sold ($50), 1 clothing bought slow ($27).
    assert rewards == pytest.approx([0.05, 0.05, 0.05])
    state = env.state
    assert state.total_reward == pytest.approx(0.15)
    assert state.cash == pytest.approx(1000.0 + 3 * (50.0 - 27.0))
    assert state.total_revenue == pytest.approx(150.0)
    assert state.total_purchase_cost == pytest.approx(81.0)


# ------------------------------------------------------------ episode lifecycle
def test_reset_is_day_zero_and_the_thirtieth_step_is_done(make_env: MakeEnv) -> None:
    env, reset = make_env()
    assert reset.current_day == 0
    assert reset.days_remaining == EPISODE_DAYS
    assert reset.done is False
    assert reset.reward == 0.0
    observations = idle(env, EPISODE_DAYS)
    assert [o.done for o in observations] == [False] * (EPISODE_DAYS - 1) + [True]
    assert [o.current_day for o in observations] == list(range(1, EPISODE_DAYS + 1))
    assert observations[-1].days_remaining == 0
    assert env.done


def test_step_before_reset_raises_and_changes_nothing() -> None:
    env = InventoryEnvironment()
    before = env.state.model_dump()
    with pytest.raises(EpisodeStateError, match="reset"):
        env.step(InventoryAction(buy_quantities={"toys": 1}))
    assert env.state.model_dump() == before


def test_step_after_done_raises_and_changes_nothing(make_env: MakeEnv) -> None:
    env, _ = make_env(starting_stock={"toys": [[5, None]]})
    idle(env, EPISODE_DAYS)
    before = env.state.model_dump()
    with pytest.raises(EpisodeStateError, match="over"):
        env.step(InventoryAction(buy_quantities={"toys": 1}, liquidate={"toys": 5}))
    assert env.state.model_dump() == before
    assert env.done


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"task_name": "impossible"}, "task_name"),
        ({"reward_mode": "money"}, "reward_mode"),
        ({"difficulty": "hard"}, "difficulty"),
        ({"seed": -1}, "seed"),
        ({"seed": "7"}, "seed"),
    ],
)
def test_bad_reset_raises_and_keeps_the_running_episode(
    make_env: MakeEnv, arguments: dict[str, Any], named: str
) -> None:
    env, _ = make_env(starting_stock={"toys": [[5, None]]})
    step(env, buy_quantities={"toys": 1})
    before = env.state.model_dump()
    with pytest.raises(ValueError, match=named):
        env.reset(**arguments)
    assert env.state.model_dump() == before


def test_reset_starts_a_fresh_episode(make_env: MakeEnv) -> None:
    env, first = make_env(starting_stock={"toys": [[5, None]]})
    step(env, buy_quantities={"toys": 1}, liquidate={"toys": 2})
    again = env.reset(task_name=UNIT_TASK, episode_id="second")
    assert again.model_dump(exclude={"metadata"}) == first.model_dump(exclude={"metadata"})
    assert env.state.episode_id == "second"
    assert env.state.totals["bought"]["toys"] == 0
