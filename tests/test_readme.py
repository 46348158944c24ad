"""The simulation tables of docs/simulation.md (and the README's products table) say what the
code does: every number is checked against ``server/constants.py``."""

from __future__ import annotations

import os
import re

import pytest

from server.constants import (
    COST_PRICE,
    DELIVERY_METHODS,
    ELASTICITY,
    EVENT_MULTIPLIERS,
    LEAD_TIME_DAYS,
    LEAD_TIME_JITTER,
    PRODUCTS,
    REWARD_EXPIRED_PER_UNIT,
    REWARD_FAILED_PURCHASE,
    REWARD_LIQUIDATION_COEF,
    REWARD_MISSED_COEF,
    REWARD_PROFIT_COEF,
    REWARD_SALES_COEF,
    SELL_PRICE,
    SHELF_LIFE,
    SHIPPING_COST_PER_UNIT,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIMULATION_DOC = os.path.join(ROOT, "docs", "simulation.md")


@pytest.fixture(scope="module")
def section() -> str:
    with open(SIMULATION_DOC, encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r"<!-- SECTION:simulation -->(.*?)<!-- /SECTION:simulation -->", text, re.S)
    assert match, "docs/simulation.md has no simulation section"
    return match.group(1)


def table(section: str, first_header: str, second_header: str) -> tuple[list[str], list[list]]:
    """The header and body rows of the markdown table whose first two headers are given."""
    lines = [line.strip() for line in section.splitlines()]
    for start, line in enumerate(lines):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("|") and cells[:2] == [first_header, second_header]:
            rows = []
            for row in lines[start + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append([cell.strip() for cell in row.strip("|").split("|")])
            return cells, rows
    raise AssertionError(f"no table headed {first_header!r} | {second_header!r}")


def money(cell: str) -> float:
    assert cell.startswith("$"), cell
    return float(cell[1:])


def test_price_effects_table_matches_the_demand_formula(section: str) -> None:
    header, rows = table(section, "Product", "Elasticity")
    multipliers = [float(cell.rstrip("x")) for cell in header[2:]]
    assert multipliers == [0.5, 0.8, 1.2, 1.3, 1.5]
    assert [row[0] for row in rows] == list(PRODUCTS)
    for product, elasticity, *effects in rows:
        assert float(elasticity) == ELASTICITY[product]
        for multiplier, cell in zip(multipliers, effects, strict=True):
            assert re.fullmatch(r"[+-]\d+\.\d%", cell), cell
            exact = (multiplier ** -ELASTICITY[product] - 1.0) * 100.0
            assert float(cell.rstrip("%")) == pytest.approx(exact, abs=0.05), (product, multiplier)


def readme_text() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("document", ["docs/simulation.md", "README.md"])
def test_products_table_matches_the_constants(section: str, document: str) -> None:
    text = section if document == "docs/simulation.md" else readme_text()
    _, rows = table(text, "Product", "Sell price")
    assert [row[0] for row in rows] == list(PRODUCTS)
    for product, sell, cost, shelf_life, elasticity in rows:
        assert money(sell) == SELL_PRICE[product]
        assert money(cost) == COST_PRICE[product]
        if SHELF_LIFE[product] is None:
            assert shelf_life == "never expires"
        else:
            assert shelf_life == f"{SHELF_LIFE[product]} selling days"
        assert float(elasticity) == ELASTICITY[product]


def test_shipping_table_matches_the_constants(section: str) -> None:
    _, rows = table(section, "Method", "Cost per unit")
    assert [row[0] for row in rows] == list(DELIVERY_METHODS)
    for method, cost, lead_time, arrival in rows:
        assert money(cost) == SHIPPING_COST_PER_UNIT[method]
        nominal, jitter = LEAD_TIME_DAYS[method], LEAD_TIME_JITTER[method]
        if jitter:
            assert lead_time == f"{nominal} +/- {jitter} days"
            assert arrival == f"`t+{nominal - jitter} .. t+{nominal + jitter}`"
        else:
            assert lead_time == f"exactly {nominal} day"
            assert arrival == f"`t+{nominal}`"


def test_events_table_matches_the_constants(section: str) -> None:
    _, rows = table(section, "Event", "Demand multipliers")
    assert [row[0] for row in rows] == list(EVENT_MULTIPLIERS)
    for event, cell in rows:
        every = re.fullmatch(r"every product ([\d.]+)", cell)
        if every:
            listed = dict.fromkeys(PRODUCTS, float(every.group(1)))
        else:
            listed = {
                product: float(value)
                for product, value in (part.split() for part in cell.split(", "))
            }
        assert listed == EVENT_MULTIPLIERS[event]


def test_reward_coefficients_match_the_constants(section: str) -> None:
    _, rows = table(section, "Signal", "Value")
    coefficients = {
        signal.strip("`"): float(re.match(r"`([+-]?[\d.]+) x", value).group(1))
        for signal, value in rows
    }
    assert coefficients == {
        "sales": REWARD_SALES_COEF,
        "missed_sales": -REWARD_MISSED_COEF,
        "expired": -REWARD_EXPIRED_PER_UNIT,
        "failed_purchases": -REWARD_FAILED_PURCHASE,
        "liquidation": -REWARD_LIQUIDATION_COEF,
    }
    assert f"`profit`: `{REWARD_PROFIT_COEF} x day_profit`" in section


PENDING_DOCS: frozenset[str] = frozenset()
"""Linked from the README for work being written on other branches; checked once they exist."""


def test_readme_is_a_short_entry_point() -> None:
    """The README is the Space card and the first page a newcomer reads: depth goes to docs/."""
    text = readme_text()
    assert text.startswith("---\ntitle: Inventory Optimization Environment\n")
    assert len(text.splitlines()) <= 300
    links = set(re.findall(r"\]\((docs/[a-z_]+\.md)", text))
    assert {"docs/simulation.md", "docs/grading.md", "docs/server.md"} <= links
    for link in links - PENDING_DOCS:
        assert os.path.exists(os.path.join(ROOT, link)), link


def test_links_between_documents_resolve() -> None:
    docs = os.path.join(ROOT, "docs")
    for name in sorted(os.listdir(docs)):
        with open(os.path.join(docs, name), encoding="utf-8") as handle:
            text = handle.read()
        for target in re.findall(r"\]\(([^)#:]+\.md)", text):
            path = os.path.normpath(os.path.join(docs, target))
            if os.path.relpath(path, ROOT) in PENDING_DOCS:
                continue
            assert os.path.exists(path), (name, target)
