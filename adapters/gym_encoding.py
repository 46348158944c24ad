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
could ever be useful. The observation is ``OBSERVATION_SIZE`` (84) floats, scaled to roughly
[-1, 1] and clipped to ``[-OBS_BOUND, OBS_BOUND]``; ``OBSERVATION_FIELDS`` names each one:

======= ==================================== ==============================================
dims    fields                               scaling
======= ==================================== ==============================================
0-3     day, weekend_next, cash, profit      day / 30; 0 or 1; dollars / ``MONEY_SCALE``
4-38    ``UNIT_FIELDS``, 5 products each      units / capacity
39-43   price                                multiplier - 1
44-48   groceries_days_left:1..5             units / groceries capacity
49-53   event_countdown                      (announced start - day) / 30, -1 if not in task
54-58   event_active                         0 or 1 (the realized days)
59-68   lost, overdue (5 products each)      units lost today; units in transit past their
                                             promised latest arrival day; / capacity
69-83   ``COST_NOTICE_FIELDS`` (5 each)      multiplier - 1; days until it starts; days
                                             until the normal cost is back; days / 30
======= ==================================== ==============================================

The event countdown is a forecast on tasks with an ``event_forecast`` (the real start may
differ); ``event_active`` shows the real days. Cost notice columns: see ``cost_notice_columns``.
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

UNIT_FIELDS = ("on_hand", "in_transit", "space_left", "demand", "sold", "missed", "expired")
"""The per-product unit counts of the observation, each divided by the product's capacity."""
_PER_PRODUCT = (*UNIT_FIELDS, "price")
COST_NOTICE_FIELDS = ("cost_notice", "cost_notice_start", "cost_notice_end")
"""Per product, the cost notice shown (see ``cost_notice_columns``): multiplier - 1, days
until it starts (0 once in force) and days until it ends (the first day back to normal cost),
the days divided by ``EPISODE_DAYS``; all 0 without a notice."""
OBSERVATION_FIELDS: tuple[str, ...] = (
    ("day", "weekend_next", "cash", "profit")
    + tuple(f"{what}:{p}" for what in _PER_PRODUCT for p in PRODUCTS)
    + tuple(f"groceries_days_left:{k}" for k in range(1, GROCERY_LIFE + 1))
    + tuple(f"event_countdown:{e}" for e in EVENTS)
    + tuple(f"event_active:{e}" for e in EVENTS)
    + tuple(f"{what}:{p}" for what in ("lost", "overdue") for p in PRODUCTS)
    + tuple(f"{what}:{p}" for what in COST_NOTICE_FIELDS for p in PRODUCTS)
)
OBSERVATION_SIZE = len(OBSERVATION_FIELDS)


def decode_batch(
    vectors: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The actions ``[B, ACTION_SIZE]`` vectors stand for (values outside [-1, 1] are clipped),
    as the batch simulator's arrays: ``buy[B, P]``, ``method[B]`` (index into
    ``DELIVERY_METHODS``), ``price[B, P]``, ``liquidate[B, P]``; ``capacity`` is ``[B, P]``."""
    a = np.clip(np.asarray(vectors, dtype=np.float64), -1.0, 1.0)
    if a.ndim != 2 or a.shape[1] != ACTION_SIZE:
        raise ValueError(f"actions must have {ACTION_SIZE} entries each, got shape {a.shape}")
    orders, shipping = a[:, :N_PRODUCTS], a[:, N_PRODUCTS]
    prices, disposals = a[:, N_PRODUCTS + 1 : 2 * N_PRODUCTS + 1], a[:, 2 * N_PRODUCTS + 1 :]
    method = np.where(shipping < -1 / 3, 0, np.where(shipping < 1 / 3, 1, 2))
    price = np.clip(1.0 + 0.5 * prices, PRICE_MULTIPLIER_MIN, PRICE_MULTIPLIER_MAX)
    return _units(orders, capacity), method, price, _units(disposals, capacity)


def _units(values: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``a <= 0``: none, else ``a * capacity`` rounded half to even (Python's ``round``)."""
    return np.where(values > 0, np.rint(values * capacity), 0.0).astype(np.int64)


def decode_action(vector: np.ndarray, task_name: str) -> InventoryAction:
    """The action a [-1, 1] vector stands for on ``task_name`` (values outside are clipped)."""
    a = np.asarray(vector, dtype=np.float64).reshape(-1)
    if a.shape != (ACTION_SIZE,):
        raise ValueError(f"action must have {ACTION_SIZE} entries, got shape {a.shape}")
    capacity = task_capacity(task_name)
    buy, method, price, liquidate = decode_batch(
        a[None], np.array([[capacity[p] for p in PRODUCTS]])
    )
    return InventoryAction(
        buy_quantities={p: int(q) for p, q in zip(PRODUCTS, buy[0].tolist(), strict=True) if q},
        delivery_method=DELIVERY_METHODS[int(method[0])],
        price_multipliers={
            p: m for p, m in zip(PRODUCTS, price[0].tolist(), strict=True) if m != 1.0
        },
        liquidate={p: int(q) for p, q in zip(PRODUCTS, liquidate[0].tolist(), strict=True) if q},
    )


def encode_batch(
    *,
    day: np.ndarray,
    cash: np.ndarray,
    profit: np.ndarray,
    capacity: np.ndarray,
    units: np.ndarray,
    price: np.ndarray,
    grocery_units_by_days_left: np.ndarray,
    event_countdown: np.ndarray,
    event_known: np.ndarray,
    event_active: np.ndarray,
    lost: np.ndarray,
    overdue: np.ndarray,
    cost_notices: np.ndarray,
    notice_shown: np.ndarray,
) -> np.ndarray:
    """``[B, OBSERVATION_SIZE]`` float32 observations, in the order of ``OBSERVATION_FIELDS``.

    ``day``, ``cash``, ``profit`` are ``[B]``; ``capacity`` and ``price`` are ``[B, P]``;
    ``units`` is ``[B, len(UNIT_FIELDS), P]``, the per-product counts in ``UNIT_FIELDS`` order;
    ``grocery_units_by_days_left`` is ``[B, GROCERY_LIFE]`` (1..GROCERY_LIFE days left);
    ``event_countdown`` (start day - day), ``event_known`` (the task has it) and
    ``event_active`` are ``[B, len(EVENTS)]``; ``lost`` (units the supplier lost today) and
    ``overdue`` (units in transit past their promised latest arrival day) are ``[B, P]``,
    divided by capacity like ``units``; ``cost_notices`` is ``[B, K, 4]`` (product index,
    first day, last day, multiplier, in ``cost_notices`` order) with ``notice_shown[B, K]``
    saying which are in the observation. Both the single env and the vector env encode with
    this one function.
    """
    columns = [
        (day / EPISODE_DAYS)[:, None],
        _weekend(day)[:, None],
        (cash / MONEY_SCALE)[:, None],
        (profit / MONEY_SCALE)[:, None],
        (units / capacity[:, None, :]).reshape(len(day), -1),
        price - 1.0,
        grocery_units_by_days_left / capacity[:, PRODUCTS.index("groceries"), None],
        np.where(event_known, event_countdown / EPISODE_DAYS, -1.0),  # -1: not in this task
        event_active,
        (np.stack([lost, overdue], axis=1) / capacity[:, None, :]).reshape(len(day), -1),
        cost_notice_columns(day, cost_notices, notice_shown).reshape(len(day), -1),
    ]
    vector = np.concatenate(columns, axis=1, dtype=np.float32)
    return np.clip(vector, -OBS_BOUND, OBS_BOUND, out=vector)


def cost_notice_columns(day: np.ndarray, notices: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """``[B, 3, P]``, the ``COST_NOTICE_FIELDS`` of each episode and product: the multiplier of
    the notice to show - 1, the days until it starts (0 once in force) and until the cost is
    back to normal (``last_day + 1 - day``), days / ``EPISODE_DAYS``; all 0 without one.
    The notice shown is the one in force today (the last listed, as
    ``InventoryObservation.unit_cost`` reads them), else the upcoming one that starts first
    (the first listed among equals). ``notices`` and ``shown`` as ``encode_batch`` takes them."""
    size, most = len(day), notices.shape[1]
    columns = np.zeros((size, 3, N_PRODUCTS))
    flat = columns.reshape(size, -1)  # a view: column c of product p is entry c * P + p
    best = np.full((size, N_PRODUCTS), -np.inf)
    for k in range(most):  # one notice per episode at a time: no repeated cell below
        row = np.flatnonzero(shown[:, k])
        product, first, last, factor = notices[row, k].T
        product = product.astype(np.int64)
        today = day[row]
        # Higher wins: in force, the last listed; else the soonest, the first listed of those.
        rank = np.where(first <= today, k, -1.0 - (first * most + k))
        better = rank > best[row, product]
        row, product, today = row[better], product[better], today[better]
        best[row, product] = rank[better]
        flat[row, product] = factor[better] - 1.0
        flat[row, N_PRODUCTS + product] = np.maximum(first[better] - today, 0) / EPISODE_DAYS
        flat[row, 2 * N_PRODUCTS + product] = (last[better] + 1 - today) / EPISODE_DAYS
    return columns


_WEEKEND = np.array([is_weekend(day) for day in range(EPISODE_DAYS + 1)])
"""``is_weekend`` of every day an observation can show, to look arrays of days up."""


def _weekend(day: np.ndarray) -> np.ndarray:
    return _WEEKEND[day]


def encode_observation(observation: InventoryObservation) -> np.ndarray:
    """The observation as ``OBSERVATION_SIZE`` float32 values in the order of the field names."""
    capacity = task_capacity(observation.task_name)
    on_hand = {p: sum(q for q, _ in observation.updated_inventory.get(p, [])) for p in PRODUCTS}
    in_transit = dict.fromkeys(PRODUCTS, 0)
    for shipment in observation.updated_deliveries:
        in_transit[shipment["product"]] += shipment["quantity"]
    tables = (
        on_hand,
        in_transit,
        observation.remaining_capacity,
        observation.demand_today,
        observation.units_sold,
        observation.units_missed,
        observation.units_expired,
    )  # UNIT_FIELDS order
    grocery_units = [0] * GROCERY_LIFE
    for quantity, days_left in observation.updated_inventory.get("groceries", []):
        if days_left is not None and 1 <= days_left <= GROCERY_LIFE:
            grocery_units[days_left - 1] += quantity
    countdowns = observation.updated_events
    notices = [
        [PRODUCTS.index(n["product"]), n["first_day"], n["last_day"], n["cost_multiplier"]]
        for n in observation.cost_notices
    ]
    overdue = dict.fromkeys(PRODUCTS, 0)
    for shipment in observation.updated_deliveries:
        if shipment["latest_arrival_day"] < observation.current_day:
            overdue[shipment["product"]] += shipment["quantity"]
    vector = encode_batch(
        day=np.array([observation.current_day]),
        cash=np.array([observation.total_cash], dtype=np.float64),
        profit=np.array([observation.total_profit], dtype=np.float64),
        capacity=np.array([[capacity[p] for p in PRODUCTS]]),
        units=np.array([[[table.get(p, 0) for p in PRODUCTS] for table in tables]]),
        price=np.array([[observation.price_multipliers.get(p, 1.0) for p in PRODUCTS]]),
        grocery_units_by_days_left=np.array([grocery_units]),
        event_countdown=np.array([[countdowns.get(e, 0) for e in EVENTS]]),
        event_known=np.array([[e in countdowns for e in EVENTS]]),
        event_active=np.array([[e in observation.active_events for e in EVENTS]]),
        lost=np.array([[observation.units_lost.get(p, 0) for p in PRODUCTS]]),
        overdue=np.array([[overdue[p] for p in PRODUCTS]]),
        cost_notices=np.array([notices], dtype=np.float64).reshape(1, len(notices), 4),
        notice_shown=np.ones((1, len(notices)), dtype=bool),
    )
    return vector[0]
