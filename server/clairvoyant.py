"""Turn the ceiling program's plan into whole-unit actions the real simulator accepts.

The plan (``server.ceiling.CeilingSolution``) has continuous units and one delivery method
per day. Each day this module rounds it to an action and checks that action on a copy of the
running episode (``copy.deepcopy`` of the real ``InventoryEnvironment``, so no rule is
restated here):

* orders the simulator would reject (the plan's cash or space was a rounding hair short) are
  cut down to the largest quantity it accepts;
* prices are the highest the simulator allows while demand still covers the planned sales
  (``server.rules.highest_price_selling``); where the stock on hand turns out smaller than
  planned, the price is raised to sell exactly that stock.

The result is a list of actions that replays open-loop, through ``run_episode`` and
``ReplayAgent``, to the same profit.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from models import InventoryAction, InventoryObservation
from server.ceiling import CeilingSolution
from server.constants import (
    ELASTICITY,
    EPISODE_DAYS,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
)
from server.inventory_env import InventoryEnvironment
from server.rules import demand_units, highest_price_selling
from server.scenario import Scenario


def plan_actions(solution: CeilingSolution) -> list[InventoryAction]:
    """The plan of ``solution`` as one checked action per day.

    Orders are rounded on their running total per product, so fractions add up to whole
    units over the days instead of being lost to rounding each day.
    """
    env = InventoryEnvironment()
    env.reset(seed=solution.seed, task_name=solution.task_name)
    scenario = env.scenario
    owed = dict.fromkeys(PRODUCTS, 0.0)
    actions = []
    for day in range(EPISODE_DAYS):
        for p, product in enumerate(PRODUCTS):
            owed[product] += float(solution.orders[day, p])
        action = _rounded_action(solution, scenario, day, owed)
        for product, units in action.buy_quantities.items():
            owed[product] -= units  # what the simulator refuses below is not carried over
        action = _accepted_orders(env, action, solution.orders[day])
        action = _prices_for_stock(env, scenario, day, action)
        env.step(action)
        actions.append(action)
    return actions


def _rounded_action(
    solution: CeilingSolution, scenario: Scenario, day: int, owed: dict[str, float]
) -> InventoryAction:
    """The plan's day in whole units; prices that let demand reach the planned sales."""
    buy, prices = {}, {}
    for p, product in enumerate(PRODUCTS):
        units = math.floor(owed[product] + 0.5)
        if units > 0:
            buy[product] = units
        prices[product] = _price(scenario, day, p, int(round(float(solution.sales[day, p]))))
    return InventoryAction(
        buy_quantities=buy,
        delivery_method=solution.methods[day],
        price_multipliers=prices,
    )


def _price(scenario: Scenario, day: int, p: int, units: int) -> float:
    base = float(scenario.base_demand[day, p])
    multiplier = float(scenario.demand_multipliers[day, p])
    elasticity = ELASTICITY[PRODUCTS[p]]
    if units <= 0:
        return PRICE_MULTIPLIER_MAX
    ceiling_units = demand_units(base, multiplier, PRICE_MULTIPLIER_MIN, elasticity)
    return highest_price_selling(min(units, ceiling_units), base, multiplier, elasticity)


def _trial(env: InventoryEnvironment, action: InventoryAction) -> InventoryObservation:
    """What ``action`` would do today, on a copy of the episode."""
    return copy.deepcopy(env).step(action)


def _accepted_orders(
    env: InventoryEnvironment, action: InventoryAction, planned: np.ndarray
) -> InventoryAction:
    """Make the simulator accept every order: first undo the roundings up above the day's
    planned units, smallest fraction first (they spent cash the plan meant for other
    products); then shrink each still rejected order (in the simulator's product order) to
    the most it accepts."""
    rounded_up = sorted(
        (float(planned[p]) % 1.0, product)
        for p, product in enumerate(PRODUCTS)
        if action.buy_quantities.get(product, 0) > planned[p] + 1e-6
    )
    while _trial(env, action).rejected_orders and rounded_up:
        _, product = rounded_up.pop(0)
        action = _with_order(action, product, action.buy_quantities[product] - 1)
    while True:
        rejected = _trial(env, action).rejected_orders
        if not rejected:
            return action
        product = rejected[0]["product"]
        low, high = 0, action.buy_quantities[product] - 1  # low is always accepted
        while low < high:
            middle = (low + high + 1) // 2
            probe = _with_order(action, product, middle)
            if any(r["product"] == product for r in _trial(env, probe).rejected_orders):
                high = middle - 1
            else:
                low = middle
        action = _with_order(action, product, low)


def _with_order(action: InventoryAction, product: str, units: int) -> InventoryAction:
    buy = {p: q for p, q in action.buy_quantities.items() if p != product}
    if units > 0:
        buy[product] = units
    return action.model_copy(update={"buy_quantities": buy})


def _prices_for_stock(
    env: InventoryEnvironment, scenario: Scenario, day: int, action: InventoryAction
) -> InventoryAction:
    """Where demand would outrun the stock on hand, price to sell exactly that stock."""
    outcome = _trial(env, action)
    prices = dict(action.price_multipliers)
    for p, product in enumerate(PRODUCTS):
        sold = outcome.units_sold[product]
        if outcome.units_missed[product] > 0 and sold > 0:
            prices[product] = max(prices[product], _price(scenario, day, p, sold))
    return action.model_copy(update={"price_multipliers": prices})
