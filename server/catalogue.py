"""The published catalogue: every public number of the simulation and of its tasks, as JSON.

One serializer for everyone who shows the rules: ``GET /tasks`` returns ``task_catalogue``,
the play view embeds it in its page, the LLM prompt states it in words. Numbers come from
``server.constants``; what is derived from them (arrival windows) from ``server.rules``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from models import InventoryAction, InventoryObservation
from server import constants as c
from server.rules import lead_window, shipping_cost
from server.task_catalog import tasks


@lru_cache(maxsize=1)
def rules_catalogue() -> dict[str, Any]:
    """The task-independent part: products, shipping, events, weekend, prices, rewards.
    Treat as read-only (cached)."""
    return {
        "episode_days": c.EPISODE_DAYS,
        "products": [
            {
                "name": product,
                "sell_price": c.SELL_PRICE[product],
                "cost_price": c.COST_PRICE[product],
                "shelf_life_days": c.SHELF_LIFE[product],
                "elasticity": c.ELASTICITY[product],
            }
            for product in c.PRODUCTS
        ],
        "shipping": [
            {
                "method": method,
                "cost_per_unit": shipping_cost(method),
                "lead_time_days": c.LEAD_TIME_DAYS[method],
                "jitter_days": c.LEAD_TIME_JITTER[method],
                "min_days": lead_window(method)[0],
                "max_days": lead_window(method)[1],
            }
            for method in c.DELIVERY_METHODS
        ],
        "events": [
            {
                "name": name,
                "duration_days": c.EVENT_DURATION_DAYS,
                "demand_multipliers": multipliers,
            }
            for name, multipliers in c.EVENT_MULTIPLIERS.items()
        ],
        "weekend": {"days": list(c.WEEKEND_DAYS), "multiplier": c.WEEKEND_MULTIPLIER},
        "price_multiplier": {"min": c.PRICE_MULTIPLIER_MIN, "max": c.PRICE_MULTIPLIER_MAX},
        "max_order_quantity": c.MAX_ORDER_QUANTITY,
        "reward": {
            "modes": list(c.REWARD_MODES),
            "sales_coef": c.REWARD_SALES_COEF,
            "missed_coef": c.REWARD_MISSED_COEF,
            "expired_per_unit": c.REWARD_EXPIRED_PER_UNIT,
            "failed_purchase": c.REWARD_FAILED_PURCHASE,
            "liquidation_coef": c.REWARD_LIQUIDATION_COEF,
            "profit_coef": c.REWARD_PROFIT_COEF,
        },
    }


def task_list(hidden: bool = False) -> list[dict[str, Any]]:
    """Every task as published (``TaskConfig.published``) with its name. With hidden
    scenarios no seed is named: ``default_seed`` is null (a seedless reset plays a scenario
    the server picks)."""
    listed = [{"name": name, **task.published} for name, task in tasks().items()]
    if hidden:
        listed = [{**task, "default_seed": None} for task in listed]
    return listed


@lru_cache(maxsize=4)
def task_catalogue(hidden: bool = False, schemas: bool = True) -> dict[str, Any]:
    """Everything public about the tasks, the products and the rules (``GET /tasks``), with
    the wire schemas unless ``schemas`` is false (the play view does not need them).
    Treat as read-only (cached)."""
    rules = rules_catalogue()
    catalogue = {
        "episode_days": rules["episode_days"],
        "scenarios_hidden": hidden,
        "tasks": task_list(hidden),
        **{key: value for key, value in rules.items() if key != "episode_days"},
    }
    if schemas:
        catalogue["action_schema"] = InventoryAction.model_json_schema()
        catalogue["observation_schema"] = InventoryObservation.model_json_schema()
    return catalogue
