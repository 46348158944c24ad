"""Flat vectors for RL libraries: Box action to ``InventoryAction``, observation to Box.

Stable-Baselines3 and most RL code want one flat ``Box``, not a ``Dict``. Actions live in
[-1, 1] (what SB3's Gaussian policies produce):

====== ============ =============================================================
dims   meaning      decoding
====== ============ =============================================================
0-4    order qty    ``a <= 0`` orders nothing, else ``round(a * capacity[p])`` units
5      shipping     ``a < -1/3`` slow, ``a < 1/3`` medium, else fast
6-10   price        multiplier ``1 + 0.5 * a``, so [0.5, 1.5]
11-15  liquidation  ``a <= 0`` nothing, else ``round(a * capacity[p])`` units
====== ============ =============================================================

Products are in ``PRODUCTS`` order. The dead zone at ``a <= 0`` makes "do nothing" easy to
hold for a policy; ``capacity`` is the task's warehouse space per product, the most that
could ever be useful. The observation is ``OBSERVATION_SIZE`` floats, scaled to roughly
[-1, 1] and clipped to ``[-OBS_BOUND, OBS_BOUND]``; ``OBSERVATION_FIELDS`` names each one.
"""

from __future__ import annotations

import numpy as np

from adapters.tasks import capacity as task_capacity
from models import InventoryAction, InventoryObservation
from server.constants import (
    DELIVERY_METHODS,
    EPISODE_DAYS,
    EVENT_MULTIPLIERS,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
    SHELF_LIFE,
)
from server.rules import is_weekend

N_PRODUCTS = len(PRODUCTS)
ACTION_SIZE = 3 * N_PRODUCTS + 1
MONEY_SCALE = 10_000.0
"""Dollars per unit of the observation's cash and profit entries."""
OBS_BOUND = 10.0
EVENTS: tuple[str, ...] = tuple(EVENT_MULTIPLIERS)
GROCERY_LIFE = SHELF_LIFE["groceries"] or 1

_PER_PRODUCT = (
    "on_hand",
    "in_transit",
    "space_left",
    "demand",
    "sold",
    "missed",
    "expired",
    "price",
)
OBSERVATION_FIELDS: tuple[str, ...] = (
    ("day", "weekend_next", "cash", "profit")
    + tuple(f"{what}:{p}" for what in _PER_PRODUCT for p in PRODUCTS)
    + tuple(f"groceries_days_left:{k}" for k in range(1, GROCERY_LIFE + 1))
    + tuple(f"event_countdown:{e}" for e in EVENTS)
    + tuple(f"event_active:{e}" for e in EVENTS)
)
OBSERVATION_SIZE = len(OBSERVATION_FIELDS)


def _units(value: float, capacity: int) -> int:
    return int(round(float(value) * capacity)) if value > 0 else 0


def decode_action(vector: np.ndarray, task_name: str) -> InventoryAction:
    """The action a [-1, 1] vector stands for on ``task_name`` (values outside are clipped)."""
    a = np.clip(np.asarray(vector, dtype=np.float64).reshape(-1), -1.0, 1.0)
    if a.shape != (ACTION_SIZE,):
        raise ValueError(f"action must have {ACTION_SIZE} entries, got shape {a.shape}")
    capacity = task_capacity(task_name)
    orders = {p: _units(a[i], capacity[p]) for i, p in enumerate(PRODUCTS)}
    method = DELIVERY_METHODS[0 if a[5] < -1 / 3 else 1 if a[5] < 1 / 3 else 2]
    prices = {
        p: float(np.clip(1.0 + 0.5 * a[6 + i], PRICE_MULTIPLIER_MIN, PRICE_MULTIPLIER_MAX))
        for i, p in enumerate(PRODUCTS)
    }
    liquidations = {p: _units(a[11 + i], capacity[p]) for i, p in enumerate(PRODUCTS)}
    return InventoryAction(
        buy_quantities={p: q for p, q in orders.items() if q},
        delivery_method=method,
        price_multipliers={p: m for p, m in prices.items() if m != 1.0},
        liquidate={p: q for p, q in liquidations.items() if q},
    )


def encode_observation(observation: InventoryObservation) -> np.ndarray:
    """The observation as ``OBSERVATION_SIZE`` float32 values in the order of the field names."""
    task = observation.task_name
    capacity = task_capacity(task)
    on_hand = {p: sum(q for q, _ in observation.updated_inventory.get(p, [])) for p in PRODUCTS}
    in_transit = dict.fromkeys(PRODUCTS, 0)
    for shipment in observation.updated_deliveries:
        in_transit[shipment["product"]] += shipment["quantity"]
    per_product = {
        "on_hand": on_hand,
        "in_transit": in_transit,
        "space_left": observation.remaining_capacity,
        "demand": observation.demand_today,
        "sold": observation.units_sold,
        "missed": observation.units_missed,
        "expired": observation.units_expired,
    }
    values = [
        observation.current_day / EPISODE_DAYS,
        1.0 if is_weekend(observation.current_day) else 0.0,
        observation.total_cash / MONEY_SCALE,
        observation.total_profit / MONEY_SCALE,
    ]
    for what in _PER_PRODUCT:
        for p in PRODUCTS:
            if what == "price":
                values.append(observation.price_multipliers.get(p, 1.0) - 1.0)
            else:
                values.append(per_product[what].get(p, 0) / capacity[p])
    grocery_days = [0.0] * GROCERY_LIFE
    for quantity, days_left in observation.updated_inventory.get("groceries", []):
        if days_left is not None and 1 <= days_left <= GROCERY_LIFE:
            grocery_days[days_left - 1] += quantity / capacity["groceries"]
    values += grocery_days
    countdowns = observation.updated_events
    values += [
        countdowns[e] / EPISODE_DAYS if e in countdowns else -1.0 for e in EVENTS
    ]  # -1: not in this task
    values += [1.0 if e in observation.active_events else 0.0 for e in EVENTS]
    vector = np.asarray(values, dtype=np.float32)
    return np.clip(vector, -OBS_BOUND, OBS_BOUND)
