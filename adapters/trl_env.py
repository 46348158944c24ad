"""The environment as tools for TRL's ``GRPOTrainer(environment_factory=InventoryToolEnv)``.

TRL's protocol (trl 1.16, ``GRPOTrainer.__init__`` and ``_generate_and_score_completions``):
the factory is called with no argument; ``reset(**row)`` gets every column of the dataset row
and returns text appended to the prompt; every public method except ``reset`` and
``get_reward`` becomes a tool whose JSON schema ``transformers.utils.get_json_schema`` builds
from its type hints and Google-style docstring; a tool that raises is reported to the model
as ``{"error": message}``; ``get_reward()`` is called once per finished rollout.

One instance plays one episode at a time in process (``InventoryEnvironment``, no server).
The day's decisions accumulate until ``end_day`` simulates the day with them. The reward is
the unclamped graded score; days the model did not reach by the end of its rollout are
played as do-nothing days first, so every rollout is scored on a whole month.
"""

from __future__ import annotations

from typing import Any, Literal

from adapters.briefing import day_report, opening_text
from adapters.tasks import task_names
from models import InventoryAction, InventoryObservation
from server.constants import PRICE_MULTIPLIER_MAX, PRICE_MULTIPLIER_MIN, PRODUCTS
from server.grader import grade, scenario_baselines
from server.inventory_env import InventoryEnvironment

Product = Literal["electronics", "clothing", "groceries", "furniture", "toys"]
Shipping = Literal["slow", "medium", "fast"]
assert set(Product.__args__) == set(PRODUCTS), "Product must list the simulator's products"


def _units(value: Any, what: str) -> int:
    """A whole, non-negative number of units (``3.0`` is accepted as 3, ``True`` is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a whole number of units, got {value!r}")
    if value != value or value < 0 or int(value) != value:
        raise ValueError(f"{what} must be a whole number >= 0, got {value!r}")
    return int(value)


def _product(value: Any) -> str:
    if value not in PRODUCTS:
        raise ValueError(f"unknown product {value!r}; products: {', '.join(PRODUCTS)}")
    return value


class InventoryToolEnv:
    """One store-manager episode driven by tool calls; see the module docstring."""

    def __init__(self) -> None:
        self._env = InventoryEnvironment(baselines=scenario_baselines)
        self._observation: InventoryObservation | None = None
        self._task_name = "easy"
        self._seed: int | None = None
        self._total_reward = 0.0
        self._grade: dict[str, Any] | None = None
        self._clear_day()

    # ------------------------------------------------------------ TRL protocol
    def reset(self, task: str = "easy", seed: int | None = None, **row: Any) -> str:
        """Start the episode of the row's ``task`` and ``seed``; other columns are ignored."""
        if task not in task_names():
            raise ValueError(f"unknown task {task!r}; tasks: {', '.join(task_names())}")
        self._observation = self._env.reset(task_name=task, seed=seed, reward_mode="score")
        self._task_name = task
        self._seed = self._env.state.seed
        self._total_reward = 0.0
        self._grade = None
        self._clear_day()
        return opening_text(task, self._observation)

    def get_reward(self) -> float:
        """The episode's unclamped graded score (unplayed days are played as do-nothing days)."""
        observation = self._require_episode()
        while not observation.done:
            observation = self._step(InventoryAction())
        if self._grade is None:
            self._grade = grade(self._task_name, observation.total_profit, seed=self._seed)
        return float(self._total_reward)  # score rewards: they sum to the unclamped grade

    # ------------------------------------------------------- read-only results
    # Properties, not methods: TRL would offer every public method to the model as a tool.
    @property
    def done(self) -> bool:
        """Whether the month is over."""
        return self._observation is not None and self._observation.done

    @property
    def scenario(self) -> tuple[str, int | None]:
        """The episode's ``(task, seed)``: the seed resolved, so never ``None`` after reset."""
        return self._task_name, self._seed

    @property
    def profit(self) -> float:
        """Profit so far (cash minus starting cash)."""
        return self._require_episode().total_profit

    @property
    def grade(self) -> dict[str, Any] | None:
        """The grader's verdict once ``get_reward`` has been called, else ``None``."""
        return self._grade

    # -------------------------------------------------------------------- tools
    def order(self, product: Product, quantity: int) -> str:
        """Order units of a product today; they are paid when the day ends and arrive later.

        An order is refused whole when cash cannot pay units x (cost + shipping) or the
        warehouse has no room for it; the cost is today's, with any cost notice in force.
        Calling again for the same product replaces today's order.

        Args:
            product: The product to order.
            quantity: Units to order today; 0 cancels today's order of this product.

        Returns:
            Today's decisions so far.
        """
        return self._set_units(self._orders, product, quantity)

    def set_shipping(self, method: Shipping) -> str:
        """Choose the shipping of all of today's orders (slow unless chosen).

        slow costs $2/unit and takes 3-7 days, medium $5/unit and 2-4 days, fast $10/unit and
        exactly 1 day.

        Args:
            method: The shipping method for today's orders.

        Returns:
            Today's decisions so far.
        """
        self._require_open_day()
        if method not in ("slow", "medium", "fast"):
            raise ValueError(f"unknown shipping method {method!r}; methods: slow, medium, fast")
        self._shipping = method
        return self._decisions()

    def set_price(self, product: Product, multiplier: float) -> str:
        """Set today's selling price of a product as a multiple of its list price.

        Demand falls with the price by the product's elasticity; the price applies to today only.

        Args:
            product: The product to price.
            multiplier: Today's price as a multiple of the list price, from 0.5 to 1.5.

        Returns:
            Today's decisions so far.
        """
        self._require_open_day()
        product = _product(product)
        if isinstance(multiplier, bool) or not isinstance(multiplier, (int, float)):
            raise ValueError(f"multiplier must be a number, got {multiplier!r}")
        if not PRICE_MULTIPLIER_MIN <= multiplier <= PRICE_MULTIPLIER_MAX:
            raise ValueError(
                f"multiplier must be in [{PRICE_MULTIPLIER_MIN}, {PRICE_MULTIPLIER_MAX}], "
                f"got {multiplier!r}"
            )
        self._prices[product] = float(multiplier)
        return self._decisions()

    def liquidate(self, product: Product, quantity: int) -> str:
        """Dispose of units of a product today, oldest first, for no revenue (frees space).

        Args:
            product: The product to dispose of.
            quantity: Units to dispose of today; 0 cancels today's liquidation of this product.

        Returns:
            Today's decisions so far.
        """
        return self._set_units(self._liquidations, product, quantity)

    def end_day(self) -> str:
        """Simulate today with the decisions made so far, then report the new day.

        Returns:
            What happened (demand, sales, arrivals, rejected orders) and the new situation.
        """
        self._require_open_day()
        action = InventoryAction(
            buy_quantities=dict(self._orders),
            delivery_method=self._shipping,
            liquidate=dict(self._liquidations),
            price_multipliers=dict(self._prices),
        )
        return day_report(self._step(action))

    # ----------------------------------------------------------------- helpers
    def _step(self, action: InventoryAction) -> InventoryObservation:
        self._observation = self._env.step(action)
        self._total_reward += float(self._observation.reward or 0.0)
        self._clear_day()
        return self._observation

    def _set_units(self, today: dict[str, int], product: Any, quantity: Any) -> str:
        """Today's units of ``product`` in ``today`` (orders or liquidations); 0 cancels."""
        self._require_open_day()
        product = _product(product)
        units = _units(quantity, "quantity")
        if units:
            today[product] = units
        else:
            today.pop(product, None)
        return self._decisions()

    def _clear_day(self) -> None:
        self._orders: dict[str, int] = {}
        self._shipping: str = "slow"
        self._liquidations: dict[str, int] = {}
        self._prices: dict[str, float] = {}

    def _require_episode(self) -> InventoryObservation:
        if self._observation is None:
            raise RuntimeError("no episode: call reset() first")
        return self._observation

    def _require_open_day(self) -> None:
        if self._require_episode().done:
            raise ValueError("the month is over; no more decisions can be taken")

    def _decisions(self) -> str:
        parts = [f"shipping {self._shipping}"]
        if self._orders:
            parts.append("orders " + ", ".join(f"{p} {q}" for p, q in self._orders.items()))
        if self._prices:
            parts.append("prices " + ", ".join(f"{p} {m:g}x" for p, m in self._prices.items()))
        if self._liquidations:
            parts.append(
                "liquidate " + ", ".join(f"{p} {q}" for p, q in self._liquidations.items())
            )
        return "Today so far: " + "; ".join(parts) + ". Call end_day when done."
