"""Properties of every trajectory, over hundreds of random action sequences per task.

Ledgers are kept from the observations alone (what was ordered and not rejected, sold,
expired, liquidated, received, lost by the supplier) and checked against the stock and cash
the simulator shows.
"""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
from collections.abc import Sequence

import numpy as np
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from models import InventoryAction, InventoryObservation
from server.constants import (
    COST_PRICE,
    DELIVERY_METHODS,
    ELASTICITY,
    EPISODE_DAYS,
    EVENT_MULTIPLIERS,
    PRODUCTS,
    SHIPPING_COST_PER_UNIT,
    TASK_NAMES,
    WEEKEND_DAYS,
    WEEKEND_MULTIPLIER,
)
from server.inventory_env import InventoryEnvironment
from server.scenario import draw_scenario
from server.task_catalog import get_task, task_names

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Deterministic examples so CI failures reproduce. Drawing examples costs far more than playing
# them (an episode with its checks takes ~2 ms), so each drawn plan is played on every task.
MANY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(MANY, max_examples=30)
ALL_TASKS = task_names()
"""Every built-in task: the brief's three (medium and hard with supplier disruptions and cost
spikes) and those with extra mechanics (demand shift)."""

products = st.sampled_from(PRODUCTS)
units = st.one_of(st.integers(0, 15), st.integers(0, 200), st.integers(0, 5000))
multipliers = st.one_of(st.just(1.0), st.sampled_from([0.5, 1.5]), st.floats(0.5, 1.5))
actions = st.builds(
    InventoryAction,
    buy_quantities=st.dictionaries(products, units, max_size=5),
    delivery_method=st.sampled_from(DELIVERY_METHODS),
    liquidate=st.one_of(st.just({}), st.dictionaries(products, units, max_size=3)),
    price_multipliers=st.dictionaries(products, multipliers, max_size=5),
)
episodes = st.lists(actions, min_size=EPISODE_DAYS, max_size=EPISODE_DAYS)
seeds = st.one_of(st.none(), st.integers(0, 2**32))


def on_hand(observation: InventoryObservation, product: str) -> int:
    return sum(quantity for quantity, _ in observation.updated_inventory[product])


def in_transit(observation: InventoryObservation, product: str) -> int:
    return sum(d["quantity"] for d in observation.updated_deliveries if d["product"] == product)


def check_episode(task_name: str, seed: int | None, plan: Sequence[InventoryAction]) -> None:
    """Play ``plan`` and check conservation, cash, signs and capacity after every step."""
    env = InventoryEnvironment()
    observation = env.reset(task_name=task_name, seed=seed)
    capacity = get_task(task_name).capacity
    starting_cash = observation.total_cash
    start_units = {product: on_hand(observation, product) for product in PRODUCTS}
    bought = dict.fromkeys(PRODUCTS, 0)
    gone = dict.fromkeys(PRODUCTS, 0)  # sold + expired + liquidated + lost
    scenario = env.scenario
    revenue = purchases = 0.0
    for day, action in enumerate(plan):
        observation = env.step(action)
        rejected = {order["product"] for order in observation.rejected_orders}
        paid = 0.0
        for product, quantity in action.buy_quantities.items():
            if quantity > 0 and product not in rejected:
                bought[product] += quantity
                unit = COST_PRICE[product] * float(
                    scenario.supplier_rows[day][PRODUCTS.index(product)][2]
                )
                paid += quantity * (unit + SHIPPING_COST_PER_UNIT[action.delivery_method])
        assert math.isclose(observation.purchase_cost_today, paid, abs_tol=1e-6)
        revenue += observation.revenue_today
        purchases += observation.purchase_cost_today

        assert observation.current_day == day + 1
        assert math.isclose(
            observation.total_cash, starting_cash + revenue - purchases, abs_tol=1e-6
        )
        assert observation.total_cash >= 0
        assert math.isclose(
            observation.total_profit, observation.total_cash - starting_cash, abs_tol=1e-9
        )
        for product in PRODUCTS:
            for table in (
                observation.demand_today,
                observation.units_sold,
                observation.units_missed,
                observation.units_expired,
                observation.units_liquidated,
                observation.units_received,
                observation.units_lost,
            ):
                assert table[product] >= 0
            assert (
                observation.units_sold[product] + observation.units_missed[product]
                == observation.demand_today[product]
            )
            assert observation.units_liquidated[product] <= action.liquidate.get(product, 0)
            gone[product] += (
                observation.units_sold[product]
                + observation.units_expired[product]
                + observation.units_liquidated[product]
                + observation.units_lost[product]
            )
            stocked = on_hand(observation, product)
            moving = in_transit(observation, product)
            assert start_units[product] + bought[product] == gone[product] + stocked + moving
            for quantity, days_left in observation.updated_inventory[product]:
                assert quantity > 0
                assert days_left is None or days_left >= 0
            assert observation.remaining_capacity[product] >= 0
            assert stocked + moving + observation.remaining_capacity[product] == capacity[product]
        assert observation.done == (day + 1 == EPISODE_DAYS)

    totals = env.state.totals
    for product in PRODUCTS:
        assert totals["bought"][product] == bought[product]
        assert totals["lost"][product] <= totals["bought"][product] - totals["received"][product]
        if scenario.lost is None:
            assert totals["lost"][product] == 0


def trajectory(task_name: str, seed: int | None, plan: Sequence[InventoryAction]) -> list[str]:
    """Every observation of the episode, serialised (the episode id is fixed)."""
    env = InventoryEnvironment()
    observations = [env.reset(task_name=task_name, seed=seed, episode_id="fixed")]
    observations += [env.step(action) for action in plan]
    return [observation.model_dump_json() for observation in observations]


@MANY
@given(seed=seeds, plan=episodes)
def test_invariants_hold_on_every_task(seed: int | None, plan: list[InventoryAction]) -> None:
    """Each drawn plan is played on every task: 200 action sequences per task."""
    for task_name in ALL_TASKS:
        note(f"task {task_name}")
        check_episode(task_name, seed, plan)


@FEW
@given(task_name=st.sampled_from(ALL_TASKS), seed=seeds, plan=episodes)
def test_same_task_seed_and_actions_replay_identically(
    task_name: str, seed: int | None, plan: list[InventoryAction]
) -> None:
    assert trajectory(task_name, seed, plan) == trajectory(task_name, seed, plan)


@FEW
@given(
    first=st.tuples(st.sampled_from(ALL_TASKS), seeds, episodes),
    second=st.tuples(st.sampled_from(ALL_TASKS), seeds, episodes),
)
def test_interleaved_environments_equal_each_alone(
    first: tuple[str, int | None, list[InventoryAction]],
    second: tuple[str, int | None, list[InventoryAction]],
) -> None:
    envs = [InventoryEnvironment(), InventoryEnvironment()]
    runs = [first, second]
    interleaved: list[list[str]] = [[], []]
    for env, (task_name, seed, _), out in zip(envs, runs, interleaved, strict=True):
        out.append(env.reset(task_name=task_name, seed=seed, episode_id="fixed").model_dump_json())
    for day in range(EPISODE_DAYS):
        for env, (_, _, plan), out in zip(envs, runs, interleaved, strict=True):
            out.append(env.step(plan[day]).model_dump_json())
    assert interleaved[0] == trajectory(*first)
    assert interleaved[1] == trajectory(*second)


def expected_demand(
    events: tuple[tuple[str, int, float], ...],
    base: int,
    day: int,
    product: str,
    multiplier: float,
    shift: tuple[tuple[int, float], ...] = (),
) -> int:
    """Demand from the brief's formula, built from the constants (round half up), with the
    realized events (start, effect scaled by the forecast error's factor), times the drawn
    demand shift's factor from its day on."""
    factor = WEEKEND_MULTIPLIER if day % 7 in WEEKEND_DAYS else 1.0
    for event, start, size in events:
        if start <= day < start + 2:
            published = EVENT_MULTIPLIERS[event].get(product, 1.0)
            factor *= published if size == 1.0 else 1.0 + (published - 1.0) * size
    if shift and day >= shift[PRODUCTS.index(product)][0]:
        factor *= shift[PRODUCTS.index(product)][1]
    return math.floor(base * factor * multiplier ** -ELASTICITY[product] + 0.5)


@FEW
@given(task_name=st.sampled_from(ALL_TASKS), seed=seeds, plans=st.tuples(episodes, episodes))
def test_every_policy_faces_the_same_base_demand(
    task_name: str, seed: int | None, plans: tuple[list[InventoryAction], list[InventoryAction]]
) -> None:
    fresh = draw_scenario(task_name, seed)
    announced = get_task(task_name).events
    assert [(name, start) for name, start, _ in fresh.events] == list(announced.items()) or (
        get_task(task_name).event_forecast is not None
    )
    for plan in plans:
        env = InventoryEnvironment()
        env.reset(task_name=task_name, seed=seed)
        for day, action in enumerate(plan):
            observation = env.step(action)
            for index, product in enumerate(PRODUCTS):
                base = int(fresh.base_demand[day, index])
                multiplier = observation.price_multipliers[product]
                assert observation.demand_today[product] == expected_demand(
                    fresh.events, base, day, product, multiplier, fresh.demand_shift
                )
        assert np.array_equal(env.scenario.base_demand, fresh.base_demand)
        assert np.array_equal(env.scenario.lead_time, fresh.lead_time)
        assert env.scenario.supplier_rows == fresh.supplier_rows  # delays, losses, costs
        assert env.scenario.cost_spikes == fresh.cost_spikes


# A fixed, busy plan for the cross-process check: every field used, big orders included.
FIXED_PLAN = [
    InventoryAction(
        buy_quantities={PRODUCTS[day % 5]: 3 + day, PRODUCTS[(day * 3) % 5]: 40 * (day % 4)},
        delivery_method=DELIVERY_METHODS[day % 3],
        liquidate={"groceries": day % 3, PRODUCTS[day % 5]: day % 2},
        price_multipliers={PRODUCTS[(day + 1) % 5]: 0.5 + (day % 11) / 10},
    )
    for day in range(EPISODE_DAYS)
]


def trajectory_hash() -> str:
    """SHA-256 of every task's trajectory under ``FIXED_PLAN``."""
    digest = hashlib.sha256()
    for task_name in TASK_NAMES:
        for line in trajectory(task_name, None, FIXED_PLAN):
            digest.update(line.encode())
    return digest.hexdigest()


def test_trajectories_are_identical_across_processes() -> None:
    script = (
        "import sys; sys.path.insert(0, 'tests'); sys.path.insert(0, '.'); "
        "import test_properties; print(test_properties.trajectory_hash())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == trajectory_hash()
