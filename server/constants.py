"""Every number of the simulation, as plain data in one place.

Nothing here computes: the simulator, the grader, the agents and the server read these
tables so that a task, a price or a shipping rule is defined exactly once.
"""

from __future__ import annotations

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
"""``score``: ``day_profit / (ceiling - floor)`` each day, and on the last day also
``- floor / (ceiling - floor)``: the rewards sum to the grader's unclamped score."""

TASK_NAMES: tuple[str, ...] = ("easy", "medium", "hard")
"""The brief's three built-in tasks in ladder order. Tasks themselves are data: the files
``server/tasks/*.toml`` plus a user's directory; every task: ``server.task_catalog``."""

MAX_SEED = 2**63 - 1
"""Largest seed a scenario takes (``server.scenario.validate_seed``)."""
