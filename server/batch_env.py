"""B episodes of the inventory simulator stepped at once with numpy array operations.

For RL at scale the per-step Python cost of ``InventoryEnvironment`` is the limit, not the
rules; this steps a whole batch of episodes per call. ``InventoryEnvironment`` stays the
reference: every episode of a batch follows exactly its trajectory (the same floats), which
``tests/test_batch_env.py`` checks over every task. No I/O.

Episodes
    Episode ``b`` plays the scenario ``draw_scenario(task_b, seed_b)``: the same draw, hence
    the same common random numbers, as the scalar simulator. Tasks may differ within a batch.
    ``reset(tasks, seeds, mask)`` starts the episodes of ``mask`` (default: all) on day 0;
    the others keep going, so episodes may be on different days.

Action (arrays; ``B`` = batch size, ``P`` = ``len(PRODUCTS)``, products in ``PRODUCTS`` order)
    ``buy[B, P]`` int, units to order (0: none); ``method[B]`` int, index into
    ``DELIVERY_METHODS`` (one method per episode and day, as in the scalar action);
    ``price[B, P]`` float in [0.5, 1.5], the price multipliers; ``liquidate[B, P]`` int, units
    to dispose of. Out-of-range values raise ``ValueError`` and change nothing.

Observation
    The state arrays below (read them, do not write them) plus the ``BatchDay`` that ``step``
    returns: the day just simulated (demand, sales, lost sales, expiry, receipts, rejected
    orders with their reason, liquidation, revenue, purchase cost, reward and its signals).
    ``BatchDay.lost`` counts units the supplier lost that were due today.
    State: ``day[B]`` (days simulated), ``cash[B]``, ``on_hand[B, P]``, ``in_transit[B, P]``,
    ``capacity[B, P]``, ``remaining_capacity()``, ``stock_batches(b)`` and
    ``shipments(b)``; ``adapters.gym_encoding.encode_batch`` turns them into the Gymnasium
    observation vectors.

Reward
    One ``reward_mode`` for the whole batch, the scalar simulator's three: ``shaped`` (the
    five signals summed), ``profit`` (``0.001 * day_profit``) or ``score`` (sums to the graded
    unclamped score; each new scenario's floor and ceiling come from ``baselines``, which
    ``score`` needs: the grader's are a ceiling solve of about a second per uncached scenario).

Termination and resets
    Each ``step`` simulates one day of every episode; ``BatchDay.done[b]`` is true on an
    episode's 30th day. Stepping while any episode is done (or never started) raises
    ``EpisodeStateError`` and changes nothing: there is no auto-reset here; reset the done
    episodes (``reset(..., mask=day_result.done)``) before the next step. The Gymnasium
    vector env (``adapters.gym_env``) layers gymnasium's next-step auto-reset on top.

Representation (why it is exact)
    Non-perishable stock is one count per product, as the scalar keeps one batch. Perishable
    stock keeps the task's starting batches in their own slots, in file order, with their
    ``days_left``, followed by one slot per ``days_left`` value for delivered batches:
    deliveries always arrive with the full shelf life, after every batch already on the
    shelf, so oldest-first is starting slots first, then fewest days left first. Deliveries
    arriving on the same day share a slot (the scalar keeps them as adjacent batches with the
    same ``days_left``, which sell, expire and age as one). Shipments in transit are units per
    (product, arrival day), with the part the supplier lost kept beside them (paid, counted in
    transit until their arrival day, then gone). The scenario's optional supplier tables
    (``arrival_delay``, ``lost``, ``cost_multipliers``) are read per order day, as the scalar
    simulator reads them. Demand uses numpy's ``power``, which may differ from Python's
    ``**`` by an ulp; where that could move the rounding, the value is recomputed with
    ``server.rules.demand_units`` itself. Every rule is computed by ``server.rules``' functions
    (on arrays where they take them) or looked up from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from server.constants import (
    COST_PRICE,
    DELIVERY_METHODS,
    ELASTICITY,
    EPISODE_DAYS,
    EVENT_MULTIPLIERS,
    MAX_ORDER_QUANTITY,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
    REWARD_EXPIRED_PER_UNIT,
    REWARD_FAILED_PURCHASE,
    REWARD_LIQUIDATION_COEF,
    REWARD_MISSED_COEF,
    REWARD_PROFIT_COEF,
    REWARD_SALES_COEF,
    SELL_PRICE,
    SHELF_LIFE,
)
from server.inventory_env import Baselines, EpisodeStateError, check_reward_mode
from server.rules import (
    demand_units,
    event_has_ended,
    lead_window,
    price_effect,
    space_left,
    unit_cost,
)
from server.scenario import Scenario, draw_scenario
from server.task_catalog import get_task, task_names
from server.task_config import TaskConfig

N_PRODUCTS = len(PRODUCTS)
EVENTS: tuple[str, ...] = tuple(EVENT_MULTIPLIERS)
"""Event order of the event arrays (``event_start``, ``BatchDay.active_events``)."""
SIGNALS: tuple[str, ...] = ("sales", "missed_sales", "expired", "failed_purchases", "liquidation")
"""Order of ``BatchDay.breakdown``'s last axis: the shaped reward's signals."""
REJECTED_CASH = 1
REJECTED_SPACE = 2
"""``BatchDay.rejected`` codes: 0 no order or accepted, 1 not enough cash, 2 warehouse full."""
NO_EVENT = -(10**6)
"""``event_start`` of an event the episode's task does not have."""

PERISHABLE: tuple[int, ...] = tuple(i for i, p in enumerate(PRODUCTS) if SHELF_LIFE[p])
_PERISHABLE_INDEX = np.array(PERISHABLE, dtype=np.int64)
_LIFE = np.array([SHELF_LIFE[PRODUCTS[i]] for i in PERISHABLE], dtype=np.int64)
_MAX_LIFE = int(_LIFE.max()) if len(_LIFE) else 0
_SELL = tuple(SELL_PRICE[p] for p in PRODUCTS)
_COST = tuple(COST_PRICE[p] for p in PRODUCTS)
_ELASTICITY = tuple(ELASTICITY[p] for p in PRODUCTS)
_ELASTICITY_COLUMN = np.array(_ELASTICITY)[:, None]
_MAX_LEAD = max(lead_window(m)[1] for m in DELIVERY_METHODS)
_LATEST = np.array([lead_window(m)[1] for m in DELIVERY_METHODS], dtype=np.int64)
"""The promised latest lead time of each method (``latest_arrival_day - ordered_day``)."""
_ROUNDING_MARGIN = 1e-9
"""Relative distance from a rounding boundary below which demand is recomputed exactly."""


@dataclass(frozen=True)
class _TaskArrays:
    """A task's fixed numbers as arrays, built once per task."""

    capacity: np.ndarray  # [P]
    starting_cash: float
    on_hand: np.ndarray  # [P]
    start_units: np.ndarray  # [Q, K] perishable starting batches, file order
    start_life: np.ndarray  # [Q, K]
    event_start: np.ndarray  # [E], NO_EVENT where absent


def _task_arrays(task: TaskConfig, slots: int) -> _TaskArrays:
    start_units = np.zeros((len(PERISHABLE), slots), dtype=np.int64)
    start_life = np.zeros((len(PERISHABLE), slots), dtype=np.int64)
    for q, index in enumerate(PERISHABLE):
        for k, batch in enumerate(task.starting_stock[PRODUCTS[index]]):
            start_units[q, k] = batch.quantity
            start_life[q, k] = batch.days_left or 0
    return _TaskArrays(
        capacity=np.array([task.capacity[p] for p in PRODUCTS], dtype=np.int64),
        starting_cash=float(task.starting_cash),
        on_hand=np.array(
            [sum(b.quantity for b in task.starting_stock[p]) for p in PRODUCTS], dtype=np.int64
        ),
        start_units=start_units,
        start_life=start_life,
        event_start=_event_starts(task.events),
    )


def _event_starts(starts: dict[str, int]) -> np.ndarray:
    """``[E]`` start day of each event of ``EVENTS``; ``NO_EVENT`` where absent."""
    return np.array([starts.get(e, NO_EVENT) for e in EVENTS], dtype=np.int64)


def _starting_slots(names: Sequence[str]) -> int:
    """Slots for perishable starting batches: the most any of ``names`` has."""
    stocks = [get_task(name).starting_stock for name in names]
    return max((len(stock[PRODUCTS[i]]) for stock in stocks for i in PERISHABLE), default=0)


@dataclass
class BatchDay:
    """What happened on the day each episode just simulated (arrays over the batch)."""

    demand: np.ndarray
    sold: np.ndarray
    missed: np.ndarray
    expired: np.ndarray
    received: np.ndarray
    lost: np.ndarray
    """``[B, P]`` units due today that the supplier lost (paid, never delivered)."""
    liquidated: np.ndarray
    rejected: np.ndarray
    """``[B, P]`` 0, ``REJECTED_CASH`` or ``REJECTED_SPACE``."""
    revenue: np.ndarray
    purchase_cost: np.ndarray
    price: np.ndarray
    active_events: np.ndarray
    """``[B, E]`` bool: the events of ``EVENTS`` active on the simulated day, on their realized
    days (``Scenario.events``; ``event_start`` holds the announced ones)."""
    breakdown: np.ndarray
    """``[B, 5]`` the shaped reward's signals in ``SIGNALS`` order (whatever the mode)."""
    reward: np.ndarray
    done: np.ndarray


class BatchInventoryEnv:
    """``size`` episodes of the inventory simulator in lockstep; see the module docstring.

    Arrays are kept product-major (``[P, B]``, the batch last) so that each product's and
    each day's numbers are contiguous; the public views are ``[B, P]`` transposes.
    """

    def __init__(
        self, size: int, *, reward_mode: str = "shaped", baselines: Baselines | None = None
    ) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        check_reward_mode(reward_mode, baselines)
        self.size = size
        self.reward_mode = reward_mode
        self._baselines = baselines
        self._tasks: dict[tuple[str, str, int], _TaskArrays] = {}
        self._slots = _starting_slots(task_names())
        self._rows = np.arange(size)
        b, p, q = size, N_PRODUCTS, len(PERISHABLE)
        self.started = np.zeros(b, dtype=bool)
        self.episode_tasks: list[str] = [""] * b
        self.seeds = np.zeros(b, dtype=np.int64)
        self.day = np.zeros(b, dtype=np.int64)
        """Days simulated per episode (the scalar observation's ``current_day``)."""
        self.cash = np.zeros(b)
        self.starting_cash = np.zeros(b)
        self.score_floor = np.zeros(b)
        self.score_span = np.zeros(b)
        self._capacity = np.ones((p, b), dtype=np.int64)
        self._on_hand = np.zeros((p, b), dtype=np.int64)
        self._in_transit = np.zeros((p, b), dtype=np.int64)
        self._event_start = np.full((len(EVENTS), b), NO_EVENT, dtype=np.int64)
        """Announced start days (the observation's countdowns)."""
        self._realized_start = np.full((len(EVENTS), b), NO_EVENT, dtype=np.int64)
        """Realized start days (the scenario's events: what is active, and the demand)."""
        self._horizon = EPISODE_DAYS + _MAX_LEAD + 1  # grows with supplier delays
        self._arrivals = np.zeros((p, self._horizon, b), dtype=np.int64)
        """Units in transit by product and arrival day (lost ones included until then)."""
        self._lost_arrivals = np.zeros((p, self._horizon, b), dtype=np.int64)
        """The part of ``_arrivals`` the supplier lost: it vanishes on its arrival day."""
        self._late_arrivals = np.zeros((p, self._horizon, b), dtype=np.int64)
        """The part of ``_arrivals`` due after its promised ``latest_arrival_day``."""
        self._late_promised = np.zeros((p, self._horizon, b), dtype=np.int64)
        """The same late units by their promised latest arrival day instead."""
        self._overdue = np.zeros((p, b), dtype=np.int64)
        """Units in transit past their promised latest arrival day (still shown in transit)."""
        self.cost_spikes = np.zeros((4, 0, b))
        """``[4, K, B]``: each episode's announced cost spikes (``Scenario.cost_spikes``) as
        rows product index, first day, last day, multiplier; unused entries have first and
        last day ``NO_EVENT`` (never shown)."""
        self.cost_notice_days = np.zeros(b, dtype=np.int64)
        self._batches = np.zeros((q, self._slots + _MAX_LIFE + 1, b), dtype=np.int64)
        """Perishable units on hand: starting-batch slots, then one slot per ``days_left``."""
        self._start_life = np.zeros((q, self._slots, b), dtype=np.int64)
        self._base_demand = np.zeros((EPISODE_DAYS, p, b), dtype=np.int64)
        self._multipliers = np.ones((EPISODE_DAYS, p, b))
        self._lead_time = np.ones((EPISODE_DAYS, p, len(DELIVERY_METHODS), b), dtype=np.int64)
        self._arrival_delay = np.zeros((EPISODE_DAYS, p, b), dtype=np.int64)
        self._lost = np.zeros((EPISODE_DAYS, p, b), dtype=bool)
        self._cost_multipliers = np.ones((EPISODE_DAYS, p, b))

    # public [B, ...] views
    @property
    def capacity(self) -> np.ndarray:
        """``[B, P]`` warehouse capacity."""
        return self._capacity.T

    @property
    def on_hand(self) -> np.ndarray:
        """``[B, P]`` units in the warehouse."""
        return self._on_hand.T

    @property
    def in_transit(self) -> np.ndarray:
        """``[B, P]`` units ordered and not yet arrived."""
        return self._in_transit.T

    @property
    def event_start(self) -> np.ndarray:
        """``[B, E]`` announced start day of each event of ``EVENTS`` (the observation's countdowns;
        the realized days may differ); ``NO_EVENT`` if the task has none."""
        return self._event_start.T

    # ------------------------------------------------------------------ reset
    def reset(
        self,
        tasks: str | Sequence[str],
        seeds: Sequence[int] | np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        """Start the episodes of ``mask`` (default: all) on ``draw_scenario(task, seed)``.

        ``tasks`` is one name for all or one per episode of the batch; ``seeds`` has one seed
        per episode of the batch (entries outside ``mask`` are ignored).
        """
        names = [tasks] * self.size if isinstance(tasks, str) else list(tasks)
        if len(names) != self.size or len(seeds) != self.size:
            raise ValueError(f"need {self.size} tasks and seeds, got {len(names)}, {len(seeds)}")
        chosen = self._rows if mask is None else np.flatnonzero(mask)
        scenarios = [draw_scenario(names[b], int(seeds[b])) for b in chosen.tolist()]
        self.start_scenarios(scenarios, chosen)

    def start_scenarios(self, scenarios: Sequence[Scenario], rows: Sequence[int]) -> None:
        """Start episode ``rows[i]`` on ``scenarios[i]`` (already drawn, e.g. hidden ones)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(scenarios) != len(rows):
            raise ValueError("need one scenario per row")
        if not len(rows):
            return
        needed = _starting_slots({s.task_name for s in scenarios})
        if needed > self._slots:
            self._grow_starting_slots(needed)
        self._base_demand[..., rows] = np.stack([s.base_demand for s in scenarios], axis=-1)
        self._multipliers[..., rows] = np.stack([s.demand_multipliers for s in scenarios], axis=-1)
        self._lead_time[..., rows] = np.stack([s.lead_time for s in scenarios], axis=-1)
        shape = (EPISODE_DAYS, N_PRODUCTS)
        delays = [_or(s.arrival_delay, np.zeros(shape, dtype=np.int64)) for s in scenarios]
        self._grow_horizon(EPISODE_DAYS + _MAX_LEAD + 1 + max(int(d.max()) for d in delays))
        self._arrival_delay[..., rows] = np.stack(delays, axis=-1)
        self._lost[..., rows] = np.stack(
            [_or(s.lost, np.zeros(shape, dtype=bool)) for s in scenarios], axis=-1
        )
        self._cost_multipliers[..., rows] = np.stack(
            [_or(s.cost_multipliers, np.ones(shape)) for s in scenarios], axis=-1
        )
        tasks = [self._task(s.task_name) for s in scenarios]
        self._capacity[:, rows] = np.stack([t.capacity for t in tasks], axis=-1)
        self._on_hand[:, rows] = np.stack([t.on_hand for t in tasks], axis=-1)
        self._event_start[:, rows] = np.stack([t.event_start for t in tasks], axis=-1)
        self._realized_start[:, rows] = np.stack(
            [_event_starts({name: start for name, start, _ in s.events}) for s in scenarios],
            axis=-1,
        )
        self._batches[..., rows] = 0
        self._batches[:, : self._slots, rows] = np.stack([t.start_units for t in tasks], axis=-1)
        self._start_life[..., rows] = np.stack([t.start_life for t in tasks], axis=-1)
        cash = np.array([t.starting_cash for t in tasks])
        self.cash[rows] = self.starting_cash[rows] = cash
        for row, scenario in zip(rows.tolist(), scenarios, strict=True):
            self.episode_tasks[row] = scenario.task_name
            self.seeds[row] = scenario.seed
            if self.reward_mode == "score":
                assert self._baselines is not None  # check_reward_mode refused score without
                floor, ceiling = self._baselines(scenario)
                self.score_floor[row], self.score_span[row] = floor, ceiling - floor
        self.day[rows] = 0
        self._in_transit[:, rows] = 0
        self._arrivals[..., rows] = 0
        self._lost_arrivals[..., rows] = 0
        self._late_arrivals[..., rows] = self._late_promised[..., rows] = 0
        self._overdue[:, rows] = 0
        self._start_cost_spikes(scenarios, rows)
        self.started[rows] = True

    def _start_cost_spikes(self, scenarios: Sequence[Scenario], rows: np.ndarray) -> None:
        most = max(len(s.cost_spikes) for s in scenarios)
        if most > self.cost_spikes.shape[1]:
            extra = most - self.cost_spikes.shape[1]
            self.cost_spikes = np.pad(self.cost_spikes, ((0, 0), (0, extra), (0, 0)))
            self.cost_spikes[1:3, -extra:] = NO_EVENT
        self.cost_spikes[..., rows] = 0.0
        self.cost_spikes[1:3, :, rows] = NO_EVENT
        for row, scenario in zip(rows.tolist(), scenarios, strict=True):
            for k, (product, first, last, factor) in enumerate(scenario.cost_spikes):
                self.cost_spikes[:, k, row] = (PRODUCTS.index(product), first, last, factor)
            self.cost_notice_days[row] = scenario.cost_notice_days

    def _task(self, name: str) -> _TaskArrays:
        task = get_task(name)
        key = (name, task.digest, self._slots)
        arrays = self._tasks.get(key)
        if arrays is None:
            arrays = self._tasks[key] = _task_arrays(task, self._slots)
        return arrays

    def _grow_starting_slots(self, slots: int) -> None:
        extra = slots - self._slots
        self._batches = np.insert(self._batches, [self._slots] * extra, 0, axis=1)
        self._start_life = np.insert(self._start_life, [self._slots] * extra, 0, axis=1)
        self._slots = slots

    def _grow_horizon(self, horizon: int) -> None:
        if horizon > self._horizon:
            extra = ((0, 0), (0, horizon - self._horizon), (0, 0))
            self._arrivals = np.pad(self._arrivals, extra)
            self._lost_arrivals = np.pad(self._lost_arrivals, extra)
            self._late_arrivals = np.pad(self._late_arrivals, extra)
            self._late_promised = np.pad(self._late_promised, extra)
            self._horizon = horizon

    # ------------------------------------------------------------------- step
    def step(
        self,
        buy: np.ndarray,
        method: np.ndarray,
        price: np.ndarray,
        liquidate: np.ndarray,
        active: np.ndarray | None = None,
    ) -> BatchDay:
        """Simulate one day of every episode, in the scalar simulator's stage order.

        With ``active`` (bool ``[B]``), the other episodes are left as they were (they must
        be running all the same; their entries of the returned day mean nothing).
        """
        buy, method, price, liquidate = self._checked(buy, method, price, liquidate)
        if active is None or np.all(active):
            return self._step(buy, method, price, liquidate)
        kept = np.flatnonzero(~np.asarray(active, dtype=bool))
        state = (
            self.day,
            self.cash,
            self._on_hand,
            self._in_transit,
            self._arrivals,
            self._lost_arrivals,
            self._late_arrivals,
            self._late_promised,
            self._overdue,
            self._batches,
            self._start_life,
        )  # the episode is the last axis of each
        saved = [array[..., kept] for array in state]  # fancy indexing copies
        result = self._step(buy, method, price, liquidate)
        for array, values in zip(state, saved, strict=True):
            array[..., kept] = values
        return result

    def _step(
        self, buy: np.ndarray, method: np.ndarray, price: np.ndarray, liquidate: np.ndarray
    ) -> BatchDay:
        """One day; the arguments are checked, product-major ``[P, B]`` (method ``[B]``)."""
        rows, day, cash = self._rows, self.day, self.cash
        on_hand, transit = self._on_hand, self._in_transit
        batches, slots = self._batches, self._slots
        today = int(day[0])
        lockstep = bool((day == today).all())  # then a day's tables are plain slices

        # 1. Events and today's scenario rows.
        start = self._realized_start
        active = (start <= day) & ~event_has_ended(start, day)
        if lockstep:
            base, multipliers = self._base_demand[today], self._multipliers[today]
            lead_today = self._lead_time[today]  # [P, M, B]
            delay = self._arrival_delay[today]
            lost_today = self._lost[today]
            cost_multipliers = self._cost_multipliers[today]
        else:
            base = self._base_demand[day, :, rows].T
            multipliers = self._multipliers[day, :, rows].T
            lead_today = np.moveaxis(self._lead_time[day, :, :, rows], 0, -1)
            delay = self._arrival_delay[day, :, rows].T
            lost_today = self._lost[day, :, rows].T
            cost_multipliers = self._cost_multipliers[day, :, rows].T

        # 2. Expired perishables leave the shelf.
        expired = np.zeros_like(on_hand)
        if PERISHABLE:
            starting = batches[:, :slots]
            alive = self._start_life > 0
            units = batches[:, slots] + (starting * ~alive).sum(axis=1)
            starting *= alive
            batches[:, slots] = 0
            expired[_PERISHABLE_INDEX] = units
            on_hand -= expired

        # 3. Deliveries due today arrive with the full shelf life; lost ones vanish instead.
        if lockstep:
            due, lost = self._arrivals[:, today].copy(), self._lost_arrivals[:, today].copy()
            self._arrivals[:, today] = self._lost_arrivals[:, today] = 0
        else:
            due, lost = self._arrivals[:, day, rows], self._lost_arrivals[:, day, rows]
            self._arrivals[:, day, rows] = self._lost_arrivals[:, day, rows] = 0
        received = due - lost
        self._update_overdue(today if lockstep else None)
        transit -= due
        on_hand += received
        for q, index in enumerate(PERISHABLE):
            batches[q, slots + _LIFE[q]] += received[index]

        # 4. Orders in product order, each paid whole or rejected whole.
        purchase_cost = np.zeros(self.size)
        rejected = np.zeros_like(on_hand)
        by_method = [  # [M][P, B]: rules.unit_cost of every product for each method
            np.stack([unit_cost(p, m, cost_multipliers[i]) for i, p in enumerate(PRODUCTS)])
            for m in DELIVERY_METHODS
        ]
        paid = np.choose(method, by_method)  # [P, B] at each episode's method
        lead = np.take_along_axis(lead_today, method[None, None], axis=1)[:, 0] + delay
        offset = (np.arange(N_PRODUCTS) * self._horizon)[:, None]
        arrival_index = (day + lead + offset) * self.size + rows  # of [P, horizon, B], flat
        arrivals, lost_arrivals = self._arrivals.reshape(-1), self._lost_arrivals.reshape(-1)
        for index in range(N_PRODUCTS):
            quantity = buy[index]
            cost = quantity * paid[index]
            ordered = quantity > 0
            no_cash = ordered & (cost > cash)
            space = space_left(self._capacity[index], on_hand[index], transit[index])
            no_space = ordered & ~no_cash & (quantity > space)
            accepted = ordered & ~no_cash & ~no_space
            rejected[index] = no_cash * REJECTED_CASH + no_space * REJECTED_SPACE
            np.subtract(cash, cost, out=cash, where=accepted)
            np.add(purchase_cost, cost, out=purchase_cost, where=accepted)
            units = quantity * accepted
            transit[index] += units
            arrivals[arrival_index[index]] += units
            lost_arrivals[arrival_index[index]] += units * lost_today[index]
        late = delay > 0  # only a supplier delay can push an order past its promised day
        if late.any():
            self._book_late(buy, rejected, late, lead, method, arrival_index)

        # 5-6. Demand meets stock, oldest batch first; unmet demand is lost.
        wanted = _demand(base, multipliers, price)
        sold = np.minimum(wanted, on_hand)
        self._take(sold)
        missed = wanted - sold
        revenue = np.zeros(self.size)
        sales_value = np.zeros(self.size)
        missed_value = np.zeros(self.size)
        for index in range(N_PRODUCTS):  # summed in product order, as the scalar does
            revenue += sold[index] * _SELL[index] * price[index]
            sales_value += sold[index] * _SELL[index]
            missed_value += missed[index] * _SELL[index]
        cash += revenue

        # 7. Liquidation, oldest batch first, no revenue.
        liquidated = np.minimum(liquidate, on_hand)
        self._take(liquidated)
        liquidated_value = np.zeros(self.size)
        for index in range(N_PRODUCTS):
            liquidated_value += liquidated[index] * _COST[index]

        # 8. Age batches, book the day, score it.
        if PERISHABLE:
            self._start_life -= 1
            batches[:, slots:-1] = batches[:, slots + 1 :]
            batches[:, -1] = 0
        day += 1
        done = day >= EPISODE_DAYS
        breakdown = np.stack(
            [
                REWARD_SALES_COEF * sales_value + 0.0,
                -REWARD_MISSED_COEF * missed_value + 0.0,
                -REWARD_EXPIRED_PER_UNIT * expired.sum(axis=0) + 0.0,
                -REWARD_FAILED_PURCHASE * (rejected > 0).sum(axis=0) + 0.0,
                -REWARD_LIQUIDATION_COEF * liquidated_value + 0.0,
            ]
        )
        day_profit = revenue - purchase_cost
        if self.reward_mode == "profit":
            reward = REWARD_PROFIT_COEF * day_profit
        elif self.reward_mode == "score":
            reward = self._score_reward(day_profit, done)
        else:
            reward = breakdown[0].copy()
            for signal in range(1, len(SIGNALS)):  # summed in order, as ``sum`` does
                reward += breakdown[signal]
        return BatchDay(
            demand=wanted.T,
            sold=sold.T,
            missed=missed.T,
            expired=expired.T,
            received=received.T,
            lost=lost.T,
            liquidated=liquidated.T,
            rejected=rejected.T,
            revenue=revenue,
            purchase_cost=purchase_cost,
            price=price.T,
            active_events=active.T,
            breakdown=breakdown.T,
            reward=reward,
            done=done,
        )

    def _update_overdue(self, today: int | None) -> None:
        """Step 3's bookkeeping of overdue units: late units whose promised day is today
        become overdue after it; those due today (arrived or lost) leave the count."""
        if today is not None:
            promised, due = self._late_promised[:, today], self._late_arrivals[:, today]
            self._overdue += promised
            self._overdue -= due
            promised[:] = due[:] = 0
        else:
            day, rows = self.day, self._rows
            self._overdue += self._late_promised[:, day, rows] - self._late_arrivals[:, day, rows]
            self._late_promised[:, day, rows] = self._late_arrivals[:, day, rows] = 0

    def _book_late(
        self,
        buy: np.ndarray,
        rejected: np.ndarray,
        late: np.ndarray,
        lead: np.ndarray,
        method: np.ndarray,
        arrival_index: np.ndarray,
    ) -> None:
        """Step 4's accepted orders due after their promised latest arrival day, booked by
        due day and by promised day (``_update_overdue`` counts them in between)."""
        latest = _LATEST[method]  # [B]
        product, row = np.nonzero(late & (lead > latest) & (buy > 0) & (rejected == 0))
        units = buy[product, row]  # one order per (product, episode): the indices are unique
        self._late_arrivals.reshape(-1)[arrival_index[product, row]] += units
        promised = (self.day[row] + latest[row] + product * self._horizon) * self.size + row
        self._late_promised.reshape(-1)[promised] += units

    def _checked(
        self, buy: np.ndarray, method: np.ndarray, price: np.ndarray, liquidate: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The action as product-major int64 / float64 arrays, or ``ValueError``."""
        if not self.started.all():
            raise EpisodeStateError("reset every episode of the batch before step()")
        if (self.day >= EPISODE_DAYS).any():
            raise EpisodeStateError(
                f"{int((self.day >= EPISODE_DAYS).sum())} episode(s) are over: reset them "
                "(reset(..., mask=done)) before the next step"
            )
        shape = (self.size, N_PRODUCTS)
        buy = np.asarray(buy)
        liquidate = np.asarray(liquidate)
        method = np.asarray(method)
        price = np.asarray(price, dtype=np.float64)
        for name, units in (("buy", buy), ("liquidate", liquidate)):
            if units.shape != shape or units.dtype.kind not in "iu":
                raise ValueError(f"{name} must be an integer array of shape {shape}")
            if units.min() < 0 or units.max() > MAX_ORDER_QUANTITY:
                raise ValueError(f"{name} units must be in 0..{MAX_ORDER_QUANTITY}")
        if method.shape != (self.size,) or method.dtype.kind not in "iu":
            raise ValueError(f"method must be an integer array of shape ({self.size},)")
        if method.min() < 0 or method.max() >= len(DELIVERY_METHODS):
            raise ValueError(f"method must index DELIVERY_METHODS {DELIVERY_METHODS}")
        if price.shape != shape:
            raise ValueError(f"price must have shape {shape}")
        if not ((price >= PRICE_MULTIPLIER_MIN) & (price <= PRICE_MULTIPLIER_MAX)).all():
            raise ValueError(
                f"price multipliers must be in [{PRICE_MULTIPLIER_MIN}, {PRICE_MULTIPLIER_MAX}]"
            )
        return (
            np.ascontiguousarray(buy.T, dtype=np.int64),
            method.astype(np.int64, copy=False),
            np.ascontiguousarray(price.T),
            np.ascontiguousarray(liquidate.T, dtype=np.int64),
        )

    def _take(self, units: np.ndarray) -> None:
        """Remove ``units[P, B]`` (at most on hand), oldest batch first."""
        self._on_hand -= units
        if PERISHABLE:
            batches = self._batches
            taken = units[_PERISHABLE_INDEX, None, :]
            filled = np.cumsum(batches, axis=1)
            np.minimum(batches, np.maximum(filled - taken, 0), out=batches)

    def _score_reward(self, day_profit: np.ndarray, done: np.ndarray) -> np.ndarray:
        """The scalar ``_score_reward`` over the batch."""
        span, floor = self.score_span, self.score_floor
        positive = span > 0.0
        reward = np.where(positive, day_profit / np.where(positive, span, 1.0), 0.0)
        last = done & positive
        reward[last] -= floor[last] / span[last]
        degenerate = done & ~positive
        profit = self.cash - self.starting_cash
        reward[degenerate] = (profit[degenerate] >= (floor + span)[degenerate]).astype(float)
        return reward

    # ------------------------------------------------------------------ views
    def remaining_capacity(self) -> np.ndarray:
        """``[B, P]`` warehouse space left: capacity - on hand - in transit."""
        return space_left(self._capacity, self._on_hand, self._in_transit).T

    def overdue(self) -> np.ndarray:
        """``[B, P]`` units in transit past their promised latest arrival day."""
        return self._overdue.T

    def perishable_units_by_days_left(self) -> np.ndarray:
        """``[B, Q, max shelf life + 1]`` perishable units on hand by selling days left."""
        by_life = self._batches[:, self._slots :].copy()  # [Q, L + 1, B]
        life = np.clip(self._start_life, 0, _MAX_LIFE)
        for q in range(len(PERISHABLE)):
            for slot in range(self._slots):  # one entry per episode: no repeated index
                by_life[q, life[q, slot], self._rows] += self._batches[q, slot]
        return np.moveaxis(by_life, -1, 0)

    def stock_batches(self, row: int) -> dict[str, list[list[int | None]]]:
        """Episode ``row``'s on-hand batches ``[quantity, days_left]`` oldest first, with
        adjacent batches of equal ``days_left`` merged (they behave as one)."""
        stock: dict[str, list[list[int | None]]] = {}
        for index, product in enumerate(PRODUCTS):
            if index not in PERISHABLE:
                units = int(self._on_hand[index, row])
                stock[product] = [[units, None]] if units else []
                continue
            q = PERISHABLE.index(index)
            starting = zip(
                self._batches[q, : self._slots, row].tolist(),
                self._start_life[q, :, row].tolist(),
                strict=True,
            )
            fresh = enumerate(self._batches[q, self._slots :, row].tolist())
            listed = [[u, d] for u, d in starting] + [[u, d] for d, u in fresh]
            stock[product] = merge_equal_ages([batch for batch in listed if batch[0]])
        return stock

    def shipments(self, row: int, lost: bool = False) -> dict[tuple[str, int], int]:
        """Episode ``row``'s units in transit by ``(product, arrival day)``; with ``lost``,
        only those the supplier lost (they vanish on that day)."""
        units = (self._lost_arrivals if lost else self._arrivals)[:, :, row]
        return {
            (PRODUCTS[p], int(d)): int(units[p, d]) for p, d in zip(*np.nonzero(units), strict=True)
        }


def _demand(base: np.ndarray, multipliers: np.ndarray, price: np.ndarray) -> np.ndarray:
    """``demand_units`` over ``[P, B]``; near a rounding boundary, ``demand_units`` itself."""
    expected = base * multipliers * price_effect(price, _ELASTICITY_COLUMN) + 0.5
    wanted = np.floor(expected)
    distance = np.abs(expected - np.rint(expected))
    close = (distance <= _ROUNDING_MARGIN * np.maximum(expected, 1.0)) & (price != 1.0)
    if not close.any():
        return wanted.astype(np.int64)
    for index, row in zip(*np.nonzero(close), strict=True):
        wanted[index, row] = demand_units(
            int(base[index, row]),
            float(multipliers[index, row]),
            float(price[index, row]),
            _ELASTICITY[index],
        )
    return wanted.astype(np.int64)


def _or(table: np.ndarray | None, default: np.ndarray) -> np.ndarray:
    """A scenario's optional table, or what its absence means."""
    return default if table is None else table


def merge_equal_ages(batches: list[list[int | None]]) -> list[list[int | None]]:
    """Batches with adjacent batches of equal ``days_left`` merged (FIFO-equivalent)."""
    merged: list[list[int | None]] = []
    for quantity, days_left in batches:
        if merged and merged[-1][1] == days_left:
            merged[-1][0] += quantity
        else:
            merged.append([quantity, days_left])
    return merged
