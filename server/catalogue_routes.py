"""``GET /tasks``: everything public about the tasks, the products and the rules, plus the
wire schemas."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from models import InventoryAction, InventoryObservation
from server import constants
from server.task_catalog import tasks


@lru_cache(maxsize=2)
def task_catalogue(hidden: bool = False) -> dict[str, Any]:
    """Everything public about the tasks, the products and the rules, plus the wire schemas.
    With hidden scenarios no seed is named: ``default_seed`` is null (a seedless reset plays
    a scenario the server picks)."""
    c = constants
    task_list = [{"name": name, **task.published} for name, task in tasks().items()]
    if hidden:
        task_list = [{**task, "default_seed": None} for task in task_list]
    return {
        "episode_days": c.EPISODE_DAYS,
        "scenarios_hidden": hidden,
        "tasks": task_list,
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
                "cost_per_unit": c.SHIPPING_COST_PER_UNIT[method],
                "lead_time_days": c.LEAD_TIME_DAYS[method],
                "jitter_days": c.LEAD_TIME_JITTER[method],
                "min_days": c.LEAD_TIME_DAYS[method] - c.LEAD_TIME_JITTER[method],
                "max_days": c.LEAD_TIME_DAYS[method] + c.LEAD_TIME_JITTER[method],
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
        "action_schema": InventoryAction.model_json_schema(),
        "observation_schema": InventoryObservation.model_json_schema(),
    }


def register_catalogue_route(app: FastAPI, *, hidden: bool = False) -> None:
    """Add ``GET /tasks``; ``hidden``: scenarios are secret, so no seed is named."""

    @app.get(
        "/tasks",
        tags=["Environment Info"],
        summary="All tasks with their full configuration",
        description="The three tasks (cash, capacity, starting stock, demand ranges, events), "
        "the product, shipping and event tables, and the action and observation JSON schemas.",
    )
    async def tasks() -> JSONResponse:
        return JSONResponse(task_catalogue(hidden))
