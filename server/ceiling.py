"""The perfect-information ceiling: a mixed-integer program whose bound no policy can beat.

Given a scenario's drawn tables (``server.scenario.draw_scenario``), every trajectory the
simulator can produce, under any sequence of actions, maps to a feasible point of the program
below whose objective is at least that trajectory's profit. So the program's optimum, and
HiGHS's proven dual bound on it, is an upper bound on the profit of every policy, including
one that knows the future. The program is built from the same constants and tables the
simulator uses; it restates the simulator's rules as linear constraints, nothing more.

Variables, per day ``t`` (0..29), product ``p`` and shipping method ``m``:

* ``x[t,p,m]`` units ordered, arriving on ``t + lead_time[t,p,m] + arrival_delay[t,p]`` (the
  drawn tables; the delay is a supplier disruption's), at unit cost
  ``cost * cost_multipliers[t,p] + shipping[m]`` (cost spikes). Demand reads the scenario's
  realized ``demand_multipliers`` (demand shift, events at their real days and sizes).
* ``y[t,m]`` binary, the day's one delivery method: ``x[t,p,m] <= capacity_p * y[t,m]``,
  ``sum_m y[t,m] <= 1`` -- exactly the action's single ``delivery_method``.
* units sold, split into segments of the revenue bound (see *Prices*).
* end-of-day stock: one variable per non-perishable product and day; for groceries one per
  batch (a starting batch, or all units arriving on day ``a``, sellable on days
  ``a .. a + SHELF_LIFE - 1``) and day, so shelf life is exact.
* ``cash[t]``: cash after day ``t``'s purchases and before its sales (stage 4 comes before
  stage 6), kept ``>= 0``. Costs are positive, so the simulator's order-by-order "paid whole
  or rejected" check passes for all of a day's orders exactly when their total fits.

Constraints follow ``server/inventory_env.py``: arrivals join stock on their day; sales and
liquidation come out of the stock on hand that day; the stage-4 capacity check counts on-hand
stock after that day's expiry and arrivals, plus units in transit, plus the new order. The
objective, revenue minus purchase cost, is the episode's profit (final cash minus starting
cash; leftover stock is worth nothing).

Relaxations (each only enlarges the feasible set, so the bound stays valid):

* Sales are "at most demand" rather than "exactly min(demand, stock)": stock may be held
  back while demand goes unmet.
* Grocery sales and liquidation may take any live batch, not only the oldest (FIFO).
* Units ordered and sold are continuous; only the method choice is integral.
* Revenue is bounded by a concave piecewise-linear function of units sold (below).

Orders left out, because some plan at least as good never places them: orders arriving on
day 30 or later and orders the supplier loses (``lost[t,p]``; both only cost cash and space),
and orders whose unit cost is at least the
most a unit can sell for, 1.5x the sell price (dropping such a unit, and its sale if any,
never lowers profit; this removes fast-shipped groceries). Sales per day are capped at the most
stock that can be on hand (the capacity, or the starting stock if larger).

Prices. Demand at multiplier ``m`` is ``D(m) = floor(b*M*m**-e + 0.5)``
(``server.rules.demand_units``). Selling ``q >= 1`` units needs ``D(m) >= q``, i.e.
``m <= m_max(q) = (b*M / (q - 0.5)) ** (1/e)`` (``server.rules.max_price_for_units``), so
``q`` units earn at most ``R(q) = P * q * min(1.5, m_max(q))``, and ``q <= D(0.5)``. Prices
are continuous, so no grid is involved: revenue is bounded by ``min`` of supporting lines of
the upper concave envelope of the points ``(q, R(q))``, ``q = 0..D(0.5)``; each such line lies
above every achievable (units, revenue) pair, so any subset of them is a bound. Lines are
skipped while the ones kept stay within ``FACET_TOLERANCE`` dollars of the envelope (fewer
variables, still a bound), and units past the envelope's peak earn nothing (they are better
thrown away). The concave bound enters the program as segments of decreasing revenue per unit,
each a bounded variable. ``m_max`` is inflated by ``PRICE_SAFETY`` (relative) so that the
simulator's floating-point rounding cannot land above it.

Solving. HiGHS (``scipy.optimize.milp``) runs branch and bound until its dual bound is within
``mip_rel_gap`` (0.2%) of its best plan, or 200 nodes are processed (``HIGHS_OPTIONS``); the
root node's cuts and heuristics do most of the work. The reported bound is HiGHS's dual bound
(valid whether or not the gap closes). The work is limited by a node count and a gap, never by
a clock, so the same scenario gives the same bound in every process. ``docs/ceiling.md`` has
the measured distance to the program's exact optimum.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from server import rules
from server.constants import (
    DELIVERY_METHODS,
    ELASTICITY,
    EPISODE_DAYS,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
    SELL_PRICE,
    SHELF_LIFE,
)
from server.rules import demand_units, max_price_for_units
from server.scenario import Scenario, draw_scenario
from server.task_catalog import get_task

FACET_TOLERANCE = 1.0
"""Dollars by which the kept revenue lines may exceed the full envelope (smaller program)."""
PRICE_SAFETY = 1e-9
"""Relative inflation of ``m_max`` in the bound, covering the simulator's float rounding."""
HIGHS_OPTIONS: dict[str, Any] = {
    "node_limit": 200,
    "mip_rel_gap": 2e-3,
    "presolve": True,
    # Passed to HiGHS verbatim. RENS at the root finds the plan; RINS, the reduced-cost
    # heuristic and feasibility jump cost a quarter of the time and never improved it here.
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
}
"""Branch and bound until the dual bound is within 0.2% of the plan, or 200 nodes: no clock."""
ROOT_ONLY_OPTIONS: dict[str, Any] = {**HIGHS_OPTIONS, "node_limit": 1, "mip_rel_gap": 2e-2}
"""The earlier settings (root node only, up to 0.8% loose on hard): the benchmarks' baseline."""

# scipy warns on every solve that it passes the heuristic switches to HiGHS verbatim; that is
# the intent. (A process-wide filter for that one message: ``catch_warnings`` per call would not
# be thread-safe.)
warnings.filterwarnings("ignore", message="Unrecognized options detected", category=RuntimeWarning)

_N_METHODS = len(DELIVERY_METHODS)


@dataclass(frozen=True)
class CeilingSolution:
    """The bound and the solver's plan for one ``(task, seed)``.

    Plan tables are ``[day, product]`` floats as the solver left them (units are continuous
    in the program); ``server.clairvoyant`` turns them into whole-unit actions.
    """

    task_name: str
    seed: int
    bound: float
    """Proven upper bound on any policy's profit (HiGHS's dual bound)."""
    plan_profit: float
    """Objective of the solver's plan (at most ``bound``)."""
    methods: tuple[str, ...]
    """Delivery method per day (``"slow"`` on days the plan orders nothing)."""
    orders: np.ndarray
    sales: np.ndarray
    solve_seconds: float
    status: str


def revenue_envelope(
    sell_price: float,
    base: float,
    multiplier: float,
    elasticity: float,
    tolerance: float = 0.0,
    stock_limit: int | None = None,
) -> tuple[int, list[tuple[float, float]]]:
    """``(max_units, lines)``: ``revenue <= a + b * units`` for every ``(a, b)`` in ``lines``
    bounds the revenue of selling ``units`` (0..max_units) of one product on one day.

    ``max_units`` is the demand at the lowest price, or ``stock_limit`` (the most stock that
    can be on hand) if smaller. Every line supports the upper concave envelope of
    ``(q, R(q))``; see the module docstring.
    """
    max_units = demand_units(base, multiplier, PRICE_MULTIPLIER_MIN, elasticity)
    if stock_limit is not None:
        max_units = min(max_units, stock_limit)
    if max_units <= 0:
        return 0, []
    points = [(0.0, 0.0)]
    for units in range(1, max_units + 1):
        price = max_price_for_units(units, base, multiplier, elasticity) * (1.0 + PRICE_SAFETY)
        points.append((float(units), sell_price * units * min(PRICE_MULTIPLIER_MAX, price)))
    hull: list[tuple[float, float]] = []
    for point in points:  # upper hull, left to right (monotone chain)
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (point[1] - y1) - (y2 - y1) * (point[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(point)
    rising = []
    for (x1, y1), (x2, y2) in zip(hull, hull[1:], strict=False):
        slope = (y2 - y1) / (x2 - x1)
        if slope <= 0.0:
            break
        rising.append((y1 - slope * x1, slope))
    kept = rising[:1]
    index = 0
    while index < len(rising) - 1:
        # Skip to the furthest line whose crossing with the last kept one stays within tolerance.
        following = index + 1
        for candidate in range(index + 2, len(rising)):
            if _crossing_excess(rising[index], rising[candidate], rising) > tolerance:
                break
            following = candidate
        kept.append(rising[following])
        index = following
    kept.append((max(y for _, y in hull), 0.0))
    return max_units, kept


def revenue_segments(max_units: int, lines: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The bound ``min(lines)`` over ``0..max_units`` as ``(length, slope)`` segments, highest
    slope first. Slopes fall, so filling segments in order is what maximises revenue, and any
    filling earns at most ``min(lines)`` of the units sold. The flat tail (no revenue) is left
    out: units past the peak are better liquidated."""
    segments = []
    start = 0.0
    for (a1, b1), (a2, b2) in zip(lines, lines[1:], strict=False):
        end = min(float(max_units), (a2 - a1) / (b1 - b2))
        if end > start and b1 > 0.0:
            segments.append((end - start, b1))
        start = max(start, end)
    return segments


def _crossing_excess(
    left: tuple[float, float], right: tuple[float, float], lines: list[tuple[float, float]]
) -> float:
    """How far ``min(left, right)`` rises above the envelope ``min(lines)``: most at the
    crossing of the two lines."""
    crossing = (right[0] - left[0]) / (left[1] - right[1])
    height = left[0] + left[1] * crossing
    return height - min(a + b * crossing for a, b in lines)


class _Program:
    """A sparse MILP under construction: bounded variables and rows ``lb <= a.x <= ub``."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def var(self, upper: float = math.inf, *, binary: bool = False, cost: float = 0.0) -> int:
        self.cost.append(cost)
        self.lower.append(0.0)
        self.upper.append(upper)
        self.integer.append(1 if binary else 0)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        index = len(self.row_lower)
        for column, value in terms:
            self.rows.append(index)
            self.cols.append(column)
            self.vals.append(value)
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def solve(self, options: Mapping[str, Any]) -> Any:
        # scipy is imported here, not at the top: importing the grader (floor, cached grades,
        # the known default-seed ceilings of server.known_ceilings) must not need it.
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_matrix

        matrix = coo_matrix(
            (self.vals, (self.rows, self.cols)), shape=(len(self.row_lower), len(self.cost))
        ).tocsr()
        return milp(
            np.array(self.cost),
            integrality=np.array(self.integer),
            bounds=Bounds(np.array(self.lower), np.array(self.upper)),
            constraints=LinearConstraint(
                matrix, np.array(self.row_lower), np.array(self.row_upper)
            ),
            options=dict(options),
        )


@dataclass
class _Model:
    """Column indices of the program's variables."""

    program: _Program
    orders: dict[tuple[int, int, int], int]
    """(day, product, method) -> x."""
    methods: dict[tuple[int, int], int]
    """(day, method) -> y."""
    segments: dict[tuple[int, int], list[tuple[int, float]]]
    """(day, product) -> (units sold in one envelope segment, its revenue per unit)."""
    arrivals: dict[tuple[int, int], list[int]]
    """(arrival day, product) -> x arriving then."""

    def sold(self, day: int, p: int) -> list[tuple[int, float]]:
        """Terms summing to the units of ``p`` sold on ``day``."""
        return [(column, 1.0) for column, _ in self.segments[day, p]]


def solve_ceiling(
    task_name: str, seed: int | None = None, *, scenario: Scenario | None = None
) -> CeilingSolution:
    """The ceiling of ``(task_name, seed)``: its scenario drawn, then ``solve_scenario``.

    ``scenario``, when given, is solved instead of the draw (``task_name`` and ``seed`` are
    then ignored), e.g. a scenario drawn with an operator's secret.
    """
    if scenario is None:
        scenario = draw_scenario(task_name, seed)
    return solve_scenario(scenario)


def solve_scenario(scenario: Scenario, options: Mapping[str, Any] | None = None) -> CeilingSolution:
    """Build and solve the program of a drawn scenario; see the module docstring.

    ``options`` replaces ``HIGHS_OPTIONS`` (benchmarks compare settings with it; the grader
    always uses the default).
    """
    started = time.perf_counter()
    model = _build(scenario)
    result = model.program.solve(HIGHS_OPTIONS if options is None else options)
    seconds = time.perf_counter() - started
    dual = result.mip_dual_bound
    if dual is None and result.success:  # no integer variable (no orders possible): an LP
        dual = result.fun
    if dual is None or not math.isfinite(dual):
        raise RuntimeError(
            f"ceiling program of {scenario.task_name!r} seed {scenario.seed}: no bound "
            f"({result.message})"
        )
    return _read_solution(scenario, model, result, float(dual), seconds)


def _build(scenario: Scenario) -> _Model:
    task = get_task(scenario.task_name).published
    program = _Program()
    days = EPISODE_DAYS
    capacity = [int(task["capacity"][p]) for p in PRODUCTS]

    orders: dict[tuple[int, int, int], int] = {}
    arrivals: dict[tuple[int, int], list[int]] = {}
    methods: dict[tuple[int, int], int] = {}
    for day in range(days):
        options = {m: _order_options(scenario, day, m) for m in range(_N_METHODS)}
        needs_flag = sum(1 for found in options.values() if found) > 1
        flags = []
        for m, found in options.items():
            flag = program.var(1.0, binary=True) if needs_flag and found else None
            if flag is not None:
                methods[day, m] = flag
                flags.append(flag)
            for p, arrival, unit_cost in found:
                column = program.var(capacity[p], cost=unit_cost)
                orders[day, p, m] = column
                arrivals.setdefault((arrival, p), []).append(column)
                if flag is not None:
                    program.row([(column, 1.0), (flag, -float(capacity[p]))], -math.inf, 0.0)
        if flags:
            program.row([(flag, 1.0) for flag in flags], -math.inf, 1.0)

    # On-hand stock never exceeds the capacity (orders count in-transit units), nor the
    # starting stock where that is larger; sales cannot exceed it.
    stock_limit = [
        max(capacity[p], sum(int(q) for q, _ in task["starting_stock"][product]))
        for p, product in enumerate(PRODUCTS)
    ]
    segments: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for day in range(days):
        for p, product in enumerate(PRODUCTS):
            max_units, lines = revenue_envelope(
                SELL_PRICE[product],
                float(scenario.base_demand[day, p]),
                float(scenario.demand_multipliers[day, p]),
                ELASTICITY[product],
                FACET_TOLERANCE,
                stock_limit[p],
            )
            segments[day, p] = [
                (program.var(length, cost=-slope), slope)
                for length, slope in revenue_segments(max_units, lines)
            ]
    model = _Model(program, orders, methods, segments, arrivals)

    _add_cash(model, float(task["starting_cash"]))
    for p, product in enumerate(PRODUCTS):
        starting = task["starting_stock"][product]
        on_hand = _add_stock_flow(model, p, starting, SHELF_LIFE[product])
        _add_capacity(model, scenario, p, capacity[p], on_hand)
    return model


def _order_options(scenario: Scenario, day: int, m: int) -> list[tuple[int, int, float]]:
    """``(product, arrival day, unit cost)`` of the orders worth modelling for ``(day, m)``.

    Left out: orders arriving after the last day (see the module docstring), orders the
    supplier loses (``Scenario.lost``: paid, never delivered), and orders whose unit cost is at
    least the most a unit can ever sell for (1.5x the sell price): dropping such units (and one
    sale each) from any plan never lowers its profit. Arrival days include the disruption's
    extra days; unit costs the day's cost multiplier.
    """
    found = []
    supplier = scenario.supplier_rows[day]
    for p, product in enumerate(PRODUCTS):
        extra_days, lost, cost_multiplier = supplier[p]
        if lost:
            continue
        arrival = day + int(scenario.lead_time[day, p, m]) + extra_days
        unit_cost = rules.unit_cost(product, DELIVERY_METHODS[m], cost_multiplier)
        if arrival < EPISODE_DAYS and unit_cost < PRICE_MULTIPLIER_MAX * SELL_PRICE[product]:
            found.append((p, arrival, unit_cost))
    return found


def _add_cash(model: _Model, starting_cash: float) -> None:
    """cash[t] = cash[t-1] + revenue[t-1] - purchases[t] >= 0."""
    program = model.program
    spend_by_day: dict[int, list[tuple[int, float]]] = {}
    for (day, _p, _m), column in model.orders.items():
        spend_by_day.setdefault(day, []).append((column, program.cost[column]))
    previous = None
    for day in range(EPISODE_DAYS):
        cash = program.var()
        terms = [(cash, 1.0), *spend_by_day.get(day, [])]
        if previous is None:
            program.row(terms, starting_cash, starting_cash)
        else:
            terms.append((previous, -1.0))
            for p in range(len(PRODUCTS)):
                terms += [(column, -slope) for column, slope in model.segments[day - 1, p]]
            program.row(terms, 0.0, 0.0)
        previous = cash


def _add_stock_flow(
    model: _Model, p: int, starting: list[list[int | None]], shelf_life: int | None
) -> list[tuple[list[tuple[int, float]], float]]:
    """End-of-day stock of product ``p`` that is still sellable the next day. Returns, per
    day, the on-hand stock at stage 4 (after expiry and arrivals) as ``(terms, constant)``.

    ``stock[t] <= stock[t-1] + arrivals[t] - sold[t]``: what is not kept was liquidated or
    expires. For a perishable product the stock kept into day ``t+1`` must also still be
    fresh then: at most the units that arrived on days ``t-SHELF_LIFE+2 .. t`` plus the starting
    batches with at least ``t+2`` days left. (Selling oldest first meets this whenever any
    order of selling does, so shelf life costs the bound no tightness.)
    """
    program = model.program
    stock: list[int] = []
    on_hand = []
    for day in range(EPISODE_DAYS):
        arriving = [(c, 1.0) for c in model.arrivals.get((day, p), [])]
        carried = [(stock[-1], 1.0)] if stock else []
        opening = sum(int(q) for q, k in starting if k is None or int(k) > 0)
        constant = 0.0 if stock else float(opening)
        on_hand.append((carried + arriving, constant))
        end = program.var()
        terms = [(end, 1.0), *model.sold(day, p)]
        terms += [(c, -v) for c, v in carried + arriving]
        program.row(terms, -math.inf, constant)
        if shelf_life is not None:
            fresh = [
                (c, -1.0)
                for arrival in range(max(0, day - shelf_life + 2), day + 1)
                for c in model.arrivals.get((arrival, p), [])
            ]
            still_good = sum(int(q) for q, k in starting if k is not None and int(k) >= day + 2)
            program.row([(end, 1.0), *fresh], -math.inf, float(still_good))
        stock.append(end)
    return on_hand


def _add_capacity(
    model: _Model,
    scenario: Scenario,
    p: int,
    capacity: int,
    on_hand: list[tuple[list[tuple[int, float]], float]],
) -> None:
    """Stage 4: on hand + in transit + today's order <= capacity, on days an order is possible."""
    placed: dict[int, list[int]] = {}
    in_transit: dict[int, list[int]] = {}
    for (day, q, m), column in model.orders.items():
        if q != p:
            continue
        placed.setdefault(day, []).append(column)
        arrival = day + int(scenario.lead_time[day, p, m]) + scenario.supplier_rows[day][p][0]
        for later in range(day + 1, arrival):
            in_transit.setdefault(later, []).append(column)
    for day, columns in placed.items():
        terms, constant = on_hand[day]
        row = terms + [(c, 1.0) for c in columns + in_transit.get(day, [])]
        model.program.row(row, -math.inf, capacity - constant)


def _chosen_method(model: _Model, x: np.ndarray, day: int) -> int:
    """The day's method: its binary if it has several, else the only one with options."""
    flagged = [m for m in range(_N_METHODS) if (day, m) in model.methods]
    if flagged:
        return max(flagged, key=lambda m: x[model.methods[day, m]])
    available = [
        m for m in range(_N_METHODS) if any(k[0] == day and k[2] == m for k in model.orders)
    ]
    return available[0] if available else 0


def _read_solution(
    scenario: Scenario, model: _Model, result: Any, dual: float, seconds: float
) -> CeilingSolution:
    """The bound, and the incumbent as per-day tables."""
    # Without an incumbent (never seen, but possible) the plan is to do nothing.
    x = np.zeros(len(model.program.cost)) if result.x is None else np.asarray(result.x)
    plan_profit = 0.0 if result.x is None else -float(result.fun)
    days, n_products = EPISODE_DAYS, len(PRODUCTS)
    chosen_methods = []
    orders = np.zeros((days, n_products))
    for day in range(days):
        m = _chosen_method(model, x, day)
        chosen_methods.append(DELIVERY_METHODS[m])
        for p in range(n_products):
            if (day, p, m) in model.orders:
                orders[day, p] = x[model.orders[day, p, m]]
    sales = np.array(
        [
            [sum(x[c] for c, _ in model.segments[d, p]) for p in range(n_products)]
            for d in range(days)
        ]
    )
    return CeilingSolution(
        task_name=scenario.task_name,
        seed=scenario.seed,
        bound=max(-dual, plan_profit),
        plan_profit=plan_profit,
        methods=tuple(chosen_methods),
        orders=orders,
        sales=sales,
        solve_seconds=seconds,
        status=str(result.message),
    )
