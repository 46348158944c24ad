"""Supplier disruptions (late and lost shipments) and announced cost spikes (task files'
``[supplier_disruption]`` and ``[cost_spikes]``): drawn at reset into scenario tables after
everything else, hand-computed arrivals, losses and costs, the notices an agent sees, the
ceiling reading the same tables, bad rules refused at load."""

from __future__ import annotations

import numpy as np
import pytest

from models import InventoryAction
from server.ceiling import solve_ceiling
from server.constants import COST_PRICE, EPISODE_DAYS, PRODUCTS, SHIPPING_COST_PER_UNIT
from server.inventory_env import InventoryEnvironment
from server.scenario import draw_scenario
from server.task_catalog import build_catalog, get_task
from server.task_config import TaskFileError
from tests.task_files import TaskDir, builtin_file_data, toml_text

EVERY_PRODUCT_LATE = {
    "products": 5,
    "first_day": 2,
    "last_day": 2,
    "length": [3, 3],
    "extra_days": [2, 2],
    "loss_chance": 0.0,
}
"""Days 2-4: every order of every product arrives 2 days late, none lost."""


def _ordered(env: InventoryEnvironment, product: str, units: int, method: str) -> dict:
    observation = env.step(InventoryAction(buy_quantities={product: units}, delivery_method=method))
    assert not observation.rejected_orders
    return observation.model_dump()


def test_orders_in_the_window_arrive_late(task_dir: TaskDir) -> None:
    """fast = 1 day exactly. Ordered day 1 (before the window): arrives day 2. Ordered day 2
    (in the window): 1 + 2 = 3 days, arrives day 5; the promised window still says day 3.
    Ordered day 5 (after the window): arrives day 6."""
    task_dir.add("late", base="easy", supplier_disruption=EVERY_PRODUCT_LATE)
    scenario = draw_scenario("late", 0)
    assert scenario.disruptions == tuple((p, 2, 4, 2) for p in PRODUCTS)
    assert scenario.arrival_delay is not None and scenario.lost is not None
    assert scenario.arrival_delay[:, 0].tolist() == [0, 0, 2, 2, 2] + [0] * (EPISODE_DAYS - 5)
    assert not scenario.lost.any()
    env = InventoryEnvironment()
    env.reset(task_name="late", seed=0)
    env.step(InventoryAction())  # day 0
    _ordered(env, "toys", 4, "fast")  # day 1
    seen = _ordered(env, "toys", 5, "fast")  # day 2: toys of day 1 arrive
    assert seen["units_received"]["toys"] == 4
    late = [d for d in seen["updated_deliveries"] if d["ordered_day"] == 2]
    assert late == [
        {
            "product": "toys",
            "quantity": 5,
            "method": "fast",
            "ordered_day": 2,
            "earliest_arrival_day": 3,
            "latest_arrival_day": 3,
        }
    ]
    received = [env.step(InventoryAction()).units_received["toys"] for _ in (3, 4)]
    assert received == [0, 0]  # day 3: overdue, day 4: still on its way
    assert _ordered(env, "toys", 1, "fast")["units_received"]["toys"] == 5  # day 5
    assert env.step(InventoryAction()).units_received["toys"] == 1  # day 6


def test_lost_shipments_are_paid_and_never_arrive(task_dir: TaskDir) -> None:
    """Toys cost $12 + $10 fast. 3 toys ordered on day 2 (window, loss certain): $66 paid,
    nothing arrives on day 5 (1 + 2 days), the loss shows that day; stock and cash agree."""
    task_dir.add(
        "lossy", base="easy", supplier_disruption={**EVERY_PRODUCT_LATE, "loss_chance": 1.0}
    )
    env = InventoryEnvironment()
    start = env.reset(task_name="lossy", seed=0)
    toys_at_start = start.updated_inventory["toys"][0][0]
    env.step(InventoryAction(price_multipliers={"toys": 1.5}))
    env.step(InventoryAction(price_multipliers={"toys": 1.5}))
    cash_before = env.state.cash
    ordered = env.step(InventoryAction(buy_quantities={"toys": 3}, delivery_method="fast"))  # day 2
    assert ordered.purchase_cost_today == 66.0
    assert cash_before - 66.0 + ordered.revenue_today == pytest.approx(ordered.total_cash)
    days = [env.step(InventoryAction()) for _ in (3, 4, 5)]
    assert [d.units_lost["toys"] for d in days] == [0, 0, 3]
    assert [d.units_received["toys"] for d in days] == [0, 0, 0]
    assert days[-1].updated_deliveries == []
    assert any("lost by the supplier" in note for note in days[-1].notes)
    totals = env.state.totals
    assert totals["lost"]["toys"] == 3 and totals["received"]["toys"] == 0
    on_hand = sum(q for q, _ in days[-1].updated_inventory["toys"])
    gone = totals["sold"]["toys"] + totals["liquidated"]["toys"]
    assert toys_at_start + totals["bought"]["toys"] == on_hand + gone + totals["lost"]["toys"]


def test_loss_is_drawn_per_order_day_with_the_given_chance(task_dir: TaskDir) -> None:
    task_dir.add(
        "flaky",
        base="easy",
        supplier_disruption={
            "products": 2,
            "first_day": 0,
            "last_day": 10,
            "length": [5, 12],
            "extra_days": [0, 3],
            "loss_chance": 0.5,
        },
    )
    lost_days = window_days = 0
    for seed in range(40):
        scenario = draw_scenario("flaky", seed)
        assert scenario.lost is not None and scenario.arrival_delay is not None
        assert len(scenario.disruptions) == 2
        hit = {PRODUCTS.index(p) for p, *_ in scenario.disruptions}
        for index in set(range(len(PRODUCTS))) - hit:
            assert not scenario.lost[:, index].any() and not scenario.arrival_delay[:, index].any()
        for product, first, last, extra in scenario.disruptions:
            index = PRODUCTS.index(product)
            assert 0 <= first <= 10 and 5 <= last - first + 1 <= 12 and 0 <= extra <= 3
            outside = np.r_[0:first, last + 1 : EPISODE_DAYS]
            assert not scenario.lost[outside, index].any()
            assert (scenario.arrival_delay[first : last + 1, index] == extra).all()
            lost_days += int(scenario.lost[first : last + 1, index].sum())
            window_days += last - first + 1
    assert 0.4 < lost_days / window_days < 0.6


COST_SPIKE = {
    "count": 1,
    "first_day": 6,
    "last_day": 6,
    "length": [3, 3],
    "factors": [2.0],
    "notice_days": 2,
}


def test_cost_spikes_are_announced_and_charged(task_dir: TaskDir) -> None:
    """One spike x2 on days 6-8 of a product drawn at reset, shown from day 4 (2 days
    ahead) to day 8. Electronics cost $100 + $2 slow: $102 a unit normally, $202 in the spike."""
    task_dir.add("spiky", base="easy", starting_cash=5000.0, cost_spikes=COST_SPIKE)
    scenario = draw_scenario("spiky", 3)
    ((product, first, last, factor),) = scenario.cost_spikes
    assert (first, last, factor) == (6, 8, 2.0)
    expected = np.ones((EPISODE_DAYS, len(PRODUCTS)))
    expected[6:9, PRODUCTS.index(product)] = 2.0
    assert np.array_equal(scenario.cost_multipliers, expected)

    env = InventoryEnvironment()
    observations = [env.reset(task_name="spiky", seed=3)]
    notice = {"product": product, "first_day": 6, "last_day": 8, "cost_multiplier": 2.0}
    costs = []
    for _ in range(10):
        observation = env.step(InventoryAction(buy_quantities={product: 1}))
        observations.append(observation)
        costs.append(observation.purchase_cost_today)
    shown = [o.cost_notices for o in observations]
    assert shown == [[]] * 4 + [[notice]] * 5 + [[]] * 2  # deciding days 4..8
    normal = COST_PRICE[product] + SHIPPING_COST_PER_UNIT["slow"]
    spiked = 2.0 * COST_PRICE[product] + SHIPPING_COST_PER_UNIT["slow"]
    assert costs == [normal] * 6 + [spiked] * 3 + [normal]


def test_overlapping_spikes_the_later_drawn_holds(task_dir: TaskDir) -> None:
    task_dir.add(
        "spikes",
        base="easy",
        cost_spikes={**COST_SPIKE, "count": 6, "last_day": 20, "factors": [0.8, 1.5, 3.0]},
    )
    for seed in range(20):
        scenario = draw_scenario("spikes", seed)
        expected = np.ones((EPISODE_DAYS, len(PRODUCTS)))
        for product, first, last, factor in scenario.cost_spikes:
            expected[first : last + 1, PRODUCTS.index(product)] = factor
        assert np.array_equal(scenario.cost_multipliers, expected)


def test_the_rules_are_drawn_last_and_change_nothing_else(task_dir: TaskDir) -> None:
    task_dir.add(
        "both",
        base="volatile",
        supplier_disruption={**EVERY_PRODUCT_LATE, "loss_chance": 0.3},
        cost_spikes=COST_SPIKE,
    )
    volatile = get_task("volatile")
    assert get_task("both").seed_stream == volatile.seed_stream
    for seed in range(5):
        plain, both = draw_scenario("volatile", seed), draw_scenario("both", seed)
        assert np.array_equal(plain.base_demand, both.base_demand)
        assert np.array_equal(plain.lead_time, both.lead_time)
        assert np.array_equal(plain.demand_multipliers, both.demand_multipliers)
        assert plain.demand_shift == both.demand_shift
        assert plain.arrival_delay is None and plain.lost is None
        assert plain.cost_multipliers is None and plain.cost_spikes == ()
        again = draw_scenario("both", seed)
        assert again.disruptions == both.disruptions and again.cost_spikes == both.cost_spikes
        assert np.array_equal(again.lost, both.lost)


def test_the_rules_are_published_but_not_the_draws(task_dir: TaskDir) -> None:
    task_dir.add("hidden", base="easy", supplier_disruption=EVERY_PRODUCT_LATE)
    published = get_task("hidden").published
    assert published["supplier_disruption"] == EVERY_PRODUCT_LATE
    assert "cost_spikes" not in published
    observation = InventoryEnvironment().reset(task_name="hidden", seed=0)
    assert "disrupt" not in observation.model_dump_json()
    assert observation.cost_notices == [] and observation.units_lost == dict.fromkeys(PRODUCTS, 0)


def test_the_ceiling_reads_the_delays_losses_and_costs(task_dir: TaskDir) -> None:
    """The same month with every order lost from day 0 on: the ceiling can only sell the
    starting stock, so it is far below the undisrupted one; a cost spike lowers it too."""
    task_dir.add("calm", base="easy")
    everything_lost = {
        "products": 5,
        "first_day": 0,
        "last_day": 0,
        "length": [30, 30],
        "extra_days": [0, 0],
        "loss_chance": 1.0,
    }
    task_dir.add("doomed", base="easy", supplier_disruption=everything_lost)
    spike = {**COST_SPIKE, "count": 20, "first_day": 0, "last_day": 0, "length": [30, 30]}
    task_dir.add("dear", base="easy", cost_spikes={**spike, "factors": [1.3]})
    calm, doomed, dear = (solve_ceiling(t, 0) for t in ("calm", "doomed", "dear"))
    assert doomed.orders.sum() == 0
    assert doomed.bound < 0.2 * calm.bound
    assert dear.bound < calm.bound


@pytest.mark.parametrize(
    ("block", "rule", "field"),
    [
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "products": 0}, "products"),
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "products": 6}, "products"),
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "first_day": 9}, ""),
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "length": [4, 2]}, "length"),
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "length": [0, 2]}, "length"),
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "extra_days": [-1, 2]}, "extra_days"),
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "loss_chance": 1.5}, "loss_chance"),
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "loss_chance": True}, "loss_chance"),
        ("supplier_disruption", {**EVERY_PRODUCT_LATE, "refund": True}, "refund"),
        ("cost_spikes", {**COST_SPIKE, "count": 0}, "count"),
        ("cost_spikes", {**COST_SPIKE, "factors": []}, "factors"),
        ("cost_spikes", {**COST_SPIKE, "factors": [0.0]}, "factors"),
        ("cost_spikes", {**COST_SPIKE, "notice_days": -1}, "notice_days"),
        ("cost_spikes", {**COST_SPIKE, "first_day": 30}, "first_day"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(
    task_dir: TaskDir, block: str, rule: dict, field: str
) -> None:
    data = {**builtin_file_data("easy"), block: rule}
    task_dir.write("bad_rule", toml_text(data))
    where = f"{block}.{field}" if field else block
    with pytest.raises(TaskFileError, match=f"bad_rule.toml: field {where}"):
        build_catalog(task_dir.path)


def test_the_llm_prompt_states_the_rules_and_shows_the_notices(task_dir: TaskDir) -> None:
    from server.llm_agent import observation_message, system_prompt

    assert "Unit-cost spikes (x[1.6, 2.2], 6 per month) are announced 4 days" in system_prompt(
        "hard"
    )
    assert "Unannounced supplier trouble: 2 product(s)" in system_prompt("medium")
    assert "Risks" not in system_prompt("easy")
    task_dir.add("spiky", base="easy", cost_spikes=COST_SPIKE)
    product = draw_scenario("spiky", 3).cost_spikes[0][0]
    env = InventoryEnvironment()
    env.reset(task_name="spiky", seed=3)
    for _ in range(4):
        observation = env.step(InventoryAction())
    assert f"Supplier cost notices: {product} unit cost x2.0 on orders placed day 6-8" in (
        observation_message(observation)
    )
