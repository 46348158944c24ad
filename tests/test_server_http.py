"""The HTTP side of the real server (uvicorn on a loopback port): the brief's curl walk-through,
episodes that persist across requests, the extra routes, the web interface and the basics of
bad input (the reliability suite goes further).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time

import httpx
import pytest

from models import InventoryAction
from server.app import build_app
from server.constants import EPISODE_DAYS
from server.inventory_env import InventoryEnvironment
from server.settings import ServerSettings
from server.task_catalog import task_names

BUY = {"buy_quantities": {"groceries": 12, "toys": 3}, "delivery_method": "fast"}


def _state(url: str, episode_id: str | None = None) -> dict:
    params = {"episode_id": episode_id} if episode_id else None
    response = httpx.get(f"{url}/state", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_curl_walkthrough_keeps_the_episode(server_url: str) -> None:
    assert httpx.get(f"{server_url}/health").json() == {"status": "healthy"}

    reset = httpx.post(f"{server_url}/reset")  # no body at all, as in the brief
    assert reset.status_code == 200
    body = reset.json()
    assert set(body) == {"observation", "reward", "done", "metadata", "episode_id"}
    episode_id = body["episode_id"]
    assert body["metadata"] == {"episode_id": episode_id, "seed": 1001}
    assert body["observation"]["current_day"] == 0
    assert body["observation"]["task_name"] == "easy"

    first = httpx.post(f"{server_url}/step", json={"action": {}}).json()
    second = httpx.post(f"{server_url}/step", json={"action": BUY}).json()
    assert (first["episode_id"], second["episode_id"]) == (episode_id, episode_id)
    assert [first["observation"]["current_day"], second["observation"]["current_day"]] == [1, 2]

    state = _state(server_url)
    assert state["episode_id"] == episode_id
    assert state["current_day"] == 2
    assert state["totals"]["bought"]["groceries"] == 12  # fields openenv's State would drop
    assert _state(server_url, episode_id) == state

    # The same two days in process give the same observations.
    env = InventoryEnvironment()
    env.reset()
    env.step(InventoryAction())
    expected = env.step(InventoryAction(**BUY))
    assert second["observation"]["total_cash"] == expected.total_cash
    assert second["observation"]["updated_inventory"] == json.loads(
        json.dumps(expected.updated_inventory)
    )


def test_episodes_are_kept_apart_by_id(server_url: str) -> None:
    first = httpx.post(f"{server_url}/reset", json={"task_name": "medium", "seed": 5}).json()
    second = httpx.post(f"{server_url}/reset", json={"task_name": "hard"}).json()
    a, b = first["episode_id"], second["episode_id"]
    assert a != b
    for _ in range(3):
        step = httpx.post(f"{server_url}/step", json={"action": {}, "episode_id": a})
        assert step.json()["episode_id"] == a
    assert _state(server_url, a)["current_day"] == 3
    assert _state(server_url, b)["current_day"] == 0
    assert _state(server_url)["episode_id"] == b  # the latest reset, not the latest used
    assert _state(server_url, a)["seed"] == 5

    # Resetting with a known id restarts that episode.
    again = httpx.post(f"{server_url}/reset", json={"episode_id": a, "task_name": "easy"})
    assert again.json()["episode_id"] == a
    assert _state(server_url, a)["current_day"] == 0
    assert _state(server_url, a)["task_name"] == "easy"


def test_concurrent_steps_on_one_episode_take_turns(server_url: str) -> None:
    episode_id = httpx.post(f"{server_url}/reset", json={"task_name": "hard"}).json()["episode_id"]

    async def step_all() -> list[int]:
        async with httpx.AsyncClient(base_url=server_url) as client:
            responses = await asyncio.gather(
                *[
                    client.post("/step", json={"action": {}, "episode_id": episode_id})
                    for _ in range(EPISODE_DAYS + 5)
                ]
            )
        assert {r.status_code for r in responses} == {200, 409}
        return sorted(r.json()["observation"]["current_day"] for r in responses if r.is_success)

    assert asyncio.run(step_all()) == list(range(1, EPISODE_DAYS + 1))
    assert _state(server_url, episode_id)["done"] is True


def test_real_curl_walkthrough(server_url: str) -> None:
    curl = shutil.which("curl")
    assert curl, "curl is part of the machine image"

    def run(*args: str) -> dict:
        output = subprocess.run(
            [curl, "-sS", "--fail-with-body", *args], capture_output=True, text=True, timeout=30
        )
        assert output.returncode == 0, output.stdout + output.stderr
        return json.loads(output.stdout)

    assert run(f"{server_url}/health")["status"] == "healthy"
    episode_id = run("-X", "POST", f"{server_url}/reset")["episode_id"]
    step = run(
        "-X",
        "POST",
        f"{server_url}/step",
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"action":{}}',
    )
    assert step["episode_id"] == episode_id
    assert step["observation"]["current_day"] == 1
    assert run(f"{server_url}/state")["current_day"] == 1
    assert [task["name"] for task in run(f"{server_url}/tasks")["tasks"]] == list(task_names())


def test_tasks_lists_every_task_with_its_configuration(server_url: str) -> None:
    catalogue = httpx.get(f"{server_url}/tasks").json()
    tasks = {task["name"]: task for task in catalogue["tasks"]}
    assert list(tasks) == list(task_names())
    for task in tasks.values():
        assert {"starting_cash", "capacity", "starting_stock", "base_demand", "events"} <= set(task)
    assert tasks["medium"]["events"]["black_friday"] == 6
    assert "buy_quantities" in catalogue["action_schema"]["properties"]
    assert "updated_inventory" in catalogue["observation_schema"]["properties"]
    assert {row["method"] for row in catalogue["shipping"]} == {"slow", "medium", "fast"}
    assert len(catalogue["products"]) == 5


def test_schema_and_metadata_keep_openenv_shapes(server_url: str) -> None:
    schema = httpx.get(f"{server_url}/schema").json()
    assert set(schema) == {"action", "observation", "reset_observation", "state"}
    assert "totals" in schema["state"]["properties"]  # our state, not the base State
    assert schema["action"]["title"] == "InventoryAction"
    metadata = httpx.get(f"{server_url}/metadata").json()
    assert metadata["name"] == "inventory_env"
    paths = httpx.get(f"{server_url}/openapi.json").json()["paths"]
    for path in ("/reset", "/step", "/state", "/health", "/schema", "/metadata", "/mcp"):
        assert path in paths
    for path in ("/tasks", "/grader", "/baseline"):
        assert path in paths
    assert httpx.post(f"{server_url}/mcp", json={}).json()["jsonrpc"] == "2.0"


def test_bad_requests_get_clear_client_errors_and_change_nothing(server_url: str) -> None:
    episode_id = httpx.post(f"{server_url}/reset", json={"task_name": "medium"}).json()[
        "episode_id"
    ]
    httpx.post(f"{server_url}/step", json={"action": BUY})
    before = _state(server_url, episode_id)

    def refused(method: str, path: str, status: int, needle: str, **kwargs: object) -> None:
        response = httpx.request(method, f"{server_url}{path}", **kwargs)
        assert response.status_code == status, response.text
        assert needle in response.text, response.text

    refused(
        "POST",
        "/step",
        422,
        "unknown product 'gold'",
        json={"action": {"buy_quantities": {"gold": 1}}},
    )
    refused(
        "POST", "/step", 422, "whole number", json={"action": {"buy_quantities": {"toys": 1.5}}}
    )
    refused(
        "POST",
        "/step",
        422,
        "finite",
        content=b'{"action":{"price_multipliers":{"toys":NaN}}}',
        headers={"Content-Type": "application/json"},
    )
    refused("POST", "/step", 422, "Extra inputs", json={"action": {}, "speed": 3})
    refused("POST", "/step", 422, "action", json={"action": [1, 2]})
    refused(
        "POST",
        "/step",
        422,
        "JSON",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    refused(
        "POST", "/step", 404, "unknown episode_id 'nope'", json={"action": {}, "episode_id": "nope"}
    )
    refused("GET", "/state?episode_id=nope", 404, "unknown episode_id")
    refused(
        "POST", "/reset", 422, "unknown task_name 'impossible'", json={"task_name": "impossible"}
    )
    refused("POST", "/reset", 422, "unknown reward_mode", json={"reward_mode": "bonus"})
    refused("POST", "/reset", 422, "Extra inputs", json={"difficulty": "hard"})
    refused("POST", "/reset", 422, "seed", json={"seed": -1})
    refused("POST", "/reset", 422, "seed", json={"seed": "7"})
    big = json.dumps({"action": {}, "pad": "x" * 70_000})
    refused(
        "POST", "/step", 413, "too large", content=big, headers={"Content-Type": "application/json"}
    )

    assert _state(server_url, episode_id) == before
    assert _state(server_url)["episode_id"] == episode_id  # failed resets start nothing


def test_step_after_the_last_day_is_a_conflict(server_url: str) -> None:
    episode_id = httpx.post(f"{server_url}/reset").json()["episode_id"]
    with httpx.Client(base_url=server_url) as client:
        for _ in range(EPISODE_DAYS):
            last = client.post("/step", json={"action": {}, "episode_id": episode_id}).json()
        assert last["done"] is True
        over = client.post("/step", json={"action": {}, "episode_id": episode_id})
    assert over.status_code == 409
    assert "episode is over" in over.json()["detail"]
    assert _state(server_url, episode_id)["current_day"] == EPISODE_DAYS


def test_store_limits_evict_the_least_recently_used_and_expire_idle_episodes() -> None:
    """In process (same app, small limits): the store's wiring to the routes."""
    from fastapi.testclient import TestClient

    settings = ServerSettings(
        max_http_episodes=2, http_episode_idle_s=0.5, http_episode_evict_idle_s=0.0
    )
    with TestClient(build_app(settings)) as client:
        a = client.post("/reset").json()["episode_id"]
        b = client.post("/reset").json()["episode_id"]
        assert client.post("/step", json={"action": {}, "episode_id": a}).status_code == 200
        c = client.post("/reset").json()["episode_id"]  # evicts b, used least recently
        assert client.get("/state", params={"episode_id": b}).status_code == 404
        assert client.get("/state", params={"episode_id": a}).status_code == 200
        assert client.get("/state").json()["episode_id"] == c
        time.sleep(0.6)
        gone = client.get("/state", params={"episode_id": a})
        assert gone.status_code == 404
        assert "expired" in gone.json()["detail"]
        latest = client.post("/step", json={"action": {}})
        assert latest.status_code == 404
        assert "latest" in latest.json()["detail"]


def test_before_any_reset_step_and_state_say_to_reset_first() -> None:
    from fastapi.testclient import TestClient

    with TestClient(build_app(ServerSettings())) as client:
        for response in (client.post("/step", json={"action": {}}), client.get("/state")):
            assert response.status_code == 409
            assert "POST /reset first" in response.json()["detail"]


def test_web_interface_and_play_view_are_served(web_server_url: str) -> None:
    page = httpx.get(f"{web_server_url}/web/")
    assert page.status_code == 200
    assert "gradio" in page.text.lower()
    assert "Play an episode" in httpx.get(f"{web_server_url}/web/config").text
    assert httpx.get(f"{web_server_url}/play").status_code == 200
    # The standard routes still work next to the web interface.
    reset = httpx.post(f"{web_server_url}/reset", json={"task_name": "hard"}).json()
    assert reset["observation"]["task_name"] == "hard"
    # openenv's web routes: bad input is a client error too.
    bad_reset = httpx.post(f"{web_server_url}/web/reset", json={"task_name": "x"})
    assert bad_reset.status_code == 422
    assert httpx.post(f"{web_server_url}/web/reset", json={}).status_code == 200
    bad_step = httpx.post(f"{web_server_url}/web/step", json={"action": "buy"})
    assert bad_step.status_code == 422
    bad_action = httpx.post(
        f"{web_server_url}/web/step", json={"action": {"buy_quantities": {"gold": 1}}}
    )
    assert bad_action.status_code == 422
    assert "gold" in bad_action.text
    assert httpx.post(f"{web_server_url}/web/step", json={"action": {}}).status_code == 200


@pytest.mark.parametrize("path", ["/grader?task_name=easy", "/grader?agent_profit=1"])
def test_grader_requires_task_and_profit(server_url: str, path: str) -> None:
    response = httpx.post(f"{server_url}{path}")
    assert response.status_code == 422
    assert "required" in response.json()["detail"]


def test_grader_example_from_the_brief(server_url: str) -> None:
    from server.grader import grade

    response = httpx.post(f"{server_url}/grader?task_name=easy&agent_profit=5000", timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {**json.loads(json.dumps(grade("easy", 5000))), "verified": False}
    assert set(body) == {
        "task_name",
        "seed",
        "agent_profit",
        "floor",
        "ceiling",
        "score",
        "unclamped_score",
        "verified",
    }
    as_json = httpx.post(
        f"{server_url}/grader", json={"task_name": "easy", "agent_profit": 5000}, timeout=120
    )
    assert as_json.json() == body
    seeded = httpx.post(
        f"{server_url}/grader",
        params={"task_name": "medium", "agent_profit": "-250.5", "seed": "3"},
        timeout=120,
    ).json()
    assert (seeded["seed"], seeded["agent_profit"], seeded["score"]) == (3, -250.5, 0.0)


def test_baseline_plays_the_built_in_agent_and_grades_it(server_url: str) -> None:
    from server.agents import make_agent
    from server.grader import grade
    from server.in_process_episode import run_episode

    response = httpx.get(f"{server_url}/baseline", params={"task_name": "hard"}, timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = run_episode(make_agent("heuristic"), "hard")
    assert body["agent"] == "heuristic"
    assert (body["task_name"], body["seed"]) == ("hard", expected.seed)
    assert body["profit"] == expected.profit
    assert body["score"] == body["grade"]["score"] == grade("hard", expected.profit)["score"]

    passive = httpx.get(
        f"{server_url}/baseline", params={"agent": "passive", "seed": 4}, timeout=120
    ).json()
    assert (passive["agent"], passive["task_name"], passive["seed"]) == ("passive", "easy", 4)
    assert passive["profit"] == passive["grade"]["floor"]
    assert passive["score"] == 0.0


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/baseline?task_name=extreme", "unknown task_name"),
        ("/baseline?agent=oracle", "unknown agent"),
        ("/baseline?seed=-3", "greater than or equal"),
        ("/grader?task_name=easy&agent_profit=nan", "finite"),
        ("/grader?task_name=easy&agent_profit=lots", "valid number"),
        ("/grader?task_name=nope&agent_profit=1", "unknown task_name"),
    ],
)
def test_extra_routes_refuse_bad_parameters(server_url: str, path: str, needle: str) -> None:
    method = "POST" if path.startswith("/grader") else "GET"
    response = httpx.request(method, f"{server_url}{path}")
    assert response.status_code == 422
    assert needle in response.text
