"""The rule functions of ``server.rules`` on hand-computed values, and a scan of the code that
fails when a module outside ``server/rules.py`` computes one of those rules again.

The scan reads the source (AST, so docstrings and comments never count) of every tracked
Python file except the tests (tests restate rules on purpose, as independent oracles).
"""

from __future__ import annotations

import ast
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from server import rules
from server.catalogue import rules_catalogue, task_catalogue
from server.constants import DELIVERY_METHODS, ELASTICITY, PRODUCTS
from server.play import page_config, render_page

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- the rules


def test_lead_window_is_nominal_plus_minus_jitter() -> None:
    assert rules.lead_window("slow") == (3, 7)  # 5 +/- 2
    assert rules.lead_window("medium") == (2, 4)  # 3 +/- 1
    assert rules.lead_window("fast") == (1, 1)  # 1 +/- 0


def test_unit_cost_is_cost_times_multiplier_plus_shipping() -> None:
    assert rules.unit_cost("electronics", "slow") == 102.0  # 100 + 2
    assert rules.unit_cost("groceries", "fast") == 15.0  # 5 + 10
    assert rules.unit_cost("toys", "medium") == 17.0  # 12 + 5
    # a cost spike scales the cost price, never the shipping
    assert rules.unit_cost("electronics", "medium", cost_multiplier=1.5) == 155.0  # 150 + 5
    assert rules.shipping_cost("medium") == 5.0


def test_a_cost_spike_prices_its_days_and_is_shown_from_its_notice() -> None:
    assert [d for d in range(10) if rules.cost_spike_in_force(3, 5, d)] == [3, 4, 5]
    assert [d for d in range(10) if rules.cost_spike_announced(3, 5, d, 2)] == [1, 2, 3, 4, 5]
    spikes = [("toys", 3, 8, 1.5), ("toys", 6, 9, 2.0), ("groceries", 0, 29, 1.2)]
    toys = [rules.spiked_cost_multiplier(spikes, "toys", d) for d in range(2, 11)]
    # the later drawn spike holds where the two overlap (days 6-8)
    assert toys == [1.0, 1.5, 1.5, 1.5, 2.0, 2.0, 2.0, 2.0, 1.0]
    assert rules.spiked_cost_multiplier(spikes, "electronics", 4) == 1.0
    assert rules.spiked_cost_multiplier([], "toys", 4) == 1.0


def test_space_left_counts_stock_and_units_in_transit() -> None:
    assert rules.space_left(100, 30, 25) == 45
    assert rules.space_left(50, 50, 0) == 0
    assert rules.space_left(10, 8, 5) == -3  # a lowered capacity can leave less than none


def test_weekend_is_days_5_and_6_of_each_week() -> None:
    assert [day for day in range(30) if rules.is_weekend(day)] == [5, 6, 12, 13, 19, 20, 26, 27]
    assert rules.weekend_multiplier(12) == 1.2
    assert rules.weekend_multiplier(11) == 1.0


def test_an_event_is_active_on_its_start_day_and_the_next() -> None:
    assert [day for day in range(8, 14) if rules.event_is_active(10, day)] == [10, 11]
    assert not rules.event_has_ended(10, 11)
    assert rules.event_has_ended(10, 12)
    assert not rules.event_has_ended(10, 3)  # not begun yet
    calendar = {"black_friday": 10, "christmas": 11}
    assert rules.active_events(calendar, 9) == []
    assert rules.active_events(calendar, 11) == ["black_friday", "christmas"]
    assert rules.active_events(calendar, 12) == ["christmas"]


def test_day_multiplier_is_weekend_times_each_active_event() -> None:
    assert rules.event_multiplier("black_friday", "electronics") == 3.0
    assert rules.event_multiplier("black_friday", "groceries") == 1.0  # not listed
    both = ["black_friday", "christmas"]
    # day 12 is a weekend day: 1.2 x 3.0 (black friday) x 2.0 (christmas)
    assert rules.day_multiplier("electronics", 12, both) == pytest.approx(7.2)
    assert rules.day_multiplier("groceries", 12, both) == pytest.approx(1.8)  # 1.2 x 1 x 1.5
    assert rules.day_multiplier("furniture", 9, ["new_competitor"]) == 0.7
    assert rules.day_multiplier("toys", 8, []) == 1.0


def test_demand_is_base_times_multipliers_times_price_effect_rounded_half_up() -> None:
    assert rules.price_effect(2.0, 1.0) == 0.5
    assert rules.expected_demand(10, 2.0, 0.5, 1.0) == 40.0
    assert rules.demand_units(10, 1.0, 1.0, 1.2) == 10
    assert rules.demand_units(10, 1.2, 1.0, 1.2) == 12
    assert rules.demand_units(20, 1.0, 0.5, 0.4) == 26  # 20 x 0.5**-0.4 = 26.39
    assert rules.demand_units(7, 1.0, 1.5, 1.5) == 4  # 7 x 1.5**-1.5 = 3.81
    assert rules.demand_units(5, 0.5, 1.0, 1.0) == 3  # 2.5 rounds up
    assert rules.demand_units(3, 0.5, 1.0, 1.0) == 2  # 1.5 rounds up
    assert rules.demand_units(0, 3.0, 0.5, 1.5) == 0


def test_price_for_demand_ratio_inverts_the_price_effect() -> None:
    assert rules.price_for_demand_ratio(1.0, 0.5, 1.0) == 2.0  # twice the price, half the demand
    for price, ratio, elasticity in [(1.2, 2.5, 1.5), (0.9, 0.8, 2.0), (1.0, 3.0, 1.2)]:
        cleared = rules.price_for_demand_ratio(price, ratio, elasticity)
        moved = rules.price_effect(cleared, elasticity) / rules.price_effect(price, elasticity)
        assert moved == pytest.approx(ratio)
        assert rules.expected_demand(10, 1.0, cleared, elasticity) == pytest.approx(
            ratio * rules.expected_demand(10, 1.0, price, elasticity)
        )


def test_max_price_for_units_inverts_the_demand_rule() -> None:
    # demand(m) = floor(10 m**-1 + 0.5) >= 10 exactly when m <= 10 / 9.5
    price = rules.max_price_for_units(10, 10, 1.0, 1.0)
    assert price == pytest.approx(10 / 9.5)
    assert rules.demand_units(10, 1.0, price * (1 - 1e-9), 1.0) == 10
    assert rules.demand_units(10, 1.0, price * (1 + 1e-9), 1.0) == 9
    assert rules.max_price_for_units(0, 10, 1.0, 1.0) == math.inf
    assert rules.max_price_for_units(3, 0, 1.0, 1.0) == 0.0


def test_the_vectorised_demand_equals_the_scalar_rule() -> None:
    prices = np.round(np.arange(0.5, 1.5 + 1e-9, 0.01), 2)
    bases = np.array([0.0, 1.0, 3.0, 7.5, 12.0, 20.0, 33.333, 50.0, 120.0])
    for product in PRODUCTS:
        elasticity = ELASTICITY[product]
        for multiplier in (0.7, 1.0, 1.2, 1.8, 3.0, 3.6, 7.2):
            grid = rules.demand_units_grid(prices, bases, multiplier, elasticity)
            scalar = [
                [rules.demand_units(b, multiplier, float(m), elasticity) for b in bases]
                for m in prices
            ]
            assert grid.tolist() == scalar, (product, multiplier)
            rounded = [
                [
                    math.floor(rules.expected_demand(b, multiplier, float(m), elasticity) + 0.5)
                    for b in bases
                ]
                for m in prices
            ]
            assert rounded == scalar, (product, multiplier)


# --------------------------------------------------------------------------- one catalogue


def test_the_play_view_embeds_the_tasks_catalogue() -> None:
    catalogue = task_catalogue()
    without_schemas = {k: v for k, v in catalogue.items() if not k.endswith("_schema")}
    assert page_config() == without_schemas
    assert {"action_schema", "observation_schema"} <= set(catalogue)
    assert '"max_days": 7' in render_page()  # the slow window, as JSON in the page


def test_the_catalogue_publishes_the_rules_own_values() -> None:
    shipping = {entry["method"]: entry for entry in rules_catalogue()["shipping"]}
    assert list(shipping) == list(DELIVERY_METHODS)
    for method, entry in shipping.items():
        assert (entry["min_days"], entry["max_days"]) == rules.lead_window(method)
        assert entry["cost_per_unit"] == rules.shipping_cost(method)
    weekend = rules_catalogue()["weekend"]
    assert [d for d in range(7) if rules.is_weekend(d)] == weekend["days"]
    assert rules.weekend_multiplier(weekend["days"][0]) == weekend["multiplier"]


# --------------------------------------------------------------------------- no restated rule

RULE_HOME = {"server/rules.py", "server/constants.py", "server/catalogue.py"}
"""Where the rule tables may be read: the numbers, the rules, and the one published copy."""
RULE_TABLES = {
    "LEAD_TIME_JITTER": "the lead window: rules.lead_window",
    "SHIPPING_COST_PER_UNIT": "unit cost: rules.unit_cost / rules.shipping_cost",
    "WEEKEND_DAYS": "the weekend: rules.is_weekend / rules.weekend_multiplier",
    "WEEKEND_MULTIPLIER": "the weekend: rules.weekend_multiplier",
    "EVENT_DURATION_DAYS": "events: rules.event_is_active / rules.event_has_ended",
    "EVENT_MULTIPLIERS": "events: rules.event_multiplier / rules.day_multiplier",
}
"""Constants whose only use is to compute a rule, and the function that computes it."""
READ_AS_DATA = {
    ("server/known_ceilings.py", "SHIPPING_COST_PER_UNIT"): "hashed: a change voids ceilings",
    ("server/task_config.py", "EVENT_MULTIPLIERS"): "the names of the known events",
    ("adapters/gym_encoding.py", "EVENT_MULTIPLIERS"): "the event order of the encoding",
    ("server/batch_env.py", "EVENT_MULTIPLIERS"): "the event order of the batch's arrays",
}
"""Uses that read a rule table as data without computing the rule, each with why."""


def _sources() -> list[tuple[str, ast.Module]]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [
        (path, ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=path))
        for path in listed
        if not path.startswith("tests/") and path not in RULE_HOME and (ROOT / path).exists()
    ]


def _restated(path: str, tree: ast.Module) -> list[str]:
    """Every place in ``tree`` that computes a rule of ``server.rules`` itself."""
    found: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
        for name in names:
            if name in RULE_TABLES and (path, name) not in READ_AS_DATA:
                found.append(f"{path}:{node.lineno} reads {name} ({RULE_TABLES[name]})")
        if isinstance(node, ast.BinOp):
            right = node.right
            negative = isinstance(right, ast.UnaryOp) and isinstance(right.op, ast.USub)
            if isinstance(node.op, ast.Pow) and negative:
                found.append(f"{path}:{node.lineno} x ** -e (rules.price_effect)")
            if isinstance(node.op, ast.Mod) and ast.unparse(right) == "7":
                found.append(f"{path}:{node.lineno} day % 7 (rules.is_weekend)")
            text = ast.unparse(node)
            if isinstance(node.op, ast.Sub) and "capacity" in text and "on_hand" in text:
                found.append(f"{path}:{node.lineno} capacity - on hand (rules.space_left)")
        if isinstance(node, ast.Compare) and len(node.ops) == 2:
            text = ast.unparse(node)
            if "first" in text and "last" in text:
                found.append(f"{path}:{node.lineno} first <= day <= last (rules.cost_spike_*)")
        exponent = node.right if isinstance(node, ast.BinOp) else None
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Pow)
            and isinstance(exponent, ast.BinOp)
            and isinstance(exponent.op, ast.Div)
            and ast.unparse(exponent.left).lstrip("-(").rstrip(")") in ("1", "1.0")
        ):
            found.append(f"{path}:{node.lineno} x ** (1 / e) (rules: demand's inverse)")
    return list(dict.fromkeys(found))  # a nested expression is one place


def test_no_module_restates_a_rule() -> None:
    sources = _sources()
    assert len(sources) > 30  # the scan sees the code base
    found = [place for path, tree in sources for place in _restated(path, tree)]
    assert found == [], "compute these with server.rules instead:\n" + "\n".join(found)


def test_the_scan_catches_a_restated_rule() -> None:
    """The scan itself: each kind of restatement is caught, the rules module is not."""
    restated = ast.parse(
        "from server.constants import LEAD_TIME_JITTER\n"
        "late = c.LEAD_TIME_DAYS[m] + c.LEAD_TIME_JITTER[m]\n"
        "wanted = base * price ** -elasticity\n"
        "weekend = day % 7 in days\n"
        "space = capacity[p] - stock.on_hand - transit\n"
        "spiked = n['first_day'] <= self.current_day <= n['last_day']\n"
        "cleared = price * (stock / expected) ** (-1.0 / elasticity)\n"
    )
    found = _restated("x.py", restated)
    assert len(found) == 7, found
    rules_source = (ROOT / "server/rules.py").read_text(encoding="utf-8")
    assert _restated("server/rules.py", ast.parse(rules_source))  # it is exempt, not clean
    assert "server/rules.py" not in {path for path, _ in _sources()}


def test_the_architecture_doc_lists_every_rule() -> None:
    """docs/architecture.md's Rules table names every public function of server.rules."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("<!-- SECTION:rules -->")[1].split("<!-- /SECTION:rules -->")[0]
    public = {
        name
        for name, value in vars(rules).items()
        if callable(value) and not name.startswith("_") and value.__module__ == rules.__name__
    }
    assert len(public) >= 10
    missing = sorted(name for name in public if f"`{name}`" not in section)
    assert missing == [], f"add to the Rules table of docs/architecture.md: {missing}"
