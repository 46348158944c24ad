"""``/web`` (``server.web_ui``) in headless Chromium against the real server: the Playground
takes an action with values in every written form and it takes effect; the Quick Start names
real things; the README has no front matter and keeps its tables; the play tab fits phone and
desktop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from server.web_ui import QUICK_START, parse_amounts, readme_body

ROOT = Path(__file__).resolve().parent.parent


def _page(browser: Browser, url: str, width: int = 1300, height: int = 900) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{url}/web/")
    return page


@pytest.mark.parametrize(
    "written",
    ['{"groceries": 10}', "groceries: 10", "groceries=10", "groceries: 10,\ntoys: 0"],
)
def test_amount_fields_read_json_and_pairs(written: str) -> None:
    assert {k: v for k, v in parse_amounts("buy_quantities", written).items() if v} == {
        "groceries": 10
    }


def test_amount_fields_say_what_they_cannot_read() -> None:
    with pytest.raises(ValueError, match="product: amount"):
        parse_amounts("buy_quantities", "ten groceries please")
    with pytest.raises(ValueError, match="not a number"):
        parse_amounts("buy_quantities", "groceries: ten")


def test_playground_sends_an_action_with_values(browser: Browser, web_server_url: str) -> None:
    page = _page(browser, web_server_url)
    expect(page.get_by_role("tab", name="Playground", exact=True)).to_be_visible()
    page.locator("#pg-reset").click()
    status = page.locator("#pg-status")
    expect(status).to_contain_text("Day 0")
    page.locator("#pg-buy textarea, #pg-buy input").first.fill("groceries: 10")
    page.locator("#pg-step").click()
    expect(status).to_contain_text("Day 1")
    # The order took effect: ten groceries are on their way, and the observation says so.
    expect(status).to_contain_text("on the way: 10 groceries")
    expect(page.locator("#pg-observation")).to_contain_text("updated_deliveries")

    page.locator("#pg-buy textarea, #pg-buy input").first.fill('{"groceries": -3}')
    page.locator("#pg-step").click()
    expect(status).to_contain_text("Refused, nothing changed")
    page.locator("#pg-buy textarea, #pg-buy input").first.fill('{"groceries": 5}')
    page.locator("#pg-step").click()
    expect(status).to_contain_text("Day 2")
    page.context.close()


def test_quick_start_names_exist() -> None:
    """``from client import InventoryEnv`` and ``from models import InventoryAction`` are real."""
    code = QUICK_START.split("```python", 1)[1].split("```", 1)[0]
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = __import__(node.module, fromlist=[a.name for a in node.names])
            for alias in node.names:
                assert hasattr(module, alias.name), (node.module, alias.name)
    assert "Wire" not in QUICK_START


def test_readme_tab_has_no_front_matter_and_real_tables(
    browser: Browser, web_server_url: str
) -> None:
    body = readme_body((ROOT / "README.md").read_text(encoding="utf-8"))
    assert not body.startswith("---") and "colorFrom" not in body
    page = _page(browser, web_server_url)
    page.get_by_role("tab", name="README", exact=True).click()
    readme = page.locator("#readme")
    expect(readme.locator("h1").first).to_be_visible()
    expect(readme).not_to_contain_text("colorFrom")
    assert readme.locator("table").count() >= 1
    page.context.close()


@pytest.mark.parametrize(("width", "height"), [(1300, 900), (390, 844)])
def test_play_tab_fits_the_window(
    browser: Browser, web_server_url: str, width: int, height: int
) -> None:
    page = _page(browser, web_server_url, width, height)
    page.get_by_role("tab", name="Play an episode", exact=True).click()
    frame = page.locator("#play-frame")
    expect(frame).to_be_visible()
    box = frame.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1  # not cut off at the side
    assert box["height"] >= min(560, height * 0.6)  # tall enough to play in
    inner = page.frame_locator("#play-frame")
    expect(inner.locator("body")).to_have_attribute("data-ready", "true")
    page.context.close()
