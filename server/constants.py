"""Every number of the simulation, as plain data in one place.

Nothing here computes: the simulator, the grader, the agents and the server read these
tables so that a task, a price or a shipping rule is defined exactly once.
"""

from __future__ import annotations

from typing import Any

EPISODE_DAYS = 30
"""The 30th step returns ``done=True``."""

PRODUCTS: tuple[str, ...] = ("electronics", "clothing", "groceries", "furniture", "toys")
"""Fixed product order: purchases are processed in this order and tables are indexed by it."""

SELL_PRICE: dict[str, float] = {
    "electronics": 150.0,
    "clothing": 40.0,
    "groceries": 10.0,
    "furniture": 200.0,
    "toys": 25.0,
}
COST_PRICE: dict[str, float] = {
    "electronics": 100.0,
    "clothing": 25.0,
    "groceries": 5.0,
    "furniture": 130.0,
    "toys": 12.0,
}
SHELF_LIFE: dict[str, int | None] = {
    "electronics": None,
    "clothing": None,
    "groceries": 5,
    "furniture": None,
    "toys": None,
}
"""Selling days of a fresh batch, its arrival day included; ``None`` never expires."""

ELASTICITY: dict[str, float] = {
    "electronics": 1.2,
    "clothing": 1.5,
    "groceries": 0.4,
    "furniture": 0.8,
    "toys": 1.3,
}
"""Constant-elasticity demand: demand scales by ``multiplier ** -elasticity``."""

PRICE_MULTIPLIER_MIN = 0.5
PRICE_MULTIPLIER_MAX = 1.5
MAX_ORDER_QUANTITY = 100_000
"""Upper bound on one product's buy or liquidate quantity in one action (input sanity)."""

DELIVERY_METHODS: tuple[str, ...] = ("slow", "medium", "fast")
SHIPPING_COST_PER_UNIT: dict[str, float] = {"slow": 2.0, "medium": 5.0, "fast": 10.0}
LEAD_TIME_DAYS: dict[str, int] = {"slow": 5, "medium": 3, "fast": 1}
LEAD_TIME_JITTER: dict[str, int] = {"slow": 2, "medium": 1, "fast": 0}
"""Lead time is ``LEAD_TIME_DAYS + jitter`` with jitter uniform in ``[-j, +j]``."""

WEEKEND_DAYS: tuple[int, ...] = (5, 6)
WEEKEND_MULTIPLIER = 1.2
"""Day ``t`` is a weekend day when ``t % 7`` is in ``WEEKEND_DAYS``."""

EVENT_DURATION_DAYS = 2

EVENT_MULTIPLIERS: dict[str, dict[str, float]] = {
    "black_friday": {"electronics": 3.0, "clothing": 2.0, "furniture": 1.5, "toys": 1.5},
    "christmas": {"toys": 3.0, "electronics": 2.0, "clothing": 1.5, "groceries": 1.5},
    "back_to_school": {"clothing": 2.5, "electronics": 1.5, "toys": 1.2},
    "summer_clearance": {"clothing": 2.0, "furniture": 2.0, "toys": 1.5},
    "new_competitor": {p: 0.7 for p in PRODUCTS},
}
"""Demand multiplier per product while an event is active; products not listed: 1.0."""

REWARD_SALES_COEF = 0.001
REWARD_MISSED_COEF = 0.001
REWARD_EXPIRED_PER_UNIT = 0.05
REWARD_FAILED_PURCHASE = 0.5
REWARD_LIQUIDATION_COEF = 0.001
REWARD_PROFIT_COEF = 0.001
"""Scale of the ``profit`` reward mode: reward = day_profit * REWARD_PROFIT_COEF."""

REWARD_MODES: tuple[str, ...] = ("shaped", "profit", "score")
"""``score``: 0.0 each day, and on the last day the grader's unclamped score of the month's
profit (0 = the passive floor, 1 = the perfect-information ceiling; the rewards sum to it)."""

_FULL_CAPACITY = {
    "electronics": 60,
    "clothing": 120,
    "groceries": 150,
    "furniture": 30,
    "toys": 100,
}

TASKS: dict[str, dict[str, Any]] = {
    "easy": {
        "title": "Steady State",
        "description": (
            "Low starting stock, low steady demand, no events. Restock regularly; "
            "demand is predictable."
        ),
        "default_seed": 1001,
        "starting_cash": 1000.0,
        "capacity": dict(_FULL_CAPACITY),
        "starting_stock": {
            "electronics": [[4, None]],
            "clothing": [[10, None]],
            "groceries": [[15, 3]],
            "furniture": [[2, None]],
            "toys": [[8, None]],
        },
        "base_demand": {
            "electronics": [1, 3],
            "clothing": [3, 7],
            "groceries": [8, 16],
            "furniture": [0, 2],
            "toys": [2, 6],
        },
        "events": {},
    },
    "medium": {
        "title": "Seasonal Rush",
        "description": (
            "Default stock and cash, all five events spread across the month. "
            "Anticipate demand spikes and restock before events hit."
        ),
        "default_seed": 2002,
        "starting_cash": 1000.0,
        "capacity": dict(_FULL_CAPACITY),
        "starting_stock": {
            "electronics": [[10, None]],
            "clothing": [[20, None]],
            "groceries": [[10, 2], [20, 5]],
            "furniture": [[5, None]],
            "toys": [[15, None]],
        },
        "base_demand": {
            "electronics": [0, 10],
            "clothing": [0, 18],
            "groceries": [0, 40],
            "furniture": [0, 6],
            "toys": [0, 14],
        },
        "events": {
            "black_friday": 6,
            "christmas": 12,
            "back_to_school": 18,
            "summer_clearance": 24,
            "new_competitor": 28,
        },
    },
    "hard": {
        "title": "Chaos Mode",
        "description": (
            "Half the cash, low stock, events packed close together, higher and more volatile "
            "demand and a smaller warehouse."
        ),
        "default_seed": 3003,
        "starting_cash": 500.0,
        "capacity": {
            "electronics": 25,
            "clothing": 50,
            "groceries": 70,
            "furniture": 12,
            "toys": 40,
        },
        "starting_stock": {
            "electronics": [[1, None]],
            "clothing": [[4, None]],
            "groceries": [[10, 2]],
            "furniture": [[1, None]],
            "toys": [[4, None]],
        },
        "base_demand": {
            "electronics": [0, 14],
            "clothing": [0, 28],
            "groceries": [0, 60],
            "furniture": [0, 8],
            "toys": [0, 20],
        },
        "events": {
            "black_friday": 4,
            "christmas": 8,
            "back_to_school": 12,
            "summer_clearance": 16,
            "new_competitor": 20,
        },
    },
}
"""The three tasks. ``events`` maps event name to the day it starts (active that day and the next);
``base_demand`` is the inclusive integer range of a day's base demand per product;
``starting_stock`` lists batches as ``[quantity, days_left]`` (``None``: no expiry)."""

TASK_NAMES: tuple[str, ...] = tuple(TASKS)
TASK_INDEX: dict[str, int] = {name: i for i, name in enumerate(TASK_NAMES)}
"""Stable task number that feeds the scenario's random seed; never reorder."""
