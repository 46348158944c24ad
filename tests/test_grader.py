"""The grader: a passive floor, a perfect-information ceiling no policy beats, and the score.

The 63 scenarios (each task's default seed and seeds 0..19) are solved once, and every test
policy is played on each through the real simulator, in two worker processes (``records``);
the in-process grader must agree with them bit for bit.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import pytest

from models import InventoryAction, InventoryObservation
from server import ceiling, grader
from server.agents import PassiveAgent, RandomAgent, ReplayAgent, make_agent
from server.clairvoyant import plan_actions
from server.constants import (
    COST_PRICE,
    DELIVERY_METHODS,
    ELASTICITY,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
    SELL_PRICE,
    SHIPPING_COST_PER_UNIT,
    TASK_NAMES,
)
from server.in_process_episode import run_episode
from server.rules import demand_units, highest_price_selling, max_price_for_units
from server.scenario import draw_scenario
from server.task_catalog import get_task
from server.task_config import MECHANICS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = tuple(range(20))
SHIFT_TASK = "volatile"
"""A built-in task with an unannounced demand shift: the ceiling must bound it too."""
SCENARIOS = (
    [(task, get_task(task).default_seed) for task in (*TASK_NAMES, SHIFT_TASK)]
    + [(task, seed) for task in TASK_NAMES for seed in SEEDS]
    + [(SHIFT_TASK, seed) for seed in range(4)]
)
TOLERANCE = 1e-6
BRIEF_LINE = (
    "from server.grader import compute_baselines; [print(f'{t}: floor={f:.2f}, "
    "ceiling={c:.2f}') for t in ['easy','medium','hard'] for f,c in [compute_baselines(t)]]"
)


# ------------------------------------------------------------------------------ scenarios
@pytest.fixture(scope="module")
def brief_line() -> Iterator[subprocess.Popen[str]]:
    """The brief's setup line, running in a fresh interpreter while the scenarios solve."""
    process = subprocess.Popen(
        [sys.executable, "-c", BRIEF_LINE],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    process.kill()
    process.communicate()


class _Records(dict):
    """Scenario records by ``(task, seed)``; missing ones are computed here when asked for."""

    def __missing__(self, key: tuple[str, int]) -> dict[str, Any]:
        self[key] = _scenario_record(*key)
        return self[key]


@pytest.fixture(scope="module")
def records(brief_line: subprocess.Popen[str]) -> _Records:
    """``_scenario_record`` of every scenario, computed up front in two other processes (also
    under pytest-xdist: the file runs on one worker, ``--dist loadfile``, and the tests below
    compare these with solves in this process)."""
    computed = _Records()
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        futures = {key: pool.submit(_scenario_record, *key) for key in SCENARIOS}
        computed.update((key, future.result()) for key, future in futures.items())
    return computed


def _scenario_record(task: str, seed: int) -> dict[str, Any]:
    """The scenario's ``ceiling_report`` with its plan, and every test policy's profit."""
    record = grader.ceiling_report(task, seed, with_plan=True)
    record["profits"] = _policy_profits(task, seed, _plan(record))
    return record


def _plan(record: dict[str, Any]) -> list[InventoryAction]:
    return [InventoryAction.model_validate(action) for action in record["plan"]]


# ------------------------------------------------------------------------------ policies
class OrderUpToAgent:
    """Greedy: every day, order each product up to a share of its warehouse space with one
    method, at one price for everything."""

    def __init__(self, method: str, fill: float, price: float) -> None:
        self.name = f"order-up-to-{method}-{fill}-{price}"
        self.method, self.fill, self.price = method, fill, price
        self.capacity: dict[str, int] = {}

    def reset(self, task_name: str) -> None:
        self.capacity = get_task(task_name).capacity

    def act(self, observation: InventoryObservation) -> InventoryAction:
        cash = observation.total_cash
        buy = {}
        for product in PRODUCTS:
            space = observation.remaining_capacity[product]
            target = int(self.fill * self.capacity[product]) - (self.capacity[product] - space)
            unit = COST_PRICE[product] + SHIPPING_COST_PER_UNIT[self.method]
            units = max(0, min(space, target, int(cash // unit)))
            if units:
                buy[product] = units
                cash -= units * unit
        return InventoryAction(
            buy_quantities=buy,
            delivery_method=self.method,
            price_multipliers=dict.fromkeys(PRODUCTS, self.price),
        )


def _perturbed(plan: list[InventoryAction], rng: random.Random) -> list[InventoryAction]:
    """The clairvoyant plan with random changes on a third of the days."""
    return [_perturb_day(action, rng) if rng.random() < 1 / 3 else action for action in plan]


def _perturb_day(action: InventoryAction, rng: random.Random) -> InventoryAction:
    """One day's action with random changes to orders, prices, method and liquidation."""
    buy = {p: max(0, q + rng.randint(-3, 3)) for p, q in action.buy_quantities.items()}
    if rng.random() < 0.3:
        buy[rng.choice(PRODUCTS)] = rng.randint(1, 8)
    prices = {
        p: min(PRICE_MULTIPLIER_MAX, max(PRICE_MULTIPLIER_MIN, m * rng.uniform(0.9, 1.1)))
        for p, m in action.price_multipliers.items()
    }
    method = rng.choice(DELIVERY_METHODS) if rng.random() < 0.3 else action.delivery_method
    liquidate = {rng.choice(PRODUCTS): rng.randint(1, 3)} if rng.random() < 0.1 else {}
    return InventoryAction(
        buy_quantities={p: q for p, q in buy.items() if q > 0},
        delivery_method=method,
        liquidate=liquidate,
        price_multipliers=prices,
    )


def _policy_profits(task: str, seed: int, plan: list[InventoryAction]) -> dict[str, float]:
    agents = [
        PassiveAgent(),
        *(RandomAgent(seed * 10 + k) for k in range(3)),
        OrderUpToAgent("fast", 0.5, 1.0),
        OrderUpToAgent("slow", 0.8, 1.5),
        OrderUpToAgent("medium", 0.3, 1.2),
        make_agent("basestock"),
        ReplayAgent(plan, "clairvoyant"),
    ]
    if seed == get_task(task).default_seed:
        agents.append(make_agent("heuristic"))
    rng = random.Random(f"{task}:{seed}")
    agents += [ReplayAgent(_perturbed(plan, rng), f"perturbed-{k}") for k in range(8)]
    profits = {}
    for agent in agents:
        name = agent.name if agent.name not in profits else f"{agent.name}-{len(profits)}"
        profits[name] = run_episode(agent, task, seed).profit
    return profits


@pytest.mark.parametrize(("task", "seed"), SCENARIOS)
def test_no_policy_beats_the_ceiling(records: _Records, task: str, seed: int) -> None:
    record = records[task, seed]
    profits = record["profits"]
    assert len(profits) == (18 if seed == get_task(task).default_seed else 17)
    beaten = {name: p for name, p in profits.items() if p > record["ceiling"] + TOLERANCE}
    assert not beaten, f"ceiling {record['ceiling']} beaten on {task}/{seed}: {beaten}"
    assert profits["passive"] == record["floor"]
    assert record["floor"] < profits["clairvoyant"] == record["replayed_profit"]


@pytest.mark.parametrize("task", (*TASK_NAMES, SHIFT_TASK))
def test_local_search_from_the_plan_stays_under_the_ceiling(records: _Records, task: str) -> None:
    """Hill-climb on the clairvoyant plan (keep any change that earns at least as much)."""
    seed = get_task(task).default_seed
    record = records[task, seed]
    plan, best = _plan(record), record["replayed_profit"]
    rng = random.Random(seed)
    for _ in range(150):
        day = rng.randrange(len(plan))
        candidate = list(plan)
        candidate[day] = _perturb_day(plan[day], rng)
        profit = run_episode(ReplayAgent(candidate), task, seed).profit
        assert profit <= record["ceiling"] + TOLERANCE, (task, day, candidate[day])
        if profit >= best:
            plan, best = candidate, profit
    assert best >= record["replayed_profit"]


@pytest.mark.parametrize(("task", "seed"), SCENARIOS)
def test_clairvoyant_plan_earns_nearly_the_ceiling(records: _Records, task: str, seed: int) -> None:
    record = records[task, seed]
    default = seed == get_task(task).default_seed
    required = 0.97 if default else 0.95
    assert record["tightness"] == record["replayed_profit"] / record["ceiling"]
    assert record["tightness"] >= required, record
    assert record["replayed_profit"] <= record["plan_profit"] + TOLERANCE
    assert record["plan_profit"] <= record["ceiling"] + TOLERANCE


def test_the_scenarios_cover_every_mechanic() -> None:
    """The policies above are played on tasks with every optional mechanic (medium and hard:
    supplier disruptions, cost spikes, event forecast error; volatile: demand shift)."""
    covered = {rule for task, _ in SCENARIOS for rule in MECHANICS if getattr(get_task(task), rule)}
    assert covered == set(MECHANICS)


@pytest.mark.parametrize("task", ("medium", "hard"))
def test_the_clairvoyant_plan_never_orders_what_the_supplier_loses(
    records: _Records, task: str
) -> None:
    """The ceiling leaves lost orders out, so its plan places none; and it does see the
    losses: some default or sweep scenario has lost order days."""
    seen_losses = False
    for seed in (get_task(task).default_seed, *SEEDS[:5]):
        scenario = draw_scenario(task, seed)
        assert scenario.lost is not None
        seen_losses = seen_losses or bool(scenario.lost.any())
        for day, action in enumerate(_plan(records[task, seed])):
            for product in action.buy_quantities:
                assert not scenario.lost[day, PRODUCTS.index(product)], (seed, day, product)
    assert seen_losses


# ------------------------------------------------------------------- determinism and API
def test_baselines_are_identical_across_calls_and_processes(records: _Records) -> None:
    grader.clear_cache()
    for task in TASK_NAMES:
        seed = get_task(task).default_seed
        first = grader.compute_baselines(task)
        assert first == grader.compute_baselines(task, seed)
        assert first == (records[task, seed]["floor"], records[task, seed]["ceiling"])
        report = grader.ceiling_report(task, with_plan=True)
        assert report["plan"] == records[task, seed]["plan"]
        plan = grader.clairvoyant_plan(task)
        assert run_episode(ReplayAgent(plan), task).profit == report["replayed_profit"]
        assert run_episode(grader.clairvoyant_agent(task), task).profit == report["replayed_profit"]
    grader.clear_cache()
    assert grader.compute_baselines("easy") == (
        records["easy", get_task("easy").default_seed]["floor"],
        records["easy", get_task("easy").default_seed]["ceiling"],
    )


def test_a_given_scenario_overrides_the_draw_and_solves_deterministically(
    records: _Records,
) -> None:
    """``solve_ceiling(..., scenario=)`` solves that scenario, not the task and seed named, and
    gives bit for bit the bound and plan the worker process got: no clock in the limits."""
    record = records["hard", 5]
    solution = ceiling.solve_ceiling("easy", 0, scenario=draw_scenario("hard", 5))
    assert (solution.task_name, solution.seed) == ("hard", 5)
    assert solution.bound == record["ceiling"]
    assert solution.plan_profit == record["plan_profit"]
    assert solution.bound >= record["replayed_profit"]
    plan = plan_actions(solution)
    assert [action.model_dump(exclude={"metadata"}) for action in plan] == record["plan"]


@pytest.mark.parametrize("task", ["easy", "medium"])
def test_ceiling_is_within_a_quarter_percent_of_the_exact_optimum(task: str) -> None:
    """The grader's bound against a full solve of the same program (no node limit, no gap):
    never below the optimum (it is a bound), at most 0.25% above it."""
    scenario = draw_scenario(task)
    exact = ceiling.solve_scenario(
        scenario, {**ceiling.HIGHS_OPTIONS, "node_limit": 10**6, "mip_rel_gap": 0.0}
    )
    bound = ceiling.solve_scenario(scenario).bound
    assert exact.bound == pytest.approx(exact.plan_profit, rel=1e-9)
    assert exact.plan_profit * (1 - 1e-9) <= bound <= exact.plan_profit * 1.0025


def test_grading_doc_tables_are_the_graders_output(records: _Records) -> None:
    """The tables of docs/grading.md are what ``python -m server.grader --report --sweep 20``
    prints now: rerun it after changing the tasks."""
    with open(os.path.join(ROOT, "docs", "grading.md"), encoding="utf-8") as handle:
        readme = handle.read()
    section = readme.split("<!-- SECTION:grading -->")[1].split("<!-- /SECTION:grading -->")[0]
    defaults = [records[task, get_task(task).default_seed] for task in TASK_NAMES]
    sweep = [records[task, seed] for task in TASK_NAMES for seed in SEEDS]
    assert grader.report_table(defaults) in section
    assert grader.sweep_table(sweep) in section


def test_brief_setup_line_prints_the_baselines(
    brief_line: subprocess.Popen[str], records: _Records
) -> None:
    stdout, stderr = brief_line.communicate(timeout=120)
    assert brief_line.returncode == 0, stderr
    defaults = [records[task, get_task(task).default_seed] for task in TASK_NAMES]
    assert stdout.splitlines() == [
        f"{r['task_name']}: floor={r['floor']:.2f}, ceiling={r['ceiling']:.2f}" for r in defaults
    ]


def test_concurrent_callers_share_one_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_solve = grader.solver_pool.solve

    def counting_solve(task: str, seed: int, scenario: object = None) -> ceiling.CeilingSolution:
        calls.append((task, seed))
        return real_solve(task, seed, scenario)  # type: ignore[arg-type]

    monkeypatch.setattr(grader.solver_pool, "solve", counting_solve)
    results: list[tuple[float, float]] = []
    threads = [
        threading.Thread(target=lambda: results.append(grader.compute_baselines("easy", 987)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [("easy", 987)]
    assert len(results) == 4 and len(set(results)) == 1


def test_grade_clamps_and_reports_the_unclamped_score() -> None:
    floor, top = grader.compute_baselines("medium")
    middle = grader.grade("medium", (floor + top) / 2)
    assert middle["score"] == pytest.approx(0.5) == middle["unclamped_score"]
    assert middle["floor"] == floor and middle["ceiling"] == top
    assert middle["seed"] == get_task("medium").default_seed
    assert middle["task_name"] == "medium"
    below = grader.grade("medium", floor - (top - floor))
    assert below["score"] == 0.0 and below["unclamped_score"] == pytest.approx(-1.0)
    above = grader.grade("medium", top + (top - floor))
    assert above["score"] == 1.0 and above["unclamped_score"] == pytest.approx(2.0)
    assert grader.grade("medium", floor)["score"] == 0.0
    assert grader.grade("medium", int(top) + 1)["agent_profit"] == float(int(top) + 1)
    assert set(middle) == {
        "task_name",
        "seed",
        "agent_profit",
        "floor",
        "ceiling",
        "score",
        "unclamped_score",
    }


@pytest.mark.parametrize(
    ("task", "profit", "seed", "message"),
    [
        ("impossible", 1.0, None, "allowed: easy, medium, hard"),
        ("easy", math.nan, None, "finite"),
        ("easy", math.inf, None, "finite"),
        ("easy", True, None, "number"),
        ("easy", "100", None, "number"),
        ("easy", 1.0, -1, "seed"),
    ],
)
def test_grade_rejects_bad_input(task: str, profit: Any, seed: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        grader.grade(task, profit, seed)


# ----------------------------------------------------------------- the price relaxation
def test_revenue_bound_covers_every_price() -> None:
    """Every (units sold, revenue) pair a price can produce lies under the envelope lines,
    and the lines touch the best achievable revenue at the envelope's vertices."""
    rng = random.Random(7)
    for _ in range(300):
        product = rng.choice(PRODUCTS)
        base, multiplier = rng.randint(0, 40), rng.choice([0.7, 0.84, 1.0, 1.2, 1.5, 2.0, 3.6])
        elasticity, price = ELASTICITY[product], SELL_PRICE[product]
        max_units, lines = ceiling.revenue_envelope(price, base, multiplier, elasticity, 0.0)
        assert max_units == demand_units(base, multiplier, PRICE_MULTIPLIER_MIN, elasticity)
        grid = [PRICE_MULTIPLIER_MIN + k / 400 for k in range(401)]
        grid += [rng.uniform(PRICE_MULTIPLIER_MIN, PRICE_MULTIPLIER_MAX) for _ in range(50)]
        best = {}
        for m in grid:
            units = demand_units(base, multiplier, m, elasticity)
            revenue = units * price * m
            bound = min((a + b * units for a, b in lines), default=0.0)
            assert revenue <= bound + 1e-9, (product, base, multiplier, m)
            best[units] = max(best.get(units, 0.0), revenue)
        for units in range(1, max_units + 1):
            exact = price * units * highest_price_selling(units, base, multiplier, elasticity)
            assert exact <= min(a + b * units for a, b in lines) + 1e-9
        coarse = ceiling.revenue_envelope(price, base, multiplier, elasticity, 1.0)[1]
        for units in range(max_units + 1):
            fine = min((a + b * units for a, b in lines), default=0.0)
            loose = min((a + b * units for a, b in coarse), default=0.0)
            assert fine - 1e-9 <= loose <= fine + 1.0 + 1e-9


def test_highest_price_selling_is_the_threshold() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        product = rng.choice(PRODUCTS)
        base, multiplier = rng.randint(1, 40), rng.choice([0.7, 1.0, 1.2, 2.0, 3.6])
        elasticity = ELASTICITY[product]
        most = demand_units(base, multiplier, PRICE_MULTIPLIER_MIN, elasticity)
        units = rng.randint(1, most)
        price = highest_price_selling(units, base, multiplier, elasticity)
        assert demand_units(base, multiplier, price, elasticity) >= units
        if price < PRICE_MULTIPLIER_MAX:
            assert demand_units(base, multiplier, price * (1 + 1e-9), elasticity) < units
            assert price == pytest.approx(
                max_price_for_units(units, base, multiplier, elasticity), rel=1e-9
            )
    with pytest.raises(ValueError):
        highest_price_selling(10**6, 5, 1.0, 1.2)


def test_the_solver_pool_gives_the_in_process_solution() -> None:
    """The server solves ceilings in spawned processes (server.solver_pool): same bound and
    plan as in process, for a public and a hidden scenario."""
    from server import solver_pool
    from server.scenario import draw_scenario

    hidden = draw_scenario("easy", 3, secret="a-secret-of-16-chars")
    local = [ceiling.solve_ceiling("easy", 3), ceiling.solve_ceiling("easy", 3, scenario=hidden)]
    solver_pool.enable(1)
    try:
        pooled = [solver_pool.solve("easy", 3), solver_pool.solve("easy", 3, hidden)]
    finally:
        solver_pool.shutdown()
    for mine, theirs in zip(local, pooled, strict=True):
        assert theirs.bound == mine.bound
        assert (theirs.orders == mine.orders).all()
    assert pooled[0].bound != pooled[1].bound
