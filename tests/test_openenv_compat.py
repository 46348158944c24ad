"""openenv 0.10 as ``server.openenv_compat`` describes it: each workaround is still needed, each
fix an old workaround was deleted for still holds; the task API, MCP tools and production mode
work on the real server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient
from openenv.core.env_server.http_server import create_app
from openenv.core.env_server.serialization import serialize_observation
from openenv.core.env_server.types import WSErrorResponse
from pydantic import ValidationError

from models import InventoryAction, InventoryObservation, InventoryState
from server.constants import EPISODE_DAYS
from server.inventory_env import InventoryEnvironment
from server.openenv_compat import OPENENV_CHECKED, RELIED_ON, WORKAROUNDS, WireInventoryAction
from server.task_api import SPLITS, task_spec


def test_the_lists_name_the_installed_openenv() -> None:
    from importlib.metadata import version

    assert version("openenv") == OPENENV_CHECKED, "re-check WORKAROUNDS and RELIED_ON"
    assert set(WORKAROUNDS).isdisjoint(RELIED_ON)


# ----------------------------------------------------------------- fixes we rely on (RELIED_ON)
def test_observation_metadata_is_on_the_wire() -> None:
    env = InventoryEnvironment()
    frame = serialize_observation(env.reset(seed=5))
    assert frame["observation"]["metadata"] == {"episode_id": env.state.episode_id, "seed": 5}
    assert frame["metadata"] == frame["observation"]["metadata"]


def test_state_cls_publishes_our_state_in_schema(server_url: str) -> None:
    schema = httpx.get(f"{server_url}/schema").json()
    assert schema["state"] == InventoryState.model_json_schema()  # not openenv's base State


# ----------------------------------------------------------- workarounds still needed (WORKAROUNDS)
def test_ws_error_frame_still_cannot_carry_a_raw_validation_error() -> None:
    """``WireInventoryAction`` exists because openenv puts ``exc.errors()`` in its frame."""
    with pytest.raises(ValidationError) as raw:
        InventoryAction.model_validate({"buy_quantities": {"groceries": -1}})
    with pytest.raises(Exception):  # noqa: B017 - pydantic's serialization error
        WSErrorResponse(data={"errors": raw.value.errors()}).model_dump_json()
    with pytest.raises(ValidationError) as wire:
        WireInventoryAction.model_validate({"buy_quantities": {"groceries": -1}})
    assert "groceries" in WSErrorResponse(data={"errors": wire.value.errors()}).model_dump_json()


def test_openenv_types_still_import_the_web_stack() -> None:
    """``server.openenv_light`` exists because openenv's package ``__init__``s import its whole
    server even for ``from openenv.core.env_server.types import Action``."""
    code = (
        "import sys; import openenv.core.env_server.types; "
        "print('fastapi' in sys.modules and 'openenv.core.env_server.http_server' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr


def test_openenv_http_routes_still_forget_the_episode() -> None:
    """``server.episode_routes`` exists because openenv's HTTP /step acts on a fresh env."""
    bare = create_app(InventoryEnvironment, InventoryAction, InventoryObservation)
    with TestClient(bare, raise_server_exceptions=False) as client:
        assert client.post("/reset", json={}).status_code == 200
        assert client.post("/step", json={"action": {}}).status_code >= 400  # no episode


def test_openenv_ws_still_ends_the_session_on_a_non_object_frame() -> None:
    """``server.guards.WebSocketFrameGuard`` exists because openenv ends the session here."""
    bare = create_app(InventoryEnvironment, InventoryAction, InventoryObservation)
    with TestClient(bare) as client, client.websocket_connect("/ws") as ws:
        ws.send_text("[1, 2]")
        reply = ws.receive_json()
        assert reply["data"]["code"] == "SESSION_ERROR"  # and then openenv closes the socket


# ------------------------------------------------------------------------------- task API
def test_task_api_lists_splits_and_tasks(server_url: str) -> None:
    splits = httpx.get(f"{server_url}/inventory_env/splits").json()
    assert [s["name"] for s in splits] == ["train", "validation", "test"]
    assert {s["name"]: s["num_tasks"] for s in splits} == {
        "train": 3000,
        "validation": 300,
        "test": 300,
    }
    count = httpx.post(f"{server_url}/inventory_env/num_tasks", json={"split": "test"}).json()
    assert count == {"num_tasks": 300}
    task = httpx.post(f"{server_url}/inventory_env/task", json={"split": "test", "index": 4}).json()
    assert task["task"]["reset"] == {"task_name": "medium", "seed": 200_001}
    page = httpx.post(
        f"{server_url}/inventory_env/task_range", json={"split": "train", "start": 0, "stop": 3}
    ).json()
    assert [t["task_name"] for t in page["tasks"]] == ["easy", "medium", "hard"]
    bad = httpx.post(f"{server_url}/inventory_env/task", json={"split": "test", "index": 300})
    assert bad.status_code == 400
    unknown = httpx.post(f"{server_url}/inventory_env/task", json={"split": "dev", "index": 0})
    assert unknown.status_code == 400


def test_split_seed_ranges_do_not_overlap() -> None:
    seeds = {
        name: {task_spec(name, i)["seed"] for i in range(split.size)}
        for name, split in SPLITS.items()
    }
    assert not seeds["train"] & seeds["validation"]
    assert not seeds["train"] & seeds["test"]
    assert not seeds["validation"] & seeds["test"]


def _ws(server_url: str, path: str) -> str:
    return server_url.replace("http://", "ws://") + path


async def _ask(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    await ws.send(json.dumps(message))
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=30))


def test_reset_by_split_and_index_plays_that_task(server_url: str) -> None:
    async def play() -> dict[str, Any]:
        async with websockets.connect(_ws(server_url, "/ws")) as ws:
            frame = await _ask(ws, {"type": "reset", "data": {"split": "test", "index": 5}})
            bad = await _ask(ws, {"type": "reset", "data": {"split": "test", "index": 999}})
            return {"frame": frame, "bad": bad}

    result = asyncio.run(play())
    observation = result["frame"]["data"]["observation"]
    assert observation["task_name"] == "hard"
    assert observation["metadata"]["seed"] == 200_001
    assert result["bad"]["type"] == "error"


# ------------------------------------------------------------------------------ MCP tools
def test_mcp_tools_play_a_whole_episode_over_websocket(server_url: str) -> None:
    async def play() -> tuple[list[dict], list[dict]]:
        async with websockets.connect(_ws(server_url, "/mcp")) as ws:

            async def rpc(method: str, params: dict[str, Any], i: int) -> dict[str, Any]:
                request = {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
                return await _ask(ws, request)

            listed = await rpc("tools/list", {}, 0)
            calls = [
                await rpc(
                    "tools/call",
                    {"name": "start_episode", "arguments": {"task_name": "easy", "seed": 3}},
                    1,
                )
            ]
            bad = await rpc(
                "tools/call",
                {"name": "simulate_day", "arguments": {"buy_quantities": {"groceries": -5}}},
                2,
            )
            for day in range(EPISODE_DAYS):
                arguments = {"buy_quantities": {"groceries": 10}} if day == 0 else {}
                calls.append(
                    await rpc("tools/call", {"name": "simulate_day", "arguments": arguments}, 3)
                )
            calls.append(await rpc("tools/call", {"name": "episode_state", "arguments": {}}, 4))
            return [listed, bad], calls

    (listed, bad), calls = asyncio.run(play())
    tools = {tool["name"]: tool for tool in listed["result"]["tools"]}
    assert set(tools) == {"start_episode", "simulate_day", "episode_state"}
    assert "buy_quantities" in tools["simulate_day"]["inputSchema"]["properties"]
    assert "groceries" in bad["result"]["error"]
    assert calls[0]["result"]["observation"]["current_day"] == 0
    assert calls[1]["result"]["observation"]["current_day"] == 1  # the bad call changed nothing
    assert calls[EPISODE_DAYS]["result"]["done"] is True
    state = calls[-1]["result"]
    assert state["current_day"] == EPISODE_DAYS
    assert state["totals"]["bought"]["groceries"] == 10

    # The same moves in process give the same month.
    env = InventoryEnvironment()
    env.reset(task_name="easy", seed=3)
    env.step(InventoryAction(buy_quantities={"groceries": 10}))
    for _ in range(EPISODE_DAYS - 1):
        env.step(InventoryAction())
    assert state["cash"] == env.state.cash


def test_mcp_tools_are_listed_over_http(server_url: str) -> None:
    reply = httpx.post(
        f"{server_url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    ).json()
    assert [tool["name"] for tool in reply["result"]["tools"]] == [
        "start_episode",
        "simulate_day",
        "episode_state",
    ]


# ------------------------------------------------------------------------ score reward mode
def test_score_rewards_sum_to_the_graders_score() -> None:
    """openenv's validation reads the summed rewards: in ``score`` mode they are the grade."""
    from server.grader import clairvoyant_plan, grade, scenario_baselines

    env = InventoryEnvironment(baselines=scenario_baselines)
    env.reset(task_name="easy", seed=1001, reward_mode="score")
    rewards = [env.step(action).reward for action in clairvoyant_plan("easy", 1001)]
    profit = env.state.cash - env.state.starting_cash
    assert abs(sum(rewards) - grade("easy", profit, 1001)["unclamped_score"]) < 1e-9
    assert sum(rewards) > 0.9  # the clairvoyant plan earns nearly the ceiling

    env.reset(task_name="easy", seed=1001, reward_mode="score")
    passive = [env.step(InventoryAction()).reward for _ in range(EPISODE_DAYS)]
    assert abs(sum(passive)) < 1e-9  # the floor


# ---------------------------------------------------------------------------- production mode
def test_production_mode_has_no_simulation_controls(live_server_factory: Any) -> None:
    url = live_server_factory({"OPENENV_MODE": "production"})
    paths = httpx.get(f"{url}/openapi.json").json()["paths"]
    for path in ("/reset", "/step", "/state"):
        assert path not in paths
    assert httpx.post(f"{url}/reset").status_code in (404, 405)
    for path in ("/health", "/schema", "/tasks", "/inventory_env/splits"):
        assert httpx.get(f"{url}{path}").status_code == 200, path

    async def play() -> dict[str, Any]:
        async with websockets.connect(_ws(url, "/ws")) as ws:
            await _ask(ws, {"type": "reset", "data": {"task_name": "easy"}})
            return await _ask(ws, {"type": "step", "data": {}})

    assert asyncio.run(play())["data"]["observation"]["current_day"] == 1


def test_task_api_404_is_still_undeclared_by_openenv() -> None:
    """WORKAROUNDS['task_api_404_undeclared']: openenv's own task API routes do not declare the
    404 they answer; when openenv declares it, document_task_api_errors can go."""
    from openenv.core.env_server.http_server import create_app

    from models import InventoryObservation
    from server.openenv_compat import ServedInventoryEnvironment

    bare = create_app(
        ServedInventoryEnvironment,
        WireInventoryAction,
        InventoryObservation,
        env_name="inventory_env",
    )
    paths = bare.openapi()["paths"]
    task_paths = [path for path in paths if path.startswith("/{env_name}/")]
    assert task_paths, "openenv no longer offers the task API routes"
    assert all("404" not in str(list(paths[p].values())[0]["responses"]) for p in task_paths)
