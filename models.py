"""Wire types of the inventory environment: the action an agent sends, what it observes back,
and the episode state.

Validation lives here, so that the simulator, the HTTP routes and the WebSocket sessions all
reject the same bad input with the same message, before any episode is touched.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, field_validator

from server.constants import (
    DELIVERY_METHODS,
    MAX_ORDER_QUANTITY,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
)
from server.openenv_light import Action, Observation, State
from server.rules import spiked_cost_multiplier as _spiked_cost_multiplier
from server.rules import unit_cost as _unit_cost

_PRODUCT_LIST = ", ".join(PRODUCTS)
_PRODUCT_SET = frozenset(PRODUCTS)
_METHOD_SET = frozenset(DELIVERY_METHODS)

Batch = list[int | None]
"""``[quantity, days_left]``; ``days_left`` is ``None`` for products that never expire."""


def _check_product(field: str, product: Any) -> str:
    if product not in PRODUCTS:
        raise ValueError(f"{field}: unknown product {product!r}; allowed: {_PRODUCT_LIST}")
    return product


def _whole_quantity(field: str, product: str, value: Any) -> int:
    """Accept whole numbers (``3`` or ``3.0``), reject bools, fractions, NaN, strings."""
    where = f"{field}[{product!r}]"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where} must be a whole number of units, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"{where} must be a whole number of units, got {value!r}")
        value = int(value)
    if value < 0:
        raise ValueError(f"{where} must be >= 0, got {value}")
    if value > MAX_ORDER_QUANTITY:
        raise ValueError(f"{where} must be <= {MAX_ORDER_QUANTITY}, got {value}")
    return value


def _quantities(field: str, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ValueError(f"{field} must be an object mapping product to units, got {value!r}")
    return {
        _check_product(field, product): _whole_quantity(field, product, quantity)
        for product, quantity in value.items()
    }


Model = TypeVar("Model", bound=BaseModel)
_set_attribute = object.__setattr__  # bypasses BaseModel.__setattr__, as pydantic does inside


def trusted_instance(cls: type[Model], values: dict[str, Any], fields_set: set[str]) -> Model:
    """An instance of ``cls`` holding ``values`` as is, without validation.

    ``values`` must name every field, in field order, with the values validation would give;
    the instance gets the same attributes ``model_construct`` (or validation) sets, as
    pydantic's own ``__setstate__`` sets them, with ``fields_set`` as the fields given. Several
    times cheaper than ``model_construct``; callers check that ``cls`` has no post-init hook
    or private attributes.
    """
    instance = cls.__new__(cls)
    _set_attribute(instance, "__dict__", values)
    _set_attribute(instance, "__pydantic_fields_set__", fields_set)
    _set_attribute(instance, "__pydantic_extra__", None)
    _set_attribute(instance, "__pydantic_private__", None)
    return instance


def _plain_quantities(value: Any) -> dict[str, int] | None:
    """A copy of ``value`` if it maps known products to plain ints in range, else ``None``."""
    if type(value) is not dict:
        return None
    for product, units in value.items():
        if type(product) is not str or product not in _PRODUCT_SET:
            return None
        if type(units) is not int or not 0 <= units <= MAX_ORDER_QUANTITY:
            return None
    return dict(value)


def _plain_prices(value: Any) -> dict[str, float] | None:
    """``value`` with float multipliers if it maps known products to plain numbers in range,
    else ``None``."""
    if type(value) is not dict:
        return None
    prices: dict[str, float] = {}
    for product, multiplier in value.items():
        if type(product) is not str or product not in _PRODUCT_SET:
            return None
        kind = type(multiplier)
        if kind is not float and kind is not int:
            return None
        if not PRICE_MULTIPLIER_MIN <= multiplier <= PRICE_MULTIPLIER_MAX:  # NaN fails too
            return None
        prices[product] = float(multiplier)
    return prices


_FAST_FIELDS = ("metadata", "buy_quantities", "delivery_method", "liquidate", "price_multipliers")


def _plain_action(cls: type[InventoryAction], data: dict[Any, Any]) -> InventoryAction | None:
    """The action ``cls.model_validate(data)`` would return, built without pydantic when every
    value is already of its exact final type and in range; ``None`` when anything (metadata,
    an unknown field, a float quantity, a bad value ...) needs full validation."""
    values: dict[str, Any] = {
        "metadata": {},
        "buy_quantities": {},
        "delivery_method": "slow",
        "liquidate": {},
        "price_multipliers": {},
    }
    for name, value in data.items():
        if name == "buy_quantities" or name == "liquidate":
            value = _plain_quantities(value)
        elif name == "price_multipliers":
            value = _plain_prices(value)
        elif name != "delivery_method" or type(value) is not str or value not in _METHOD_SET:
            return None
        if value is None:
            return None
        values[name] = value
    return trusted_instance(cls, values, set(data))


class InventoryAction(Action):
    """One day's decisions. Every field may be omitted: ``{}`` buys nothing, liquidates
    nothing and keeps all prices at 1.0x."""

    buy_quantities: dict[str, int] = Field(
        default_factory=dict,
        description=f"Units to order per product ({_PRODUCT_LIST}); whole numbers >= 0.",
    )
    delivery_method: Literal["slow", "medium", "fast"] = Field(
        default="slow",
        description="Shipping for today's orders: slow $2/unit 3-7 days, "
        "medium $5/unit 2-4 days, fast $10/unit next day.",
    )
    liquidate: dict[str, int] = Field(
        default_factory=dict,
        description="Units to dispose of per product, oldest first, for no revenue.",
    )
    price_multipliers: dict[str, float] = Field(
        default_factory=dict,
        description=f"Per-product price multiplier in [{PRICE_MULTIPLIER_MIN}, "
        f"{PRICE_MULTIPLIER_MAX}]; omitted products sell at 1.0x.",
    )

    @field_validator("buy_quantities", "liquidate", mode="before")
    @classmethod
    def _validate_quantities(cls, value: Any, info: Any) -> dict[str, int]:
        return _quantities(info.field_name, value)

    @field_validator("delivery_method", mode="before")
    @classmethod
    def _validate_method(cls, value: Any) -> str:
        if value not in DELIVERY_METHODS:
            allowed = ", ".join(DELIVERY_METHODS)
            raise ValueError(f"delivery_method: unknown method {value!r}; allowed: {allowed}")
        return value

    @field_validator("price_multipliers", mode="before")
    @classmethod
    def _validate_prices(cls, value: Any) -> dict[str, float]:
        field = "price_multipliers"
        if not isinstance(value, dict):
            raise ValueError(f"{field} must be an object mapping product to a multiplier")
        prices: dict[str, float] = {}
        for product, multiplier in value.items():
            _check_product(field, product)
            where = f"{field}[{product!r}]"
            allowed = f"[{PRICE_MULTIPLIER_MIN}, {PRICE_MULTIPLIER_MAX}]"
            if isinstance(multiplier, bool) or not isinstance(multiplier, (int, float)):
                raise ValueError(f"{where} must be a number in {allowed}, got {multiplier!r}")
            try:
                multiplier = float(multiplier)
            except OverflowError:  # an int beyond float range: out of range, not a crash
                raise ValueError(f"{where} must be in {allowed}, got a huge integer") from None
            if not math.isfinite(multiplier):
                raise ValueError(f"{where} must be a finite number in {allowed}, got {multiplier}")
            if not PRICE_MULTIPLIER_MIN <= multiplier <= PRICE_MULTIPLIER_MAX:
                raise ValueError(f"{where} must be in {allowed}, got {multiplier}")
            prices[product] = multiplier
        return prices

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> InventoryAction:
        """pydantic's ``model_validate``, with a fast path for plain, well-formed JSON input.

        A dict whose values already have their exact final types and are in range (JSON
        ints for quantities, numbers for multipliers, a known method, no metadata) is built
        directly: the same instance, field values and ``model_fields_set`` as validation
        gives, at a fraction of the cost (validation was a fifth of a served step). Anything
        else, and any call with options, goes through pydantic and the validators above.
        """
        if not args and not kwargs and type(obj) is dict and _validates_as_inventory_action(cls):
            action = _plain_action(cls, obj)
            if action is not None:
                return action
        return super().model_validate(obj, *args, **kwargs)


@cache
def _validates_as_inventory_action(cls: type[InventoryAction]) -> bool:
    """True when ``cls`` validates exactly as ``InventoryAction`` does: the same fields in the
    same order, no field re-declared, the same validators, no hooks, extra fields forbidden."""
    own_classes = cls.__mro__[: cls.__mro__.index(InventoryAction)]
    mine, base = cls.__pydantic_decorators__, InventoryAction.__pydantic_decorators__

    def functions(decorators: Any) -> dict[str, Any]:
        return {
            name: getattr(d.func, "__func__", d.func)
            for name, d in decorators.field_validators.items()
        }

    other_decorators = (
        mine.validators,
        mine.root_validators,
        mine.field_serializers,
        mine.model_serializers,
        mine.model_validators,
        mine.computed_fields,
    )
    config = {key: value for key, value in cls.model_config.items() if key != "title"}
    base_config = {k: v for k, v in InventoryAction.model_config.items() if k != "title"}
    return (
        tuple(cls.__pydantic_fields__) == _FAST_FIELDS
        and not any(vars(own).get("__annotations__") for own in own_classes)
        and functions(mine) == functions(base)
        and not any(other_decorators)
        and cls.__pydantic_post_init__ is None
        and not cls.__private_attributes__
        and config == base_config
        and config.get("extra") == "forbid"
        and not config.get("strict")
    )


class InventoryObservation(Observation):
    """What the store manager sees after each day (and at reset, before day 0).

    ``current_day`` counts the days simulated so far; the next step simulates day
    ``current_day``. Per-day figures (``demand_today``, ``units_sold`` ...) describe the day
    just simulated; at reset they are zero.
    """

    task_name: str = Field(description="easy, medium or hard")
    current_day: int = Field(description="Days simulated so far (0 at reset, 30 when done)")
    days_remaining: int = Field(description="Steps left in the episode")
    total_cash: float = Field(description="Cash on hand")
    day_profit: float = Field(description="Today's change in cash (revenue - purchases)")
    total_profit: float = Field(description="cash - starting cash")
    demand_today: dict[str, int] = Field(
        description="Demand of the day just simulated (yesterday's demand, as feedback)"
    )
    updated_inventory: dict[str, list[Batch]] = Field(
        description="On-hand batches per product, oldest first, as [quantity, days_left]; "
        "a grocery batch showing k days left can be sold on the next k steps "
        "(k = 0: it expires at the start of the next step); days_left null = never expires"
    )
    remaining_capacity: dict[str, int] = Field(
        description="Warehouse space left per product: capacity - on hand - in transit"
    )
    updated_events: dict[str, int] = Field(
        description="Days until each event starts as announced (a forecast on tasks with "
        "event_forecast), counted from the next step: 0 = starts on "
        "the next step; an event lasts 2 days, so it is active on the next step when the "
        "value is 0 or -1, and over when it is -2 or less"
    )
    active_events: list[str] = Field(
        default_factory=list,
        description="Events that were active on the day just simulated (their real days)",
    )
    updated_deliveries: list[dict[str, Any]] = Field(
        description="In-transit shipments: product, quantity, method, ordered_day, "
        "earliest_arrival_day, latest_arrival_day"
    )
    cost_notices: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Announced unit-cost changes (tasks with cost spikes): product, first_day, "
        "last_day (absolute days, inclusive), cost_multiplier on the product's unit cost (not "
        "shipping) for orders placed on those days; shown from a few days before first_day "
        "until last_day",
    )
    units_sold: dict[str, int] = Field(default_factory=dict)
    units_missed: dict[str, int] = Field(
        default_factory=dict, description="Demand that found no stock (lost sales)"
    )
    units_expired: dict[str, int] = Field(default_factory=dict)
    units_liquidated: dict[str, int] = Field(default_factory=dict)
    units_received: dict[str, int] = Field(default_factory=dict)
    units_lost: dict[str, int] = Field(
        default_factory=dict,
        description="Units of shipments due today that the supplier lost (paid, never "
        "delivered; tasks with supplier disruptions)",
    )
    revenue_today: float = 0.0
    purchase_cost_today: float = 0.0
    rejected_orders: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Orders refused whole today: product, quantity, cost, reason",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="Plain-language notes on today's rejections and liquidation shortfalls",
    )
    price_multipliers: dict[str, float] = Field(
        default_factory=dict, description="Price multipliers in force on the day just simulated"
    )
    reward_breakdown: dict[str, float] = Field(
        default_factory=dict,
        description="Each shaped-reward signal's value today: sales, missed_sales, expired, "
        "failed_purchases, liquidation",
    )
    reward_mode: str = Field(default="shaped", description="shaped, profit or score")

    def unit_cost(self, product: str, method: str) -> float:
        """What one unit of ``product`` ordered today with ``method`` costs: the cost price
        times today's announced multiplier (``cost_notices``; 1 without one) plus shipping.
        Today is ``current_day``, the day the next action is for."""
        spikes = [  # in draw order, as the simulator's table reads them
            (n["product"], n["first_day"], n["last_day"], float(n["cost_multiplier"]))
            for n in self.cost_notices
        ]
        multiplier = _spiked_cost_multiplier(spikes, product, self.current_day)
        return _unit_cost(product, method, multiplier)


class InventoryState(State):
    """The whole episode state, for inspection and debugging (``/state``)."""

    task_name: str = "easy"
    seed: int | None = Field(
        default=0, description="The scenario's seed; null when the scenario is hidden"
    )
    scenario_hidden: bool = Field(
        default=False,
        description="True when the scenario is drawn with the operator's secret (evaluation)",
    )
    reward_mode: str = "shaped"
    current_day: int = 0
    done: bool = False
    starting_cash: float = 0.0
    cash: float = 0.0
    total_reward: float = 0.0
    inventory: dict[str, list[Batch]] = Field(default_factory=dict)
    in_transit: list[dict[str, Any]] = Field(default_factory=list)
    totals: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="Cumulative units per product: bought, received, lost, sold, missed, "
        "expired, liquidated, rejected",
    )
    total_revenue: float = 0.0
    total_purchase_cost: float = 0.0
