"""The retail inventory simulator: a store manager's month, one step per day.

Pure Python, no I/O: the server, the grader and the agents all drive this one class.

Action (``InventoryAction``)
    ``buy_quantities`` {product: units}, ``delivery_method`` slow | medium | fast,
    ``liquidate`` {product: units}, ``price_multipliers`` {product: 0.5..1.5}.
    Every field may be omitted.

Observation (``InventoryObservation``)
    Cash and profit, the day just simulated (demand, sales, lost sales, expiry, receipts,
    rejected orders with reasons), on-hand batches ``[quantity, days_left]`` oldest first,
    remaining warehouse space, in-transit shipments with their arrival windows, event
    countdowns, announced supplier cost changes (``cost_notices``), units the supplier lost,
    the price multipliers in force and the reward broken into its signals.

Reward
    ``shaped`` (default), the brief's five signals summed:
    ``+0.001 * sold * sell_price  - 0.001 * missed * sell_price  - 0.05 * expired
    - 0.5 * rejected_orders  - 0.001 * liquidated * cost_price``;
    ``profit``: ``0.001 * day_profit``;
    or ``score``: ``day_profit / (ceiling - floor)``, and on the last day also
    ``- floor / (ceiling - floor)``, so the rewards sum to the graded (unclamped) score.
    Chosen at reset with ``reward_mode``.

Scenarios
    Public by default: ``(task, seed)`` names the scenario. With a ``scenario_secret`` the
    draw mixes in the secret and nothing the agent sees names the seed; a ``seed_policy``
    (``server.hidden_scenarios``) decides which seed a reset plays.

Termination
    ``reset()`` returns day 0 before any decision; each ``step()`` simulates one day and the
    30th returns ``done=True``. A step before reset or after done raises
    ``EpisodeStateError`` and changes nothing.

Step order (day ``t`` = the observation's ``current_day``)
    1. events: today's weekend and event multipliers (``Scenario.demand_multipliers``: the
       realized calendar, which differs from the announced countdowns on tasks with an event
       forecast error);
    2. expired grocery batches (0 selling days left) are removed;
    3. shipments due on day ``t`` arrive; grocery batches get the full shelf life; a
       shipment the supplier lost (``Scenario.lost`` of its order day) vanishes instead,
       counted in ``units_lost`` (paid, never refunded);
    4. orders are processed in product order: each is paid in full, at
       ``units * (cost * cost_multipliers[t, p] + shipping)``, or rejected whole (not enough
       cash, or on-hand + in-transit + order > capacity); an accepted order is due on day
       ``t + lead_time[t, p, method] + arrival_delay[t, p]``;
    5. demand = round(base[t, p] * weekend * event * multiplier ** -elasticity);
    6. sales, oldest batch first; unmet demand is lost;
    7. liquidation, oldest batch first, for no revenue;
    8. batches age one day, reward and observation are computed.
    Each stage is one function over the day's ledger (``_DayLedger``, ``_STAGES``); the
    reward and the observation read the ledger; reset shows a ledger where nothing happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from models import InventoryAction, InventoryObservation, InventoryState, trusted_instance
from server.constants import (
    COST_PRICE,
    DELIVERY_METHODS,
    ELASTICITY,
    EPISODE_DAYS,
    PRODUCTS,
    REWARD_EXPIRED_PER_UNIT,
    REWARD_FAILED_PURCHASE,
    REWARD_LIQUIDATION_COEF,
    REWARD_MISSED_COEF,
    REWARD_MODES,
    REWARD_PROFIT_COEF,
    REWARD_SALES_COEF,
    SELL_PRICE,
    SHELF_LIFE,
)
from server.openenv_light import Environment, EnvironmentMetadata
from server.rules import active_events, demand_units, lead_window, space_left, unit_cost
from server.scenario import Scenario, check_seed, draw_task_scenario
from server.stock import ProductStock
from server.task_catalog import get_task
from server.task_config import TaskConfig

if TYPE_CHECKING:
    from server.graded_episodes import GradedEpisodes

SeedPolicy = Callable[[str, "int | None"], int]
"""``(task_name, requested seed) -> seed to play``; may refuse by raising."""
Baselines = Callable[[Scenario], "tuple[float, float]"]
"""``scenario -> (floor, ceiling)``, the bounds of the ``score`` reward. The layer that builds
an environment passes the grader's (``server.grader.scenario_baselines``: the server, the web
page, the adapters): the grader plays this simulator, so the simulator cannot import it."""

_TOTAL_KEYS = (
    "bought",
    "received",
    "lost",
    "sold",
    "missed",
    "expired",
    "liquidated",
    "rejected",
)
_BREAKDOWN_KEYS = ("sales", "missed_sales", "expired", "failed_purchases", "liquidation")
_METHOD_INDEX = {method: i for i, method in enumerate(DELIVERY_METHODS)}
_LEAD_WINDOWS = {method: lead_window(method) for method in DELIVERY_METHODS}
"""``rules.lead_window`` per method, looked up for every shipment shown every day."""


class EpisodeStateError(RuntimeError):
    """A step was asked for when no episode is running (before reset, or after done)."""


@dataclass
class Shipment:
    """Units ordered and paid for, on their way to the warehouse."""

    product: str
    quantity: int
    method: str
    ordered_day: int
    arrival_day: int
    lost: bool = False
    """Lost by the supplier (``Scenario.lost``): it vanishes on ``arrival_day``. Hidden."""
    _shown: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    """``public()``'s content once built: a shipment is shown every day until it arrives."""

    def public(self) -> dict[str, Any]:
        """What an agent may see: the arrival window, not the drawn arrival day. A fresh
        dict each call (copied from the one built on the first), so no two observations
        share one."""
        shown = self._shown
        if shown is None:
            earliest, latest = _LEAD_WINDOWS[self.method]
            shown = self._shown = {
                "product": self.product,
                "quantity": self.quantity,
                "method": self.method,
                "ordered_day": self.ordered_day,
                "earliest_arrival_day": self.ordered_day + earliest,
                "latest_arrival_day": self.ordered_day + latest,
            }
        return shown.copy()


@dataclass
class _Episode:
    """Mutable state of one running episode."""

    episode_id: str
    scenario: Scenario
    reward_mode: str
    starting_cash: float
    cash: float
    capacity: dict[str, int]
    events: dict[str, int]
    stock: dict[str, ProductStock]
    active_events: tuple[tuple[str, ...], ...]
    """Per day, the events active on it (``events`` never change within an episode)."""
    score_floor: float = 0.0
    score_span: float = 0.0
    """``score`` reward: the scenario's floor and ``ceiling - floor`` (unused otherwise)."""
    in_transit: list[Shipment] = field(default_factory=list)
    day: int = 0
    total_reward: float = 0.0
    total_revenue: float = 0.0
    total_purchase_cost: float = 0.0
    totals: dict[str, dict[str, int]] = field(
        default_factory=lambda: {key: dict.fromkeys(PRODUCTS, 0) for key in _TOTAL_KEYS}
    )

    @property
    def done(self) -> bool:
        return self.day >= EPISODE_DAYS


_zeros = dict.fromkeys(PRODUCTS, 0).copy
"""A fresh ``{product: 0}`` (copying a template: 4x faster than ``dict.fromkeys``)."""
_ones = dict.fromkeys(PRODUCTS, 1.0).copy
_no_reward = dict.fromkeys(_BREAKDOWN_KEYS, 0.0).copy


_OBSERVATION_FIELDS = frozenset(InventoryObservation.model_fields)
_OBSERVATION_HAS_HOOKS = bool(
    InventoryObservation.__pydantic_post_init__ or InventoryObservation.__private_attributes__
)


def _trusted_observation(values: dict[str, Any]) -> InventoryObservation:
    """``InventoryObservation.model_construct(**values)`` at a fifth of its cost.

    model_construct's per-field alias and default handling was a fifth of a whole step. When
    ``values`` names every field and the model has no post-init hook or private attributes,
    the instance is built directly (``models.trusted_instance``) in the exact state
    model_construct gives it; otherwise this falls back to model_construct.
    """
    if _OBSERVATION_HAS_HOOKS or values.keys() != _OBSERVATION_FIELDS:
        return InventoryObservation.model_construct(**values)
    return trusted_instance(InventoryObservation, values, set(values))


@cache
def _active_events_by_day(events: tuple[tuple[str, int], ...]) -> tuple[tuple[str, ...], ...]:
    """Per day, the events of ``events`` (name, start day) active on it."""
    calendar = dict(events)
    return tuple(tuple(active_events(calendar, day)) for day in range(EPISODE_DAYS))


def _remaining_capacity(episode: _Episode, transit: dict[str, int]) -> dict[str, int]:
    """Warehouse space left per product: capacity - on hand - ``transit`` (units in transit)."""
    stock, capacity = episode.stock, episode.capacity
    return {
        product: space_left(capacity[product], stock[product].on_hand, transit[product])
        for product in PRODUCTS
    }


class _DayLedger:
    """What one day did, filled stage by stage; the reward and the observation read it.

    A fresh ledger (reset's, day 0) says nothing happened: no units moved, prices 1.0, no
    reward. The five shaped-reward signals are summed in product order as the stages run (the
    same order, hence the same floats, as summing afterwards). A plain class with slots: its
    ``__init__`` runs every step, and a dataclass's with default factories costs a fifth more.
    """

    __slots__ = (
        "day",
        "notes",
        "active_events",
        "expired",
        "received",
        "lost",
        "transit",
        "rejected",
        "purchase_cost",
        "prices",
        "demand",
        "sold",
        "missed",
        "liquidated",
        "revenue",
        "sales_value",
        "missed_value",
        "liquidated_value",
        "expired_units",
        "breakdown",
        "reward",
    )

    def __init__(self, day: int, notes: list[str]) -> None:
        self.day = day
        self.notes = notes
        self.active_events: list[str] = []
        self.expired = _zeros()
        self.received = _zeros()
        self.lost = _zeros()
        self.transit = _zeros()  # units on their way after today's orders, per product
        self.rejected: list[dict[str, Any]] = []
        self.purchase_cost = 0.0
        self.prices: dict[str, float] = _ones()
        self.demand = _zeros()
        self.sold = _zeros()
        self.missed = _zeros()
        self.liquidated = _zeros()
        self.revenue = 0.0
        self.sales_value: float = 0
        self.missed_value: float = 0
        self.liquidated_value: float = 0
        self.expired_units = 0
        self.breakdown: dict[str, float] = _no_reward()
        self.reward = 0.0


def _events(episode: _Episode, ledger: _DayLedger, action: InventoryAction) -> None:
    """1. The events active today (their multipliers are in the scenario's table)."""
    ledger.active_events = list(episode.active_events[ledger.day])


def _expire(episode: _Episode, ledger: _DayLedger, action: InventoryAction) -> None:
    """2. Grocery batches with no selling day left leave the shelf."""
    expired, totals = ledger.expired, episode.totals["expired"]
    for product, stock in episode.stock.items():
        units = stock.remove_expired()
        if units:
            expired[product] = units
            totals[product] += units
            ledger.expired_units += units


def _receive(episode: _Episode, ledger: _DayLedger, action: InventoryAction) -> None:
    """3. Shipments due today arrive with a fresh shelf life; lost ones vanish instead; the
    rest stay in transit."""
    day, received, transit = ledger.day, ledger.received, ledger.transit
    totals = episode.totals
    still_in_transit: list[Shipment] = []
    for shipment in episode.in_transit:
        product = shipment.product
        if shipment.arrival_day == day and shipment.lost:
            ledger.lost[product] += shipment.quantity
            totals["lost"][product] += shipment.quantity
            ledger.notes.append(
                f"Shipment of {shipment.quantity} {product} ordered on day "
                f"{shipment.ordered_day} was lost by the supplier (paid, not refunded)."
            )
        elif shipment.arrival_day == day:
            episode.stock[product].add(shipment.quantity, SHELF_LIFE[product])
            received[product] += shipment.quantity
            totals["received"][product] += shipment.quantity
        else:
            still_in_transit.append(shipment)
            transit[product] += shipment.quantity
    episode.in_transit = still_in_transit


def _order(episode: _Episode, ledger: _DayLedger, action: InventoryAction) -> None:
    """4. Orders in product order, each paid in full at the day's unit cost or rejected whole
    (cash, then space); the supplier's table says when it is due and whether it is lost.

    ``ledger.transit`` counts today's accepted orders too (a product is ordered at most once a
    day, so its count is final before its own order is checked).
    """
    day, transit, totals = ledger.day, ledger.transit, episode.totals
    method = action.delivery_method
    method_index = _METHOD_INDEX[method]
    lead_time = episode.scenario.lead_time
    supplier = episode.scenario.supplier_rows[day]
    for index, product in enumerate(PRODUCTS):
        quantity = action.buy_quantities.get(product, 0)
        if quantity <= 0:
            continue
        extra_days, is_lost, cost_multiplier = supplier[index]
        cost = quantity * unit_cost(product, method, cost_multiplier)
        on_hand = episode.stock[product].on_hand
        space = space_left(episode.capacity[product], on_hand, transit[product])
        reason = None
        if cost > episode.cash:
            reason = f"insufficient cash: the order costs ${cost:.2f}, cash is ${episode.cash:.2f}"
        elif quantity > space:
            reason = f"warehouse full: {quantity} units ordered, {space} units of space left"
        if reason is not None:
            ledger.rejected.append(
                {"product": product, "quantity": quantity, "cost": cost, "reason": reason}
            )
            ledger.notes.append(f"Order of {quantity} {product} rejected: {reason}.")
            totals["rejected"][product] += quantity
            continue
        episode.cash -= cost
        ledger.purchase_cost += cost
        totals["bought"][product] += quantity
        arrival_day = day + int(lead_time[day, index, method_index]) + extra_days
        episode.in_transit.append(Shipment(product, quantity, method, day, arrival_day, is_lost))
        transit[product] += quantity


def _demand(episode: _Episode, ledger: _DayLedger, action: InventoryAction) -> None:
    """5. Demand of each product at today's calendar multiplier and price."""
    base = episode.scenario.base_demand_rows[ledger.day]
    multipliers = episode.scenario.demand_multiplier_rows[ledger.day]
    prices, demand = ledger.prices, ledger.demand
    for index, product in enumerate(PRODUCTS):
        price = prices[product] = action.price_multipliers.get(product, 1.0)
        demand[product] = demand_units(base[index], multipliers[index], price, ELASTICITY[product])


def _sell(episode: _Episode, ledger: _DayLedger, action: InventoryAction) -> None:
    """6. Sales, oldest batch first; demand that finds no stock is lost."""
    totals = episode.totals
    sold_totals, missed_totals = totals["sold"], totals["missed"]
    sold, missed, prices = ledger.sold, ledger.missed, ledger.prices
    revenue = 0.0
    sales_value = missed_value = 0
    for product, wanted in ledger.demand.items():
        units = episode.stock[product].take(wanted)
        sold[product] = units
        missed[product] = wanted - units
        sold_totals[product] += units
        missed_totals[product] += wanted - units
        revenue += units * SELL_PRICE[product] * prices[product]
        sales_value += units * SELL_PRICE[product]
        missed_value += (wanted - units) * SELL_PRICE[product]
    episode.cash += revenue
    ledger.revenue, ledger.sales_value, ledger.missed_value = revenue, sales_value, missed_value


def _liquidate(episode: _Episode, ledger: _DayLedger, action: InventoryAction) -> None:
    """7. Liquidation, oldest batch first, for no revenue."""
    totals = episode.totals["liquidated"]
    for product in PRODUCTS:
        wanted = action.liquidate.get(product, 0)
        if wanted <= 0:
            continue
        units = episode.stock[product].take(wanted)
        ledger.liquidated[product] = units
        totals[product] += units
        ledger.liquidated_value += units * COST_PRICE[product]
        if units < wanted:
            ledger.notes.append(
                f"Liquidation of {wanted} {product} asked, {units} on hand: {units} disposed."
            )


def _age(episode: _Episode, ledger: _DayLedger, action: InventoryAction) -> None:
    """8. Batches age one day and the day ends (its reward is booked next)."""
    for stock in episode.stock.values():
        stock.age_one_day()
    episode.day += 1


_STAGES = (_events, _expire, _receive, _order, _demand, _sell, _liquidate, _age)
"""The day, stage by stage, in the module docstring's order."""


def check_reward_mode(reward_mode: str, baselines: Baselines | None) -> None:
    """``ValueError`` for an unknown mode, or for ``score`` on an environment built without
    ``baselines`` (refused at reset, not on the last day)."""
    if reward_mode not in REWARD_MODES:
        raise ValueError(f"unknown reward_mode {reward_mode!r}; allowed: {', '.join(REWARD_MODES)}")
    if reward_mode == "score" and baselines is None:
        raise ValueError(
            "reward_mode 'score' needs the scenario's floor and ceiling: build the environment "
            "with baselines=server.grader.scenario_baselines"
        )


class InventoryEnvironment(Environment[InventoryAction, InventoryObservation, InventoryState]):
    """Retail inventory management over a 30-day month; see the module docstring."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(
        self,
        *,
        scenario_secret: bytes | str | None = None,
        seed_policy: SeedPolicy | None = None,
        graded_episodes: GradedEpisodes | None = None,
        baselines: Baselines | None = None,
    ) -> None:
        """Seams for the server: ``scenario_secret`` hides scenarios, ``seed_policy`` picks
        the seed of each reset, ``graded_episodes`` records episodes for verified grades,
        ``baselines`` gives the ``score`` reward its floor and ceiling (without: no ``score``).
        """
        super().__init__()
        self._episode: _Episode | None = None
        self._secret = scenario_secret
        self._seed_policy = seed_policy
        self._graded = graded_episodes
        self._baselines = baselines

    # ------------------------------------------------------------------ reset
    def reset(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        task_name: str = "easy",
        reward_mode: str = "shaped",
        **kwargs: Any,
    ) -> InventoryObservation:
        """Start an episode of ``task_name`` on the scenario drawn from ``(task_name, seed)``.

        ``seed=None`` takes the task's default seed, so a plain reset is reproducible.
        Unknown keyword arguments are rejected rather than ignored.
        """
        if kwargs:
            unknown = ", ".join(sorted(kwargs))
            raise ValueError(
                f"unknown reset parameter(s): {unknown}; allowed: seed, episode_id, "
                "task_name, reward_mode"
            )
        task = get_task(task_name)  # the one check of the name: the draw takes the task
        if episode_id is not None and not isinstance(episode_id, str):
            raise ValueError(f"episode_id must be a string, got {episode_id!r}")
        check_reward_mode(reward_mode, self._baselines)
        if seed is not None:
            check_seed(seed)  # a bad seed is refused before the policy records it
        if self._seed_policy is not None:
            seed = self._seed_policy(task_name, seed)
        scenario = draw_task_scenario(task, seed, secret=self._secret)
        return self._start(scenario, task, episode_id, reward_mode)

    def start_scenario(
        self,
        scenario: Scenario,
        *,
        episode_id: str | None = None,
        reward_mode: str = "shaped",
    ) -> InventoryObservation:
        """Start an episode on an already drawn ``scenario`` (the grader replays hidden
        scenarios this way; agents reset by ``(task, seed)``)."""
        check_reward_mode(reward_mode, self._baselines)
        return self._start(scenario, get_task(scenario.task_name), episode_id, reward_mode)

    def _start(
        self, scenario: Scenario, task: TaskConfig, episode_id: str | None, reward_mode: str
    ) -> InventoryObservation:
        """Start the episode of ``scenario`` (of ``task``), its arguments already checked."""
        task_name = scenario.task_name
        floor = span = 0.0
        if reward_mode == "score":
            assert self._baselines is not None  # check_reward_mode refused score without
            floor, ceiling = self._baselines(scenario)
            span = ceiling - floor
        starting_stock = task.published["starting_stock"]
        stock = {
            product: ProductStock(SHELF_LIFE[product] is not None, starting_stock[product])
            for product in PRODUCTS
        }
        cash = task.starting_cash
        events = dict(task.events)
        self._episode = _Episode(
            episode_id=episode_id or str(uuid.uuid4()),
            scenario=scenario,
            reward_mode=reward_mode,
            starting_cash=cash,
            cash=cash,
            capacity=dict(task.capacity),
            events=events,
            stock=stock,
            active_events=_active_events_by_day(
                tuple((name, start) for name, start, _ in scenario.events)
            ),
            score_floor=floor,
            score_span=span,
        )
        if self._graded is not None:
            self._graded.started(self._episode.episode_id, scenario, reward_mode)
        hidden = scenario.secret_tag is not None
        named = "a hidden scenario" if hidden else f"seed {scenario.seed}"
        # Day 0 before any decision: nothing happened yet, nothing is on its way.
        return self._observation(_DayLedger(0, [f"Task {task_name!r} ({task.title}), {named}."]))

    # ------------------------------------------------------------------- step
    def step(
        self,
        action: InventoryAction,
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> InventoryObservation:
        """Simulate one day under ``action``: its stages in the module docstring's order."""
        episode = self._episode
        if episode is None:
            raise EpisodeStateError("no episode is running: call reset() before step()")
        if episode.done:
            raise EpisodeStateError(
                f"the episode is over (day {EPISODE_DAYS} reached): call reset() to start again"
            )
        if not isinstance(action, InventoryAction):
            action = InventoryAction.model_validate(action)
        ledger = _DayLedger(episode.day, [])
        for stage in _STAGES:
            stage(episode, ledger, action)
        self._book(episode, ledger)
        return self._observation(ledger)

    def _book(self, episode: _Episode, ledger: _DayLedger) -> None:
        """Stage 8's end: the day's money into the totals, its reward, the grade's record."""
        episode.total_revenue += ledger.revenue
        episode.total_purchase_cost += ledger.purchase_cost
        ledger.breakdown = {  # "+ 0.0": a zero signal reads 0.0, never -0.0
            "sales": REWARD_SALES_COEF * ledger.sales_value + 0.0,
            "missed_sales": -REWARD_MISSED_COEF * ledger.missed_value + 0.0,
            "expired": -REWARD_EXPIRED_PER_UNIT * ledger.expired_units + 0.0,
            "failed_purchases": -REWARD_FAILED_PURCHASE * len(ledger.rejected) + 0.0,
            "liquidation": -REWARD_LIQUIDATION_COEF * ledger.liquidated_value + 0.0,
        }
        day_profit = ledger.revenue - ledger.purchase_cost
        if episode.reward_mode == "profit":
            reward = REWARD_PROFIT_COEF * day_profit
        elif episode.reward_mode == "score":
            reward = self._score_reward(episode, day_profit)
        else:
            reward = sum(ledger.breakdown.values())
        ledger.reward = reward
        episode.total_reward += reward
        if self._graded is not None and episode.done:
            profit = episode.cash - episode.starting_cash
            self._graded.finished(episode.episode_id, episode.scenario, episode.reward_mode, profit)

    # ----------------------------------------------------------- score reward
    @staticmethod
    def _score_reward(episode: _Episode, day_profit: float) -> float:
        """This day's share of the graded score; the last day also pays ``-floor / span``,
        so the episode's rewards sum to ``(profit - floor) / span``, the unclamped score. A
        degenerate scenario (ceiling <= floor) pays the grader's 1.0 or 0.0 on the last day."""
        span = episode.score_span
        if span > 0.0:
            reward = day_profit / span
            if episode.done:
                reward -= episode.score_floor / span
            return reward
        if not episode.done:
            return 0.0
        ceiling = episode.score_floor + span
        return 1.0 if episode.cash - episode.starting_cash >= ceiling else 0.0

    # ------------------------------------------------------------------ views
    def _observation(self, ledger: _DayLedger) -> InventoryObservation:
        """The observation after the day ``ledger`` records (or after reset)."""
        episode = self._episode
        assert episode is not None
        return _trusted_observation(
            {  # key order = field order, as model_construct has it
                "done": episode.done,
                "reward": ledger.reward,
                "metadata": self._metadata(episode),
                "task_name": episode.scenario.task_name,
                "current_day": episode.day,
                "days_remaining": EPISODE_DAYS - episode.day,
                "total_cash": episode.cash,
                "day_profit": ledger.revenue - ledger.purchase_cost,
                "total_profit": episode.cash - episode.starting_cash,
                "demand_today": ledger.demand,
                "updated_inventory": {p: s.snapshot() for p, s in episode.stock.items()},
                "remaining_capacity": _remaining_capacity(episode, ledger.transit),
                "updated_events": {
                    name: start - episode.day for name, start in episode.events.items()
                },
                "active_events": ledger.active_events,
                "updated_deliveries": [s.public() for s in episode.in_transit],
                "cost_notices": episode.scenario.cost_notices(episode.day),
                "units_sold": ledger.sold,
                "units_missed": ledger.missed,
                "units_expired": ledger.expired,
                "units_liquidated": ledger.liquidated,
                "units_received": ledger.received,
                "units_lost": ledger.lost,
                "revenue_today": ledger.revenue,
                "purchase_cost_today": ledger.purchase_cost,
                "rejected_orders": ledger.rejected,
                "notes": ledger.notes,
                "price_multipliers": ledger.prices,
                "reward_breakdown": ledger.breakdown,
                "reward_mode": episode.reward_mode,
            }
        )

    @staticmethod
    def _metadata(episode: _Episode) -> dict[str, Any]:
        scenario = episode.scenario
        if scenario.secret_tag is not None:
            return {"episode_id": episode.episode_id, "scenario_hidden": True}
        return {"episode_id": episode.episode_id, "seed": scenario.seed}

    def _require_episode(self) -> _Episode:
        if self._episode is None:
            raise EpisodeStateError("no episode is running: call reset() first")
        return self._episode

    @property
    def scenario(self) -> Scenario:
        """The drawn scenario of the running episode (for graders and analysis, not agents)."""
        return self._require_episode().scenario

    @property
    def done(self) -> bool:
        """True once the 30th day has been simulated."""
        return self._episode is not None and self._episode.done

    @property
    def state(self) -> InventoryState:
        """The whole episode state; before any reset, an empty state."""
        episode = self._episode
        if episode is None:
            return InventoryState()
        return InventoryState(
            episode_id=episode.episode_id,
            step_count=episode.day,
            task_name=episode.scenario.task_name,
            seed=None if episode.scenario.secret_tag is not None else episode.scenario.seed,
            scenario_hidden=episode.scenario.secret_tag is not None,
            reward_mode=episode.reward_mode,
            current_day=episode.day,
            done=episode.done,
            starting_cash=episode.starting_cash,
            cash=episode.cash,
            total_reward=episode.total_reward,
            inventory={p: s.snapshot() for p, s in episode.stock.items()},
            in_transit=[s.public() for s in episode.in_transit],
            totals={key: dict(table) for key, table in episode.totals.items()},
            total_revenue=episode.total_revenue,
            total_purchase_cost=episode.total_purchase_cost,
        )

    def get_metadata(self) -> EnvironmentMetadata:
        return EnvironmentMetadata(
            name="inventory_env",
            description=(
                "Retail inventory optimization: 5 products, perishable groceries in FIFO "
                "batches, jittered shipping, price elasticity, seasonal events, cash and "
                "warehouse limits, over a 30-day month."
            ),
            version="0.1.0",
        )
