"""The simulation's rules as small pure functions, each written once.

``server.constants`` holds the numbers; this module holds what is computed from them: when a
shipment can arrive, what a unit costs, how the calendar and prices move demand, how much
warehouse space is left. The simulator, the scenario draw, the grader's ceiling, the agents,
the LLM prompt and the published catalogue all call these, so a rule changes in one place
(``tests/test_rules.py`` fails when a module restates one). Only ``server.constants`` is
imported (numpy lazily, for the vectorised demand), so the wire contract and clients can use
the rules without loading the server.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from server.constants import (
    COST_PRICE,
    EVENT_DURATION_DAYS,
    EVENT_MULTIPLIERS,
    LEAD_TIME_DAYS,
    LEAD_TIME_JITTER,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    SHIPPING_COST_PER_UNIT,
    WEEKEND_DAYS,
    WEEKEND_MULTIPLIER,
)

if TYPE_CHECKING:
    import numpy as np

# --------------------------------------------------------------------------- shipping


def lead_window(method: str) -> tuple[int, int]:
    """``(earliest, latest)`` days from order to arrival: nominal lead time -/+ its jitter
    (the drawn lead time is uniform over this window, both ends included)."""
    nominal, jitter = LEAD_TIME_DAYS[method], LEAD_TIME_JITTER[method]
    return nominal - jitter, nominal + jitter


def shipping_cost(method: str) -> float:
    """Shipping paid per unit ordered with ``method``."""
    return SHIPPING_COST_PER_UNIT[method]


def unit_cost(product: str, method: str, cost_multiplier: float = 1.0) -> float:
    """What one unit ordered costs when paid: its cost price (times the day's cost multiplier,
    1.0 unless the supplier's price moved) plus shipping. Shipping never scales."""
    return COST_PRICE[product] * cost_multiplier + SHIPPING_COST_PER_UNIT[method]


CostSpike = tuple[str, int, int, float]
"""A supplier cost spike: ``(product, first day, last day, factor)``, both days included."""


def cost_spike_in_force(first_day: int, last_day: int, day: int) -> bool:
    """Does a spike over ``first_day..last_day`` (inclusive) price the orders placed on
    ``day``? The simulator's cost table and the observation's ``unit_cost`` both ask this."""
    return first_day <= day <= last_day


def cost_spike_announced(first_day: int, last_day: int, day: int, notice_days: int) -> bool:
    """Is a spike shown to an agent deciding ``day``: from ``notice_days`` before its first
    day until its last."""
    return cost_spike_in_force(first_day - notice_days, last_day, day)


def spiked_cost_multiplier(spikes: Iterable[CostSpike], product: str, day: int) -> float:
    """The cost multiplier of ``product`` ordered on ``day``: the factor of the last of
    ``spikes`` (in draw order) in force that day, 1.0 under none."""
    multiplier = 1.0
    for spiked, first_day, last_day, factor in spikes:
        if spiked == product and cost_spike_in_force(first_day, last_day, day):
            multiplier = factor
    return multiplier


# --------------------------------------------------------------------------- warehouse


def space_left(capacity: int, on_hand: int, in_transit: int) -> int:
    """Warehouse units still free for new orders: capacity - on hand - in transit (ordered
    units hold their space from the day they are paid)."""
    return capacity - on_hand - in_transit


# --------------------------------------------------------------------------- calendar


def is_weekend(day: int) -> bool:
    """Day ``day`` (0-based) is a weekend day when ``day % 7`` is in ``WEEKEND_DAYS``."""
    return day % 7 in WEEKEND_DAYS


def weekend_multiplier(day: int) -> float:
    """The weekend's demand multiplier on ``day``: ``WEEKEND_MULTIPLIER`` or 1.0."""
    return WEEKEND_MULTIPLIER if is_weekend(day) else 1.0


def event_is_active(start_day: int, day: int) -> bool:
    """An event starting on ``start_day`` is active for ``EVENT_DURATION_DAYS`` days."""
    return start_day <= day < start_day + EVENT_DURATION_DAYS


def event_has_ended(start_day: int, day: int) -> bool:
    """Has an event starting on ``start_day`` had its last day before ``day``?"""
    return day >= start_day + EVENT_DURATION_DAYS


def active_events(events: Mapping[str, int], day: int) -> list[str]:
    """Names of the events of ``events`` (name -> start day) active on ``day``, in order."""
    return [name for name, start in events.items() if event_is_active(start, day)]


def event_multiplier(event: str, product: str, size: float = 1.0) -> float:
    """Demand multiplier of ``product`` while ``event`` is active (1.0 if not listed), its
    effect (the distance from 1) scaled by ``size``: 1 is the published multiplier exactly,
    another value an event that turned out bigger or smaller than forecast."""
    published = EVENT_MULTIPLIERS.get(event, {}).get(product, 1.0)
    return published if size == 1.0 else 1.0 + (published - 1.0) * size


def day_multiplier(
    product: str, day: int, active: Iterable[str], sizes: Mapping[str, float] | None = None
) -> float:
    """The day's demand multiplier of ``product``: weekend x each active event's, in the
    order given (``active``: names of the events active on ``day``; ``sizes``: an event's
    realized size when not 1, see ``event_multiplier``)."""
    multiplier = weekend_multiplier(day)
    for event in active:
        size = 1.0 if sizes is None else sizes.get(event, 1.0)
        multiplier *= event_multiplier(event, product, size)
    return multiplier


# --------------------------------------------------------------------------- demand


def price_effect(price_multiplier: float, elasticity: float) -> float:
    """Constant-elasticity demand: a price multiplier scales demand by ``m ** -elasticity``."""
    return price_multiplier**-elasticity


def price_for_demand_ratio(price_multiplier: float, ratio: float, elasticity: float) -> float:
    """The price multiplier at which expected demand is ``ratio`` times what it is at
    ``price_multiplier``: ``price_effect`` inverted, ``m * ratio ** (-1 / elasticity)``."""
    return price_multiplier * ratio ** (-1.0 / elasticity)


def expected_demand(
    base: float, multiplier: float, price_multiplier: float, elasticity: float
) -> float:
    """Demand before rounding: ``base * multiplier * price_multiplier ** -elasticity``."""
    return float(base) * float(multiplier) * price_multiplier**-elasticity


def demand_units(base: float, multiplier: float, price_multiplier: float, elasticity: float) -> int:
    """Units customers want: ``expected_demand`` rounded half up. ``multiplier`` is the day's
    calendar multiplier (``day_multiplier``, or the scenario's table). The product is written
    out rather than calling ``expected_demand`` (the simulator calls this five times a day;
    ``tests/test_rules.py`` checks the two agree)."""
    return math.floor(float(base) * float(multiplier) * price_multiplier**-elasticity + 0.5)


def demand_units_grid(
    prices: np.ndarray, bases: np.ndarray, multiplier: float, elasticity: float
) -> np.ndarray:
    """``demand_units`` over a grid, ``[price, base]``, as floats: the vectorised twin
    (``tests/test_rules.py`` checks it equals the scalar rule element by element)."""
    import numpy as np

    expected = np.multiply.outer(prices**-elasticity, np.asarray(bases, dtype=float) * multiplier)
    return np.floor(expected + 0.5)


def max_price_for_units(units: int, base: float, multiplier: float, elasticity: float) -> float:
    """Supremum of the price multipliers at which ``demand_units`` is at least ``units``.

    ``demand >= q`` (q >= 1) holds exactly when ``base * multiplier * m ** -e + 0.5 >= q``, that
    is ``m <= (base * multiplier / (q - 0.5)) ** (1 / e)``. Returns ``inf`` for ``units <= 0``
    (any price sells zero or more) and ``0.0`` when no positive price reaches ``units``. The
    value is real-number arithmetic: the simulator's floating point may land one ulp either
    side, so callers that act on it step a hair below and check with ``demand_units``.
    """
    if units <= 0:
        return math.inf
    scale = float(base) * float(multiplier)
    if scale <= 0.0:
        return 0.0
    return (scale / (units - 0.5)) ** (1.0 / elasticity)


def highest_price_selling(units: int, base: float, multiplier: float, elasticity: float) -> float:
    """The highest allowed price multiplier at which the simulator's demand is at least
    ``units``, checked with ``demand_units`` itself. ``units`` must not exceed the demand at
    the lowest price (``ValueError`` otherwise)."""
    low, high = PRICE_MULTIPLIER_MIN, PRICE_MULTIPLIER_MAX
    if units <= 0 or demand_units(base, multiplier, high, elasticity) >= units:
        return high
    if demand_units(base, multiplier, low, elasticity) < units:
        raise ValueError(f"no allowed price sells {units} units")
    price = min(high, max(low, max_price_for_units(units, base, multiplier, elasticity)))
    step = 1e-12
    while price > low and demand_units(base, multiplier, price, elasticity) < units:
        price = max(low, price * (1.0 - step))
        step *= 4.0
    return price
