"""Scores you can trust: verified grades, hidden scenarios, and a reward that sums to the score.

Against real servers (``tests/live_server.py``) and the real client: a public one, and two with
different ``SCENARIO_SECRET``s (fixtures ``hidden_a``, ``hidden_b`` in ``conftest``). The
in-process checks (scenario draw, registry, seed policy, settings) pin the pieces those servers
are built from.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from client import InventoryEnv
from models import InventoryAction
from server.agents import PassiveAgent, RandomAgent, ReplayAgent, make_agent
from server.constants import TASK_NAMES
from server.graded_episodes import (
    EpisodeNotFinishedError,
    GradedEpisodes,
    UnknownGradedEpisodeError,
)
from server.grader import clairvoyant_plan, grade
from server.hidden_scenarios import HiddenScenarios, ScenarioReplayError
from server.in_process_episode import run_episode
from server.inventory_env import InventoryEnvironment
from server.scenario import draw_scenario
from server.settings import ServerSettings
from tests.live_server import HIDDEN_A_ENV, HIDDEN_B_ENV

SECRET_A = HIDDEN_A_ENV["SCENARIO_SECRET"]
SECRET_B = HIDDEN_B_ENV["SCENARIO_SECRET"]
PUBLIC_DRAW_DIGEST = "8060384a6994dbb86892d632e0911347846ecf06347f164388fecf850f6d1b93"
"""sha256 of the public tables below, as drawn before secrets existed (same numbers)."""


def _play(
    url: str,
    actions: list[InventoryAction] | Callable[[Any], InventoryAction],
    **reset: Any,
) -> tuple[str, list[dict[str, Any]], dict[str, Any], float]:
    """One whole WebSocket episode: its id, every observation and the final state as JSON,
    and the sum of the rewards."""
    with InventoryEnv(base_url=url).sync() as env:
        result = env.reset(**reset)
        seen = [result.observation.model_dump()]
        total = 0.0
        day = 0
        while not result.done:
            if callable(actions):
                action = actions(result.observation)
            else:
                action = actions[day] if day < len(actions) else InventoryAction()
            result = env.step(action)
            seen.append(result.observation.model_dump())
            total += float(result.reward or 0.0)
            day += 1
        state = env.state().model_dump()
    return state["episode_id"], seen, state, total


def _grade_episode(url: str, episode_id: str) -> dict[str, Any]:
    answer = httpx.post(f"{url}/grader", json={"episode_id": episode_id}, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


# --------------------------------------------------------------------- in-process pieces
def test_the_public_draw_is_unchanged_and_a_secret_changes_it() -> None:
    digest = hashlib.sha256()
    for task in TASK_NAMES:
        for seed in (None, 0, 1, 7, 123456789):
            scenario = draw_scenario(task, seed)
            assert scenario.secret_tag is None
            digest.update(scenario.base_demand.astype("<i8").tobytes())
            digest.update(scenario.lead_time.astype("<i8").tobytes())
    assert digest.hexdigest() == PUBLIC_DRAW_DIGEST
    public = draw_scenario("medium", 5)
    a, b = draw_scenario("medium", 5, secret=SECRET_A), draw_scenario("medium", 5, secret=SECRET_B)
    assert (a.base_demand == draw_scenario("medium", 5, secret=SECRET_A).base_demand).all()
    for one, other in ((a, public), (b, public), (a, b)):
        assert (one.base_demand != other.base_demand).mean() > 0.5


def test_graded_episode_records_expire_and_are_bounded() -> None:
    now = [0.0]
    registry = GradedEpisodes(ttl_s=10.0, capacity=2, clock=lambda: now[0])
    scenario = draw_scenario("easy")
    registry.started("a", scenario, "shaped")
    with pytest.raises(EpisodeNotFinishedError):
        registry.finished_record("a")
    registry.finished("a", scenario, "shaped", 123.0)
    assert registry.finished_record("a").profit == 123.0
    registry.finished("b", scenario, "shaped", 1.0)
    registry.finished("c", scenario, "shaped", 2.0)  # evicts "a", the least recent
    with pytest.raises(UnknownGradedEpisodeError):
        registry.finished_record("a")
    now[0] = 10.5
    with pytest.raises(UnknownGradedEpisodeError, match="expired"):
        registry.finished_record("b")
    assert len(registry) == 0


def test_hidden_seed_policy_refuses_replays_and_fails_closed_when_full() -> None:
    policy = HiddenScenarios(SECRET_A, max_seeds=2)
    assert policy.assign("easy", 3) == 3
    with pytest.raises(ScenarioReplayError, match="already played"):
        policy.assign("easy", 3)
    assert policy.assign("hard", 3) == 3
    with pytest.raises(ScenarioReplayError, match="MAX_HIDDEN_SEEDS"):
        policy.assign("easy", 4)
    assert policy.assign("easy", None) != policy.assign("easy", None)  # fresh secret seeds
    with pytest.raises(ValueError, match="at least 16"):
        ServerSettings.from_env({"SCENARIO_SECRET": "short"})
    settings = ServerSettings.from_env({"SCENARIO_SECRET": SECRET_A})
    assert settings.scenario_secret == SECRET_A and SECRET_A not in repr(settings)


# ---------------------------------------------------------------------- verified grades
def test_a_claimed_profit_never_produces_a_verified_score(server_url: str) -> None:
    claimed = httpx.post(
        f"{server_url}/grader", json={"task_name": "easy", "agent_profit": 1e9}, timeout=120
    ).json()
    assert claimed["score"] == 1.0 and claimed["verified"] is False
    with InventoryEnv(base_url=server_url).sync() as env:
        env.reset(task_name="easy", seed=4)
        env.step(InventoryAction())
        running = env.state().episode_id
    unfinished = httpx.post(f"{server_url}/grader", json={"episode_id": running})
    assert unfinished.status_code == 409, unfinished.text
    unknown = httpx.post(f"{server_url}/grader", json={"episode_id": "never-issued"})
    assert unknown.status_code == 404, unknown.text
    both = httpx.post(f"{server_url}/grader", json={"episode_id": running, "agent_profit": 1e9})
    assert both.status_code == 422, both.text


def test_a_verified_grade_equals_the_same_actions_replayed_in_process(server_url: str) -> None:
    task, seed = "easy", 4
    actions = run_episode(RandomAgent(seed=9), task, seed).actions
    episode_id, seen, _, _ = _play(server_url, actions, task_name=task, seed=seed)
    replayed = run_episode(ReplayAgent(actions), task, seed).profit
    verified = _grade_episode(server_url, episode_id)
    assert verified["verified"] is True and verified["episode_id"] == episode_id
    assert verified["agent_profit"] == seen[-1]["total_profit"] == replayed
    expected = grade(task, replayed, seed)
    for key in ("floor", "ceiling", "score", "unclamped_score", "seed", "task_name"):
        assert verified[key] == pytest.approx(expected[key], abs=1e-9), key

    # An HTTP episode is graded the same way, from the profit the server booked.
    started = httpx.post(f"{server_url}/reset", json={"task_name": task, "seed": seed}).json()
    for action in actions:
        step = httpx.post(
            f"{server_url}/step",
            json={
                "action": action.model_dump(exclude={"metadata"}),
                "episode_id": started["episode_id"],
            },
        )
        assert step.status_code == 200, step.text
    http_grade = _grade_episode(server_url, started["episode_id"])
    assert http_grade["agent_profit"] == replayed and http_grade["verified"] is True


def test_score_rewards_sum_to_the_graded_score_on_every_task(server_url: str) -> None:
    for task in TASK_NAMES:
        agent = make_agent("heuristic")
        agent.reset(task)
        episode_id, _, state, total = _play(
            server_url, agent.act, task_name=task, seed=2, reward_mode="score"
        )
        verified = _grade_episode(server_url, episode_id)
        assert state["reward_mode"] == "score"
        assert total == pytest.approx(verified["unclamped_score"], abs=1e-9), task
        assert total == pytest.approx(state["total_reward"], abs=1e-9)


# --------------------------------------------------------------------- hidden scenarios
def test_servers_with_different_secrets_draw_different_scenarios(
    server_url: str, hidden_a: str, hidden_b: str
) -> None:
    seed = 987654321
    demand = {}
    for name, url in (("public", server_url), ("a", hidden_a), ("b", hidden_b)):
        _, seen, _, _ = _play(url, [], task_name="medium", seed=seed)
        demand[name] = [obs["demand_today"] for obs in seen[1:]]
    assert demand["a"] != demand["public"]
    assert demand["b"] != demand["public"]
    assert demand["a"] != demand["b"]
    # The public server plays the public draw of (task, seed); A plays the one of its secret.
    for name, secret in (("public", None), ("a", SECRET_A)):
        env = InventoryEnvironment(scenario_secret=secret)
        observation = env.reset(task_name="medium", seed=seed)
        in_process = []
        while not observation.done:
            observation = env.step(InventoryAction())
            in_process.append(observation.demand_today)
        assert in_process == demand[name], name


def test_nothing_an_agent_sees_names_the_seed_and_replays_are_refused(hidden_a: str) -> None:
    seed = 424242
    episode_id, seen, state, _ = _play(hidden_a, [], task_name="hard", seed=seed)
    text = json.dumps({"observations": seen, "state": state})
    assert str(seed) not in text
    assert state["seed"] is None and state["scenario_hidden"] is True
    assert all("seed" not in note for obs in seen for note in obs["notes"])
    tasks = httpx.get(f"{hidden_a}/tasks").json()
    assert tasks["scenarios_hidden"] is True
    assert all(task["default_seed"] is None for task in tasks["tasks"])
    # Verified grade of a hidden episode: no seed either, floor computed on the hidden scenario.
    verified = _grade_episode(hidden_a, episode_id)
    assert verified["seed"] is None and verified["scenario_hidden"] is True
    hidden = draw_scenario("hard", seed, secret=SECRET_A)
    assert verified["floor"] == run_episode(PassiveAgent(), "hard", scenario=hidden).profit
    assert verified["agent_profit"] == verified["floor"]  # an empty plan is the passive one
    # A seed given with an episode id would be an oracle for the hidden seed: refused.
    oracle = httpx.post(f"{hidden_a}/grader", json={"episode_id": episode_id, "seed": seed})
    assert oracle.status_code == 422
    # The same (task, seed) cannot be played again, over HTTP or WebSocket.
    again = httpx.post(f"{hidden_a}/reset", json={"task_name": "hard", "seed": seed})
    assert again.status_code == 409, again.text
    with (
        InventoryEnv(base_url=hidden_a).sync() as env,
        pytest.raises(RuntimeError, match="already played"),
    ):
        env.reset(task_name="hard", seed=seed)
    # Seedless resets play scenarios the server picks and never names.
    first = httpx.post(f"{hidden_a}/reset", json={"task_name": "hard"}).json()
    second = httpx.post(f"{hidden_a}/reset", json={"task_name": "hard"}).json()
    for answer in (first, second):
        assert "seed" not in json.dumps(answer["observation"]["notes"])
    step = {"action": {}}
    days = [
        httpx.post(f"{hidden_a}/step", json={**step, "episode_id": a["episode_id"]}).json()
        for a in (first, second)
    ]
    assert days[0]["observation"]["demand_today"] != days[1]["observation"]["demand_today"]
    http_state = httpx.get(f"{hidden_a}/state", params={"episode_id": first["episode_id"]})
    assert http_state.status_code == 200
    assert http_state.json()["seed"] is None and http_state.json()["scenario_hidden"] is True


def test_replaying_the_public_plan_scores_no_better_than_the_heuristic(hidden_a: str) -> None:
    """The public-plan attack: read (task, seed), replay the public clairvoyant plan. On a
    hidden scenario the plan is for another future; the heuristic, which plays what it sees,
    does better. Profits are compared on the same hidden scenario, so the scores compare
    the same way (one floor, one ceiling)."""
    task, attack_scores, heuristic_scores = "medium", [], []
    for seed in (0, 1):
        plan = clairvoyant_plan(task, seed)
        episode_id, _, _, _ = _play(hidden_a, plan, task_name=task, seed=seed)
        verified = _grade_episode(hidden_a, episode_id)
        hidden = draw_scenario(task, seed, secret=SECRET_A)
        heuristic = run_episode(make_agent("heuristic"), task, scenario=hidden).profit
        span = verified["ceiling"] - verified["floor"]
        attack_scores.append(verified["unclamped_score"])
        heuristic_scores.append((heuristic - verified["floor"]) / span)
    assert statistics.mean(attack_scores) < statistics.mean(heuristic_scores) - 0.05, (
        attack_scores,
        heuristic_scores,
    )


def test_score_reward_in_process_sums_to_the_unclamped_grade_on_hidden_scenarios() -> None:
    baselines = (1000.0, 3000.0)  # a stand-in: the sum must match whatever the bounds are
    env = InventoryEnvironment(scenario_secret=SECRET_B, baselines=lambda scenario: baselines)
    observation = env.reset(task_name="easy", seed=1, reward_mode="score")
    total = 0.0
    while not observation.done:
        observation = env.step(InventoryAction(buy_quantities={"groceries": 5}))
        total += observation.reward
    expected = (observation.total_profit - baselines[0]) / (baselines[1] - baselines[0])
    assert total == pytest.approx(expected, abs=1e-12)
    assert "seed" not in observation.metadata
