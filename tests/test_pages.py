"""What a newcomer's browser sees: hints on ``/`` and ``/web`` when the web interface is off,
``/docs`` without internet, ``/play`` on a phone, and ``serve.sh``'s list of pages.

Real servers from ``tests/conftest.py``; pages in headless Chromium (``tests/browser.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from server.agents import make_agent
from server.constants import EPISODE_DAYS
from server.inventory_env import InventoryEnvironment
from tests.browser import block_the_internet

ROOT = Path(__file__).resolve().parent.parent
PHONE = {"width": 390, "height": 844}
MIN_LABEL_PX = 11.0


def test_root_and_web_say_how_to_turn_the_web_interface_on(server_url: str) -> None:
    as_json = httpx.get(f"{server_url}/")
    assert as_json.status_code == 200
    body = as_json.json()
    assert body["web_interface"] == "off"
    assert "ENABLE_WEB_INTERFACE=true" in body["message"]
    assert {"/play", "/docs", "/health"} <= set(body["pages"])

    page = httpx.get(f"{server_url}/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "ENABLE_WEB_INTERFACE=true" in page.text
    assert 'href="/play"' in page.text and 'href="/docs"' in page.text

    for path in ("/web", "/web/"):
        web = httpx.get(f"{server_url}{path}", headers={"Accept": "text/html"})
        assert web.status_code == 404, path
        assert "ENABLE_WEB_INTERFACE=true" in web.text


def test_root_still_leads_to_the_web_interface_when_it_is_on(web_server_url: str) -> None:
    answer = httpx.get(f"{web_server_url}/", follow_redirects=False)
    assert answer.status_code in (302, 307)
    assert answer.headers["location"].rstrip("/").endswith("/web")


def test_docs_page_names_only_local_files(server_url: str) -> None:
    page = httpx.get(f"{server_url}/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "/docs/assets/swagger-ui.css" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    script = httpx.get(f"{server_url}/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert script.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{server_url}/docs/assets/..%2F..%2F__init__.py").status_code == 404
    assert httpx.get(f"{server_url}/docs/assets/swagger-ui.js.map").status_code == 404
    redoc = httpx.get(f"{server_url}/redoc", follow_redirects=False)
    assert redoc.status_code == 307 and redoc.headers["location"] == "/docs"


def test_docs_render_with_the_network_blocked(browser: Browser, server_url: str) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    blocked = block_the_internet(context)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{server_url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = {text.strip().replace("\u200b", "") for text in operations.all_inner_texts()}
    assert {"/reset", "/step", "/state", "/tasks", "/grader"} <= paths
    assert blocked == []
    context.close()


def test_play_view_fits_a_phone(browser: Browser, server_url: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(f"{server_url}/play")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#task-select", "medium")
    page.click("#reset-btn")
    expect(page.locator("#stat-day")).to_have_attribute("data-day", "0")
    page.fill("#buy-groceries", "5")
    page.click("#step-btn")
    expect(page.locator("#stat-day")).to_have_attribute("data-day", "1")
    page.click("#step-btn")
    expect(page.locator("#stat-day")).to_have_attribute("data-day", "2")

    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == PHONE["width"], widths
    off_screen = page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter((node) => node.getClientRects().length > 0)
            .map((node) => [node, node.getBoundingClientRect()])
            .filter(([, box]) => box.width > 0 && (box.left < -0.5 || box.right > width + 0.5))
            .map(([node, box]) => `${node.tagName}#${node.id}.${node.className.baseVal ??
                node.className} ${Math.round(box.left)}..${Math.round(box.right)}`)""",
        PHONE["width"],
    )
    assert off_screen == []
    for product in ("electronics", "groceries", "toys"):
        for kind in ("buy", "liquidate", "price"):
            box = page.locator(f"#{kind}-{product}").bounding_box()
            assert box is not None and box["x"] >= 0
            assert box["x"] + box["width"] <= PHONE["width"], (kind, product, box)
            assert box["width"] >= 44, "too narrow to tap"

    label_sizes = page.evaluate(
        """() => [...document.querySelectorAll('.chart svg text')]
            .filter((node) => node.textContent.trim() !== '')
            .map((node) => parseFloat(getComputedStyle(node).fontSize)
                * node.ownerSVGElement.getScreenCTM().a)"""
    )
    assert len(label_sizes) > 20
    assert min(label_sizes) >= MIN_LABEL_PX, min(label_sizes)
    page.screenshot(path=str(tmp_path / "play_phone.png"), full_page=True)
    assert script_errors == []
    context.close()


def test_announce_urls_lists_the_pages_once_the_server_answers(server_url: str) -> None:
    env = {**os.environ, "ENABLE_WEB_INTERFACE": "true"}
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "announce_urls.py"), server_url, "--timeout", "20"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    for path in ("/web", "/play", "/docs"):
        assert f"{server_url}{path}" in run.stderr


def test_announce_urls_gives_up_when_nothing_answers() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "announce_urls.py"), "http://127.0.0.1:9"]
        + ["--timeout", "1.5"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 1
    assert "/play" not in run.stderr


def _write_trace(path: Path, task: str, seed: int) -> float:
    """A real heuristic episode as an ``inventory-trace/1`` file; returns its profit."""
    agent = make_agent("heuristic")
    agent.reset(task)
    env = InventoryEnvironment()
    observation = env.reset(task_name=task, seed=seed)
    dump = {"mode": "json", "exclude": {"metadata"}}
    lines: list[dict] = [
        {"type": "header", "schema": "inventory-trace/1", "task": task, "seed": seed}
        | {"agent": agent.name, "observation": observation.model_dump(**dump)}
    ]
    while not observation.done:
        action = agent.act(observation)
        observation = env.step(action)
        lines.append(
            {"type": "step", "day": len(lines), "action": action.model_dump(**dump)}
            | {"observation": observation.model_dump(**dump), "reward": observation.reward}
        )
    profit = observation.total_profit
    lines.append({"type": "footer", "profit": profit, "grade": None, "error": None})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return profit


def test_play_view_replays_a_trace(browser: Browser, server_url: str, tmp_path: Path) -> None:
    trace = tmp_path / "episode.jsonl"
    profit = _write_trace(trace, "hard", 5)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(f"{server_url}/play")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")

    page.set_input_files("#trace-input", str(trace))
    expect(page.locator("#stat-day")).to_have_attribute("data-day", str(EPISODE_DAYS))
    expect(page.locator("#task-description")).to_contain_text("heuristic on hard, seed 5")
    for chart in ("chart-stock", "chart-cash", "chart-profit"):  # each day's start, and the end
        expect(page.locator(f"#{chart}")).to_have_attribute("data-points", str(EPISODE_DAYS + 1))
    expect(page.locator("#chart-demand")).to_have_attribute("data-points", str(EPISODE_DAYS))
    assert page.is_disabled("#step-btn")
    expect(page.locator("#score-value")).not_to_have_text("–", timeout=60_000)  # /grader
    shown = page.text_content("#score-profit") or ""
    assert float(shown.replace("$", "").replace(",", "")) == pytest.approx(profit, abs=0.01)

    bad = tmp_path / "not-a-trace.jsonl"
    bad.write_text('{"type": "header", "schema": "other/9"}\n', encoding="utf-8")
    page.set_input_files("#trace-input", str(bad))
    expect(page.locator("#error-box")).to_contain_text("inventory-trace/1")
    assert script_errors == []
    context.close()
