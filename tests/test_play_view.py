"""The play view (/play) in headless Chromium against the real server (uvicorn, loopback).

Servers come from the shared fixtures of ``tests/conftest.py`` (``server_url``: web interface
off; ``web_server_url``: Gradio at ``/web``, where the play view has its own tab).

A person resets a task, buys, ships, reprices and liquidates for a few days, sees the charts grow,
gets a refused action explained, plays the rest of the month and sees the grader's score; two
browser sessions play two episodes that never touch each other.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from models import InventoryAction
from server.constants import EPISODE_DAYS, PRODUCTS
from server.inventory_env import InventoryEnvironment
from server.task_catalog import task_names

STEP_TIMEOUT_MS = 10_000
GRADER_TIMEOUT_MS = 60_000


def _open(browser: Browser, server_url: str) -> tuple[Page, list[str]]:
    """A page of /play in a fresh browser session, and the list its script errors go to."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(f"{server_url}/play")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page, script_errors


def _reset(page: Page, task: str, seed: int | None = None) -> None:
    page.select_option("#task-select", task)
    page.fill("#seed-input", "" if seed is None else str(seed))
    page.click("#reset-btn")
    expect(page.locator("#stat-day")).to_have_attribute("data-day", "0")
    expect(page.locator("#stat-episode")).to_contain_text(task)


def _advance(page: Page, expected_day: int) -> None:
    page.click("#step-btn")
    expect(page.locator("#stat-day")).to_have_attribute("data-day", str(expected_day))


def _chart(page: Page, chart_id: str) -> tuple[int, str]:
    """(points drawn, the first series' path) of one chart."""
    svg = page.locator(f"#{chart_id}")
    points = int(svg.get_attribute("data-points") or "0")
    paths = svg.locator("path.series")
    return points, (paths.first.get_attribute("d") if paths.count() else "")


def _money(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def test_play_a_month_with_charts_errors_and_the_grader_score(
    browser: Browser, server_url: str, tmp_path: Path
) -> None:
    page, script_errors = _open(browser, server_url)
    for chart in ("chart-stock", "chart-cash", "chart-demand", "chart-profit"):
        assert _chart(page, chart)[0] == 0

    task, seed = "easy", 11
    _reset(page, task, seed)
    assert _chart(page, "chart-stock")[0] == 1
    assert _chart(page, "chart-demand")[0] == 0
    assert _money(page.text_content("#stat-cash") or "") == 1000.0

    # The same decisions, replayed in process, must give the same month: the page sends
    # exactly what the person typed.
    typed_days = [
        ({"buy-groceries": "20", "buy-toys": "5", "price-toys": "1.2"}, "slow"),
        ({"buy-electronics": "2", "liquidate-groceries": "3", "price-clothing": "0.9"}, "fast"),
        ({"buy-clothing": "6"}, "medium"),
        ({"buy-furniture": "500"}, "slow"),  # more than cash or space allow: rejected whole
    ]
    actions: list[InventoryAction] = []
    before = {chart: _chart(page, chart) for chart in ("chart-stock", "chart-cash")}
    for day, (fields, shipping) in enumerate(typed_days, start=1):
        for selector, value in fields.items():
            page.fill(f"#{selector}", value)
        page.select_option("#shipping-select", shipping)
        _advance(page, day)
        prices = {product: float(page.input_value(f"#price-{product}")) for product in PRODUCTS}
        actions.append(
            InventoryAction(
                buy_quantities={
                    key.split("-")[1]: int(value)
                    for key, value in fields.items()
                    if key.startswith("buy-")
                },
                liquidate={
                    key.split("-")[1]: int(value)
                    for key, value in fields.items()
                    if key.startswith("liquidate-")
                },
                delivery_method=shipping,
                price_multipliers=prices,
            )
        )
        if day == 1:
            expect(page.locator("#deliveries")).to_contain_text("groceries")
            expect(page.locator("#buy-groceries")).to_have_value("")  # one-day fields clear
            expect(page.locator("#price-toys")).to_have_value("1.2")  # prices stay
        points, path = _chart(page, "chart-demand")
        assert points == day
        for chart, (old_points, old_path) in before.items():
            new_points, new_path = _chart(page, chart)
            assert new_points == old_points + 1 and new_path != old_path, chart
            before[chart] = (new_points, new_path)
    expect(page.locator("#rejections")).to_contain_text("furniture")
    assert page.locator("#chart-stock path.series").count() == 5

    # A refused action is explained and changes nothing.
    cash_before = page.text_content("#stat-cash")
    page.fill("#buy-clothing", "2.5")
    page.click("#step-btn")
    expect(page.locator("#error-box")).to_be_visible()
    expect(page.locator("#error-box")).to_contain_text("whole number")
    expect(page.locator("#stat-day")).to_have_attribute("data-day", str(len(typed_days)))
    assert page.text_content("#stat-cash") == cash_before
    page.fill("#buy-clothing", "")
    _advance(page, len(typed_days) + 1)
    expect(page.locator("#error-box")).to_be_hidden()
    actions.append(InventoryAction(price_multipliers=actions[-1].price_multipliers))

    # The rest of the month, passively, then the grader's verdict.
    page.click("#play-rest-btn")
    expect(page.locator("#stat-day")).to_have_attribute(
        "data-day", str(EPISODE_DAYS), timeout=GRADER_TIMEOUT_MS
    )
    expect(page.locator("#score-panel")).to_be_visible()
    expect(page.locator("#score-status")).not_to_have_text(
        re.compile("^Scoring…"), timeout=GRADER_TIMEOUT_MS
    )
    status = page.text_content("#score-status")
    assert re.fullmatch(r"\d\.\d{3}", page.text_content("#score-value") or ""), status
    assert _chart(page, "chart-cash")[0] == EPISODE_DAYS + 1
    assert _chart(page, "chart-profit")[0] == EPISODE_DAYS + 1
    assert _chart(page, "chart-demand")[0] == EPISODE_DAYS
    expect(page.locator("#step-btn")).to_be_disabled()

    env = InventoryEnvironment()
    env.reset(task_name=task, seed=seed)
    while len(actions) < EPISODE_DAYS:
        actions.append(InventoryAction())  # "play rest passively" sends {} each day
    for action in actions:
        observation = env.step(action)
    assert observation.done
    profit = _money(page.text_content("#stat-profit") or "")
    assert profit == pytest.approx(observation.total_profit, abs=0.005)
    assert _money(page.text_content("#score-profit") or "") == pytest.approx(profit, abs=0.005)

    floor = _money(page.text_content("#score-floor") or "")
    ceiling = _money(page.text_content("#score-ceiling") or "")
    score = float(page.text_content("#score-value") or "nan")
    assert ceiling > floor
    expected = min(max((profit - floor) / (ceiling - floor), 0.0), 1.0)
    assert score == pytest.approx(expected, abs=0.002)

    screenshot = tmp_path / "play_view.png"  # inside pytest's tmp dir, never the repository
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert script_errors == []
    page.context.close()


def test_two_browser_sessions_play_separate_episodes(browser: Browser, server_url: str) -> None:
    first, first_errors = _open(browser, server_url)
    second, second_errors = _open(browser, server_url)
    _reset(first, "medium")
    _reset(second, "medium")
    assert first.get_attribute("#stat-episode", "title") != second.get_attribute(
        "#stat-episode", "title"
    )

    first.fill("#buy-electronics", "3")
    first.fill("#price-toys", "1.3")
    _advance(first, 1)
    _advance(second, 1)
    _advance(first, 2)
    _advance(first, 3)
    # Shared episodes would show day 4 here and the same cash in both.
    expect(second.locator("#stat-day")).to_have_attribute("data-day", "1")
    _advance(second, 2)
    expect(first.locator("#stat-day")).to_have_attribute("data-day", "3")
    assert first.text_content("#stat-cash") != second.text_content("#stat-cash")
    expect(first.locator("#deliveries")).to_contain_text("electronics")
    expect(second.locator("#deliveries")).not_to_contain_text("electronics")

    # A reload keeps the tab's own episode (sessionStorage) and carries on from it.
    first.reload()
    expect(first.locator("#stat-day")).to_have_attribute("data-day", "3")
    expect(first.locator("#price-toys")).to_have_value("1.3")
    assert _chart(first, "chart-cash")[0] == 4
    _advance(first, 4)
    expect(second.locator("#stat-day")).to_have_attribute("data-day", "2")
    assert first_errors == [] and second_errors == []
    first.context.close()
    second.context.close()


def test_web_interface_has_a_tab_with_the_play_view(browser: Browser, web_server_url: str) -> None:
    """openenv's Gradio UI at /web keeps its Playground and gains a tab embedding /play."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{web_server_url}/web/")
    expect(page.get_by_role("tab", name="Playground", exact=True)).to_be_visible()
    page.get_by_role("tab", name="Play an episode", exact=True).click()
    frame = page.frame_locator("iframe[title='Inventory play view']")
    expect(frame.locator("body")).to_have_attribute("data-ready", "true")
    expect(frame.locator("#task-select option")).to_have_count(len(task_names()))
    context.close()


def test_event_chips_say_when_the_days_are_a_forecast(browser: Browser, server_url: str) -> None:
    """medium's calendar is a forecast (its event_forecast rule): each event chip says so and
    its tooltip gives the rule; volatile publishes exact days, so its chips do not."""
    page, script_errors = _open(browser, server_url)
    _reset(page, "medium", 3)
    chips = page.locator("#events li.chip:not(.over)")
    expect(chips.first).to_be_visible()
    event_chips = [
        (chips.nth(i).text_content() or "", chips.nth(i).get_attribute("title") or "")
        for i in range(chips.count())
        if "unit cost" not in (chips.nth(i).text_content() or "")
    ]
    assert event_chips, "medium announces events"
    for text, title in event_chips:
        assert text.endswith("(forecast)"), text
        assert "forecast" in title and "-1 to 1 days" in title and "×0.6, ×1, ×1.4" in title
    _reset(page, "volatile", 3)
    expect(page.locator("#events li.chip").first).to_be_visible()
    assert "forecast" not in (page.text_content("#events") or "")
    assert page.locator("#events li[title]").count() == 0
    assert script_errors == []
    page.context.close()
