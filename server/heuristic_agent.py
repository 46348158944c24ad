"""The heuristic store manager: the rules a seasoned manager would write down.

It sees only what any agent sees: the observations and the task's published configuration
(``GET /tasks``: demand ranges, events, capacity) plus the published rules (prices, costs,
elasticities, shipping, shelf life, weekend and event multipliers). It never reads the drawn
scenario.

Each day it

1. learns base demand from yesterday's feedback, removing the price, weekend and event
   effects that were in force (``demand_today`` is demand at the multiplier then in force);
   the published range is trusted until the observed mean contradicts it, then rescaled. On a
   task that publishes a demand-shift rule it instead keeps, per product, the posterior over
   the rule's (day, factor) given every day's units (``server.shift_belief``) and forecasts
   with its expected factor: a shift shows within a day or two, not after weeks of averaging;
   reads the supplier news: announced cost changes (``cost_notices``) price each order day,
   so it buys ahead of a rise and waits out a spike when it can; a shipment overdue past its
   window marks its product disrupted for the longest window the published rule allows,
   and the product's shipments and new orders are then planned late by the rule's most extra
   days and discounted by its loss chance;
2. prices each product for the expected profit over the day's possible demands: whole units
   at ``multiplier ** -elasticity`` (inelastic goods gain from the top price, elastic ones
   trade volume against margin), each unit sold worth its price minus its replacement cost,
   sales capped by the stock on hand; in the last week, elastic goods that would be left over
   are marked down until the expected demand clears them (leftover stock is worth nothing);
3. forecasts every remaining day at those prices (weekend and published event multipliers
   from the countdowns) and projects its stock day by day: FIFO, shelf life, shipments at
   their latest possible arrival;
4. plans the shipping method of today and the next few days (one method per day) so that
   each unit of projected lost demand is covered by the cheapest shipment (announced cost
   changes included, over every later order day too) that surely arrives in time (and, for
   groceries, still fresh), and orders today's share of that plan, plus safety stock sized
   by the newsvendor critical ratio (low for groceries and for the last days, since a
   leftover is lost);
5. stays within warehouse space and, when cash is short, pays for the earliest needs first
   and, among those, the best margin per dollar;
6. liquidates only grocery units that cannot possibly sell before they expire (the published
   range bounds today's demand): no profit is lost and the expiry penalty is avoided.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Any

import numpy as np

from models import InventoryAction, InventoryObservation
from server.constants import (
    DELIVERY_METHODS,
    ELASTICITY,
    EPISODE_DAYS,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
    SELL_PRICE,
    SHELF_LIFE,
)
from server.rules import (
    CostSpike,
    active_events,
    day_multiplier,
    demand_units_grid,
    expected_demand,
    lead_window,
    price_effect,
    price_for_demand_ratio,
    spiked_cost_multiplier,
)
from server.rules import unit_cost as _unit_cost
from server.shift_belief import ShiftBelief
from server.task_catalog import get_task

_LAST_DAY = EPISODE_DAYS - 1
_PRICE_GRID = np.round(np.arange(PRICE_MULTIPLIER_MIN, PRICE_MULTIPLIER_MAX + 1e-9, 0.01), 2)


@dataclass(frozen=True)
class HeuristicSettings:
    """The manager's rules of thumb, in one place."""

    prior_weight_days: float = 7.0
    """Weight of the published demand range, in days, once observations contradict it."""
    contradiction_z: float = 3.0
    """Observed mean demand this many standard errors off the published one rescales it."""
    safety_z: float = 1.0
    """Safety stock, in standard deviations, for durable goods ordered mid-month."""
    perishable_z: float = 0.5
    """Safety stock of perishables ordered mid-month (a leftover sells the next days)."""
    plan_days: int = 3
    """Days of shipping methods planned ahead (today included)."""
    clearance_days: int = 7
    """Leftover elastic goods are marked down in the last this-many days."""


@lru_cache(maxsize=4096)
def _demand_table(product: str, bases: tuple[float, ...], scale: float) -> np.ndarray:
    """``[price, base]`` whole units wanted (the simulator's half-up rounding)."""
    return demand_units_grid(_PRICE_GRID, np.array(bases), scale, ELASTICITY[product])


def best_price(
    product: str, bases: tuple[float, ...], scale: float, unit_value: float, stock: float
) -> tuple[float, float, float]:
    """(multiplier, expected units wanted, their standard deviation) maximising the expected
    profit ``(price - unit_value) * min(units wanted, stock)`` over equally likely ``bases``."""
    wanted = _demand_table(product, bases, scale)
    sold = np.minimum(wanted, stock)
    profit = ((SELL_PRICE[product] * _PRICE_GRID - unit_value)[:, None] * sold).mean(axis=1)
    # Ties (flat profit) go to the highest price: fewer units for the same money.
    best = len(_PRICE_GRID) - 1 - int(np.argmax(profit[::-1]))
    return float(_PRICE_GRID[best]), float(wanted[best].mean()), float(wanted[best].std())


@dataclass
class _Product:
    """Everything the day's decisions need about one product."""

    name: str
    price_today: float
    prices: dict[int, float]
    """Planned price multiplier per day (today on)."""
    demand: dict[int, float]
    """Expected units wanted per day (today on), at the planned prices."""
    spread: dict[int, float]
    """Standard deviation of the units wanted per day."""
    unmet: dict[int, float]
    """Expected demand that finds no stock, per day, if nothing more is ordered."""
    left_after: dict[int, float]
    """Expected sellable units left after each day's sales."""


class HeuristicAgent:
    """Forecast, price from elasticity, plan shipping, order up to a newsvendor level."""

    name = "heuristic"

    def __init__(
        self,
        task_config: Mapping[str, Any] | None = None,
        settings: HeuristicSettings | None = None,
    ) -> None:
        """``task_config``: the published task (a ``GET /tasks`` entry); ``None`` reads the
        local task table by the observation's task name."""
        self._given_config = task_config
        self.settings = settings or HeuristicSettings()
        self._config: Mapping[str, Any] = {}
        self._observed_sum: dict[str, float] = {}
        self._observed_days = 0
        self._shifts: dict[str, ShiftBelief] = {}
        self._cost_spikes: list[CostSpike] = []
        self._disrupted_until: dict[str, int] = {}

    # ---------------------------------------------------------------- protocol
    def reset(self, task_name: str) -> None:
        """Forget the previous episode; load the task's published configuration."""
        self._config = self._given_config or get_task(task_name).published
        self._observed_sum = dict.fromkeys(PRODUCTS, 0.0)
        self._observed_days = 0
        self._cost_spikes = []
        self._disrupted_until = {}
        rule = self._config.get("demand_shift")
        self._shifts = {}
        if rule:
            self._shifts = {
                p: ShiftBelief(
                    rule["first_day"],
                    rule["last_day"],
                    rule["factors"],
                    *self._config["base_demand"][p],
                )
                for p in PRODUCTS
            }

    def act(self, observation: InventoryObservation) -> InventoryAction:
        """Decide today's prices, orders and liquidation."""
        if not self._config:
            self.reset(observation.task_name)
        self._learn(observation)
        self._read_supplier_news(observation)
        today = observation.current_day
        if today > _LAST_DAY:
            return InventoryAction()
        event_starts = {name: today + left for name, left in observation.updated_events.items()}
        products = {p: self._plan_product(p, observation, event_starts) for p in PRODUCTS}
        method, orders = self._orders(observation, products)
        action: dict[str, Any] = {
            "delivery_method": method,
            "price_multipliers": {p: info.price_today for p, info in products.items()},
        }
        if orders:
            action["buy_quantities"] = orders
        liquidate = self._hopeless_groceries(observation, products, event_starts)
        if liquidate:
            action["liquidate"] = liquidate
        return InventoryAction(**action)

    # ---------------------------------------------------------------- demand
    def _learn(self, observation: InventoryObservation) -> None:
        """Fold yesterday's demand, stripped of price, weekend and events, into the estimate."""
        if observation.current_day <= 0 or not observation.demand_today:
            return
        yesterday = observation.current_day - 1
        for product in PRODUCTS:
            price = observation.price_multipliers.get(product, 1.0)
            calendar = day_multiplier(product, yesterday, observation.active_events)
            effect = calendar * price_effect(price, ELASTICITY[product])
            units = observation.demand_today.get(product, 0)
            if effect > 0:
                self._observed_sum[product] += units / effect
            if product in self._shifts:
                self._shifts[product].observe(yesterday, units, effect)
        self._observed_days += 1

    # ---------------------------------------------------------------- supplier
    def _read_supplier_news(self, observation: InventoryObservation) -> None:
        """Announced cost changes per (product, order day); products whose shipments are
        overdue are taken as disrupted for the longest window the published rule allows."""
        self._cost_spikes = [  # in the simulator's order: where two overlap, the last holds
            (n["product"], int(n["first_day"]), int(n["last_day"]), float(n["cost_multiplier"]))
            for n in observation.cost_notices
        ]
        rule = self._config.get("supplier_disruption")
        if not rule:
            return
        today = observation.current_day
        for shipment in observation.updated_deliveries:
            if int(shipment["latest_arrival_day"]) < today:
                product = shipment["product"]
                until = int(shipment["ordered_day"]) + int(rule["length"][1]) - 1
                self._disrupted_until[product] = max(self._disrupted_until.get(product, -1), until)

    def _extra_delay(self, product: str, order_day: int) -> int:
        """Days an order of ``product`` placed on ``order_day`` may arrive late (0 unless the
        product looks disrupted then)."""
        if order_day > self._disrupted_until.get(product, -1):
            return 0
        return int(self._config["supplier_disruption"]["extra_days"][1])

    def _loss_chance(self, product: str, order_day: int) -> float:
        if order_day > self._disrupted_until.get(product, -1):
            return 0.0
        return float(self._config["supplier_disruption"]["loss_chance"])

    def _unit_cost_on(self, product: str, method: str, order_day: int) -> float:
        """Unit cost of an order placed on ``order_day``, announced cost changes included."""
        multiplier = spiked_cost_multiplier(self._cost_spikes, product, order_day)
        return _unit_cost(product, method, multiplier)

    def _shift(self, product: str, day: int) -> float:
        """The expected multiplier of the product's unannounced shift on ``day`` (1 without a
        published shift rule)."""
        belief = self._shifts.get(product)
        return 1.0 if belief is None else belief.expected_factor(day)

    def _demand_ratio(self, product: str) -> float:
        """How far observed demand says the published range is off, as a factor on it.

        The published range is trusted (its exact whole numbers decide where rounding
        thresholds fall) until yesterday's demands, stripped of price and calendar effects,
        contradict its mean by more than ``contradiction_z`` standard errors; then the range
        is rescaled to the blend of both.
        """
        low, high = self._config["base_demand"][product]
        prior_mean = (low + high) / 2.0
        days = self._observed_days
        if prior_mean <= 0 or days == 0 or product in self._shifts:
            return 1.0  # a published shift rule: the shift belief explains the level
        observed_mean = self._observed_sum[product] / days
        spread = high - low + 1
        prior_sd = math.sqrt((spread * spread - 1) / 12.0) + 0.5  # + rounding noise
        if abs(observed_mean - prior_mean) <= self.settings.contradiction_z * prior_sd / math.sqrt(
            days
        ):
            return 1.0
        weight = self.settings.prior_weight_days
        blended = (weight * prior_mean + days * observed_mean) / (weight + days)
        return blended / prior_mean

    def _bases(self, product: str) -> tuple[float, ...]:
        """Equally likely base demands: the published range, rescaled to the learned mean."""
        low, high = self._config["base_demand"][product]
        ratio = self._demand_ratio(product)
        return tuple(round(b * ratio, 3) for b in range(int(low), int(high) + 1))

    @staticmethod
    def _day_multiplier(product: str, day: int, event_starts: Mapping[str, int]) -> float:
        return day_multiplier(product, day, active_events(event_starts, day))

    # ---------------------------------------------------------------- stock
    def _plan_product(
        self, product: str, observation: InventoryObservation, event_starts: Mapping[str, int]
    ) -> _Product:
        """Prices, forecast and stock projection of one product (steps 2 and 3)."""
        today = observation.current_day
        bases = self._bases(product)
        value = _unit_cost(product, "slow")
        prices: dict[int, float] = {}
        demand: dict[int, float] = {}
        spread: dict[int, float] = {}
        for day in range(today, EPISODE_DAYS):
            scale = self._day_multiplier(product, day, event_starts) * self._shift(product, day)
            prices[day], demand[day], spread[day] = best_price(
                product, bases, scale, value, math.inf
            )
        batches, arrivals = self._supply(product, observation)
        on_hand_today = sum(units for units, _ in batches) + arrivals.get(today, 0.0)
        scale_today = self._day_multiplier(product, today, event_starts) * self._shift(
            product, today
        )
        price, demand[today], spread[today] = best_price(
            product, bases, scale_today, value, on_hand_today
        )
        cleared = self._clearance_price(product, observation, price, demand)
        if cleared != price:
            price = cleared
            wanted = _demand_table(product, bases, scale_today)
            demand[today] = float(wanted[int(round((price - PRICE_MULTIPLIER_MIN) * 100))].mean())
        prices[today] = price
        unmet, left_after = self._project(product, today, batches, arrivals, demand)
        return _Product(product, price, prices, demand, spread, unmet, left_after)

    def _supply(
        self, product: str, observation: InventoryObservation
    ) -> tuple[list[list[float]], dict[int, float]]:
        """On-hand batches ``[units, last selling day]`` and in-transit units by latest day."""
        today = observation.current_day
        batches = [
            [float(units), math.inf if days_left is None else today + days_left - 1]
            for units, days_left in observation.updated_inventory.get(product, [])
        ]
        arrivals: dict[int, float] = {}
        perishable = SHELF_LIFE[product] is not None
        for shipment in observation.updated_deliveries:
            if shipment["product"] != product:
                continue
            ordered = int(shipment["ordered_day"])
            # A shipment of a disrupted product may come late, or never.
            late = self._extra_delay(product, ordered)
            latest = max(today, int(shipment["latest_arrival_day"]) + late)
            # Durable goods: plan on the latest arrival. Perishables: an early arrival also
            # expires early, so spread the shipment evenly over its window.
            earliest = max(today, int(shipment["earliest_arrival_day"])) if perishable else latest
            quantity = float(shipment["quantity"]) * (1.0 - self._loss_chance(product, ordered))
            share = quantity / (latest - earliest + 1)
            for day in range(earliest, latest + 1):
                arrivals[day] = arrivals.get(day, 0.0) + share
        return batches, arrivals

    @staticmethod
    def _project(
        product: str,
        today: int,
        batches: list[list[float]],
        arrivals: Mapping[int, float],
        demand: Mapping[int, float],
    ) -> tuple[dict[int, float], dict[int, float]]:
        """Sell the forecast FIFO from today on; return unmet demand and stock left per day."""
        shelf_life = SHELF_LIFE[product]
        batches = [list(b) for b in batches]
        unmet: dict[int, float] = {}
        left_after: dict[int, float] = {}
        for day in range(today, EPISODE_DAYS):
            batches = [b for b in batches if b[1] >= day and b[0] > 1e-9]
            if day in arrivals:
                last = math.inf if shelf_life is None else day + shelf_life - 1
                batches.append([arrivals[day], last])
            wanted = demand[day]
            for batch in batches:
                taken = min(batch[0], wanted)
                batch[0] -= taken
                wanted -= taken
            unmet[day] = wanted
            left_after[day] = sum(b[0] for b in batches if b[1] > day)
        return unmet, left_after

    def _clearance_price(
        self,
        product: str,
        observation: InventoryObservation,
        price: float,
        demand: Mapping[int, float],
    ) -> float:
        """In the last days, mark an elastic durable down so that its leftover stock sells."""
        elasticity = ELASTICITY[product]
        days_left = EPISODE_DAYS - observation.current_day
        if days_left > self.settings.clearance_days or elasticity <= 1.0:
            return price
        if SHELF_LIFE[product] is not None:
            return price
        stock = sum(units for units, _ in observation.updated_inventory.get(product, []))
        stock += sum(
            s["quantity"]
            for s in observation.updated_deliveries
            if s["product"] == product and s["latest_arrival_day"] <= _LAST_DAY
        )
        expected = sum(demand.values())
        if expected <= 0 or stock <= expected:
            return price
        cleared = price_for_demand_ratio(price, stock / expected, elasticity)
        return round(max(PRICE_MULTIPLIER_MIN, min(price, cleared)), 2)

    # ---------------------------------------------------------------- orders
    def _margin(self, info: _Product, day: int, method: str, order_day: int | None = None) -> float:
        """Margin of a unit sold on ``day``, ordered on ``order_day`` (default: no announced
        cost change), lost shipments' expected cost included."""
        if order_day is None:
            return SELL_PRICE[info.name] * info.prices[day] - _unit_cost(info.name, method)
        cost = self._unit_cost_on(info.name, method, order_day)
        cost /= 1.0 - self._loss_chance(info.name, order_day)
        return SELL_PRICE[info.name] * info.prices[day] - cost

    def _serves(self, product: str, order_day: int, method: str, day: int) -> bool:
        """Does an order placed on ``order_day`` surely arrive by ``day``, still fresh?"""
        earliest, latest = lead_window(method)
        latest += self._extra_delay(product, order_day)
        if order_day + latest > day or order_day + latest > _LAST_DAY:
            return False
        shelf_life = SHELF_LIFE[product]
        return shelf_life is None or day <= order_day + earliest + shelf_life - 1

    def _orders(
        self, observation: InventoryObservation, products: Mapping[str, _Product]
    ) -> tuple[str, dict[str, int]]:
        """Plan methods for the next few days; order today's share, within space and cash."""
        today = observation.current_day
        horizon = range(today + 1, min(_LAST_DAY, today + self.settings.plan_days + 7) + 1)
        plan_days = range(today, today + self.settings.plan_days)
        later = today + self.settings.plan_days
        best_value, best_plan = -1.0, ("slow",) * len(plan_days)
        best_assignment: dict[str, list[int]] = {}
        # Ordering after the planned days: the best margin of any later order day (they differ
        # only by announced cost changes; without one, the first later day is the best).
        outside_of = {
            (p, day): max(
                [
                    self._margin(info, day, m, order_day)
                    for order_day in range(later, day)
                    for m in DELIVERY_METHODS
                    if self._serves(p, order_day, m, day)
                ],
                default=0.0,
            )
            for p, info in products.items()
            for day in horizon
            if info.unmet[day] > 1e-9
        }
        for plan in itertools.product(DELIVERY_METHODS, repeat=len(plan_days)):
            value = 0.0
            assignment: dict[str, list[int]] = {p: [] for p in products}
            for p, info in products.items():
                for day in horizon:
                    units = info.unmet[day]
                    if units <= 1e-9:
                        continue
                    outside = outside_of[p, day]
                    options = [
                        (self._margin(info, day, m, today + k), -k)
                        for k, m in enumerate(plan)
                        if self._serves(p, today + k, m, day)
                    ]
                    inside = max(options, default=(0.0, 0))
                    gain = max(inside[0], outside, 0.0)
                    value += units * gain
                    if inside[1] == 0 and inside[0] >= outside and inside[0] > 0:
                        assignment[p].append(day)
            if value > best_value + 1e-9:
                best_value, best_plan, best_assignment = value, plan, assignment
        method = best_plan[0]
        chunks = [
            chunk
            for p, days in best_assignment.items()
            if days
            for chunk in self._order_chunks(products[p], days, method, observation)
        ]
        costs = {p: observation.unit_cost(p, method) for p in products}  # cost spikes included
        return method, self._fit_cash(observation.total_cash, method, products, chunks, costs)

    def _order_chunks(
        self, info: _Product, days: list[int], method: str, observation: InventoryObservation
    ) -> list[tuple[int, str, float]]:
        """``(day needed, product, units)``: the unmet demand of ``days``, plus safety stock
        on the last one, within warehouse space and (durables) what the month can sell."""
        last = max(days)
        needs = [(d, info.unmet[d]) for d in sorted(days)]
        z = self._safety_z(info, method, last)
        variance = sum(info.spread[d] ** 2 for d in range(observation.current_day, last + 1))
        total = sum(units for _, units in needs)
        units = max(0.0, total + z * math.sqrt(variance) - info.left_after[last])
        units = min(units, float(observation.remaining_capacity.get(info.name, 0)))
        if SHELF_LIFE[info.name] is None:
            units = min(units, self._sellable_until_end(info, method, observation))
        if units > total:
            needs[-1] = (last, needs[-1][1] + units - total)
        chunks: list[tuple[int, str, float]] = []
        for day, need in needs:
            take = min(need, units)
            if take > 1e-9:
                chunks.append((day, info.name, take))
            units -= take
        return chunks

    def _sellable_until_end(
        self, info: _Product, method: str, observation: InventoryObservation
    ) -> float:
        """Most units worth adding to a durable's stock: what the rest of the month will
        likely sell (newsvendor quantile, a leftover being worth nothing) minus stock and
        shipments already on their way."""
        expected = sum(info.demand.values())
        spread = math.sqrt(sum(sd * sd for sd in info.spread.values()))
        z = self._end_z(info, method)
        held = sum(units for units, _ in observation.updated_inventory.get(info.name, []))
        held += sum(
            s["quantity"] for s in observation.updated_deliveries if s["product"] == info.name
        )
        return max(0.0, expected + z * spread - held)

    def _safety_z(self, info: _Product, method: str, last_day: int) -> float:
        """Mid-month: a fixed service level (a leftover sells on the next days). At the
        month's end: the newsvendor ratio, since a leftover is lost."""
        if last_day < _LAST_DAY:
            if SHELF_LIFE[info.name] is None:
                return self.settings.safety_z
            return self.settings.perishable_z
        return self._end_z(info, method, last_day)

    def _end_z(self, info: _Product, method: str, day: int = _LAST_DAY) -> float:
        """Newsvendor: service level = underage / (underage + overage)."""
        underage = max(0.0, self._margin(info, day, method))
        overage = _unit_cost(info.name, method)
        ratio = min(0.95, max(0.05, underage / (underage + overage)))
        return NormalDist().inv_cdf(ratio)

    def _fit_cash(
        self,
        cash: float,
        method: str,
        products: Mapping[str, _Product],
        chunks: list[tuple[int, str, float]],
        costs: Mapping[str, float],
    ) -> dict[str, int]:
        """Whole units; when cash is short, the earliest needs first and, for the same day,
        the best margin per dollar. ``costs``: today's unit cost per product (what the
        simulator charges)."""
        chunks = sorted(
            chunks,
            key=lambda c: (
                c[0],
                -self._margin(products[c[1]], c[0], method) / costs[c[1]],
            ),
        )
        wanted: dict[str, float] = {}
        budget = cash
        for _day, p, units in chunks:
            take = min(units, budget / costs[p])
            if take <= 0:
                break
            wanted[p] = wanted.get(p, 0.0) + take
            budget -= take * costs[p]
        orders: dict[str, int] = {}
        budget = cash - 1e-6
        for p, units in wanted.items():
            price = costs[p]
            whole = min(int(math.floor(units + 0.5)), int(budget // price))
            if whole > 0:
                orders[p] = whole
                budget -= whole * price
        return orders

    # ---------------------------------------------------------------- liquidation
    def _hopeless_groceries(
        self,
        observation: InventoryObservation,
        products: Mapping[str, _Product],
        event_starts: Mapping[str, int],
    ) -> dict[str, int]:
        """Units in batches on their last selling day beyond the most demand possible today."""
        liquidate: dict[str, int] = {}
        today = observation.current_day
        for p, info in products.items():
            if SHELF_LIFE[p] is None:
                continue
            last_day_units = sum(
                units
                for units, days_left in observation.updated_inventory.get(p, [])
                if days_left == 1
            )
            if last_day_units <= 0:
                continue
            high = self._config["base_demand"][p][1] * max(1.0, self._demand_ratio(p))
            if p in self._shifts:
                high *= max(1.0, self._shifts[p].largest_factor(today))
            scale = self._day_multiplier(p, today, event_starts)
            # one unit above the rounded demand of the highest base: a safe upper bound
            most = math.ceil(expected_demand(high, scale, info.price_today, ELASTICITY[p]) + 0.5)
            if last_day_units > most:
                liquidate[p] = int(last_day_units - most)
        return liquidate
