"""Customer demand of one product on one day: the simulator's rule and its exact inverse.

The simulator (stage 5 of ``InventoryEnvironment.step``) calls ``demand_units``; the grader
uses ``max_price_for_units`` to know the highest price multiplier that still sells a given
number of units. Both live here so the rule is written once.
"""

from __future__ import annotations

import math

from server.constants import PRICE_MULTIPLIER_MAX, PRICE_MULTIPLIER_MIN


def demand_units(base: float, multiplier: float, price_multiplier: float, elasticity: float) -> int:
    """Units customers want: ``base * multiplier * price_multiplier ** -elasticity``, rounded
    half up. ``multiplier`` is the day's weekend x event multiplier."""
    expected = float(base) * float(multiplier) * price_multiplier**-elasticity
    return math.floor(expected + 0.5)


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
