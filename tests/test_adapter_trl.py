"""``InventoryToolEnv`` driven the way TRL's GRPOTrainer drives an ``environment_factory``.

TRL (1.16) lists the tools with ``inspect.getmembers(type(env), inspect.isfunction)`` minus
``reset``, ``get_reward`` and private names, renders their schemas with transformers'
``get_json_schema``, calls ``reset(**row)`` and each tool as ``tool(**arguments)`` with the
arguments the model wrote as JSON, and turns a raised exception into an error for the model.
No model is downloaded: the "model" here is the project's heuristic agent.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path

import pytest
from transformers.utils import get_json_schema

from adapters.trl_env import InventoryToolEnv
from models import InventoryAction
from server.agents import PassiveAgent
from server.constants import PRODUCTS
from server.grader import grade
from server.heuristic_agent import HeuristicAgent
from server.in_process_episode import run_episode
from server.inventory_env import InventoryEnvironment

TOOLS = {"order", "set_shipping", "set_price", "liquidate", "end_day"}


def trl_tools(env: InventoryToolEnv) -> dict:
    """The tools exactly as TRL collects them from an environment instance."""
    return {
        name: getattr(env, name)
        for name, _ in inspect.getmembers(type(env), predicate=inspect.isfunction)
        if name not in ("reset", "get_reward") and not name.startswith("_")
    }


def call(tools: dict, name: str, **arguments: object) -> object:
    """One tool call as TRL makes it: arguments go through JSON, as the model wrote them."""
    return tools[name](**json.loads(json.dumps(arguments)))


def as_tool_calls(action: InventoryAction) -> list[tuple[str, dict]]:
    calls: list[tuple[str, dict]] = [("set_shipping", {"method": action.delivery_method})]
    calls += [("order", {"product": p, "quantity": q}) for p, q in action.buy_quantities.items()]
    calls += [
        ("set_price", {"product": p, "multiplier": m}) for p, m in action.price_multipliers.items()
    ]
    calls += [("liquidate", {"product": p, "quantity": q}) for p, q in action.liquidate.items()]
    return calls + [("end_day", {})]


def test_trl_finds_exactly_the_decision_tools_and_their_schemas() -> None:
    env = InventoryToolEnv()  # TRL calls the factory with no argument
    tools = trl_tools(env)
    assert set(tools) == TOOLS
    schemas = {name: get_json_schema(tool)["function"] for name, tool in tools.items()}
    for name in ("order", "set_price", "liquidate"):
        product = schemas[name]["parameters"]["properties"]["product"]
        assert product["enum"] == list(PRODUCTS)
        assert product["description"]
    assert schemas["order"]["parameters"]["properties"]["quantity"]["type"] == "integer"
    assert schemas["set_price"]["parameters"]["properties"]["multiplier"]["type"] == "number"
    assert schemas["set_shipping"]["parameters"]["properties"]["method"]["enum"] == [
        "slow",
        "medium",
        "fast",
    ]
    assert schemas["end_day"]["parameters"]["properties"] == {}
    assert all(schema["description"] for schema in schemas.values())


def test_full_episode_through_tool_calls_matches_the_simulator_and_the_grader() -> None:
    task, seed = "medium", 11
    direct = InventoryEnvironment()
    observation = direct.reset(task_name=task, seed=seed)
    agent = HeuristicAgent()
    agent.reset(task)

    env = InventoryToolEnv()
    tools = trl_tools(env)
    opening = env.reset(task=task, seed=seed, prompt=[{"role": "user", "content": "Play."}])
    assert f'Task "{task}"' in opening and "Day 0 of 30" in opening
    assert "end_day" in opening and "JSON object" not in opening

    days = 0
    report = ""
    while not observation.done:
        action = agent.act(observation)
        observation = direct.step(action)
        for name, arguments in as_tool_calls(action):
            report = call(tools, name, **arguments)
        days += 1
        assert env.profit == pytest.approx(observation.total_profit)
    assert days == 30 and env.done
    assert "The month is over" in report

    expected = grade(task, observation.total_profit, seed=seed)
    assert expected["agent_profit"] > expected["floor"]  # a real policy, not the floor again
    assert env.get_reward() == pytest.approx(expected["unclamped_score"], abs=1e-9)
    assert env.grade["score"] == pytest.approx(expected["score"])
    with pytest.raises(ValueError, match="month is over"):
        call(tools, "order", product="toys", quantity=1)


def test_unfinished_rollout_is_scored_on_the_whole_month_with_do_nothing_days() -> None:
    env = InventoryToolEnv()
    tools = trl_tools(env)
    env.reset(task="easy", seed=5)
    call(tools, "order", product="groceries", quantity=20)
    call(tools, "end_day")
    call(tools, "order", product="toys", quantity=3)  # decided, but the day never ended

    direct = InventoryEnvironment()
    direct.reset(task_name="easy", seed=5)
    observation = direct.step(InventoryAction(buy_quantities={"groceries": 20}))
    while not observation.done:
        observation = direct.step(InventoryAction())
    expected = grade("easy", observation.total_profit, seed=5)["unclamped_score"]
    assert env.get_reward() == pytest.approx(expected, abs=1e-9)
    assert env.done


def test_passive_rollout_scores_zero() -> None:
    env = InventoryToolEnv()
    env.reset(task="easy", seed=None)  # the task's default seed
    assert env.scenario == ("easy", 1001)
    floor = run_episode(PassiveAgent(), "easy", None).profit
    assert env.get_reward() == pytest.approx(0.0, abs=1e-9)
    assert env.profit == pytest.approx(floor)


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("order", {"product": "bananas", "quantity": 1}, "unknown product"),
        ("order", {"product": "toys", "quantity": -2}, ">= 0"),
        ("order", {"product": "toys", "quantity": 1.5}, ">= 0"),
        ("liquidate", {"product": "toys", "quantity": "3"}, "whole number"),
        ("set_price", {"product": "toys", "multiplier": 2.0}, r"\[0.5, 1.5\]"),
        ("set_shipping", {"method": "teleport"}, "unknown shipping"),
    ],
)
def test_bad_tool_calls_raise_a_message_for_the_model_and_change_nothing(
    name: str, arguments: dict, message: str
) -> None:
    env = InventoryToolEnv()
    tools = trl_tools(env)
    env.reset(task="easy", seed=3)
    before = call(tools, "set_shipping", method="slow")
    with pytest.raises(ValueError, match=message):
        call(tools, name, **arguments)
    assert call(tools, "set_shipping", method="slow") == before


def test_decisions_accumulate_until_end_day_and_then_clear() -> None:
    env = InventoryToolEnv()
    tools = trl_tools(env)
    env.reset(task="easy", seed=3)
    call(tools, "order", product="toys", quantity=4)
    call(tools, "order", product="toys", quantity=6)  # replaces today's order
    summary = call(tools, "set_price", product="toys", multiplier=1.25)
    assert "toys 6" in summary and "toys 1.25x" in summary
    report = call(tools, "end_day")
    assert "6 toys (slow)" in report
    assert "Day 1 of 30" in report
    assert "orders" not in call(tools, "set_shipping", method="fast")


def test_example_training_rows_reset_the_environment_as_trl_passes_them() -> None:
    path = Path(__file__).resolve().parent.parent / "examples" / "train_grpo.py"
    spec = importlib.util.spec_from_file_location("train_grpo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no TRL: that happens in main()

    rows = module.training_rows(["easy", "hard"], seeds_per_task=3, first_seed=1000)
    assert [(r["task"], r["seed"]) for r in rows] == [
        ("easy", 1000),
        ("easy", 1002),  # 1001 is easy's default seed, kept for evaluation
        ("easy", 1003),
        ("hard", 1000),
        ("hard", 1002),
        ("hard", 1003),
    ]
    env = InventoryToolEnv()
    for row in rows[:1] + rows[-1:]:
        opening = env.reset(**row)  # TRL passes every column, the prompt included
        assert f'Task "{row["task"]}"' in opening
        assert env.scenario == (row["task"], row["seed"])


def test_the_model_reads_the_risks_cost_notices_lost_and_overdue_shipments() -> None:
    """On hard, a model that keeps ordering is told each new mechanic in the day reports, in
    the LLM agent's wording (``server.llm_agent.observation_message``), and the opening warns
    of them (its risk lines)."""
    direct = InventoryEnvironment()
    observation = direct.reset(task_name="hard", seed=0)
    env = InventoryToolEnv()
    tools = trl_tools(env)
    opening = env.reset(task="hard", seed=0)
    assert "Risks:" in opening and "cost notices" in opening and "forecasts" in opening
    reports, lost, overdue, noticed = [opening], 0, False, False
    while not observation.done:
        action = InventoryAction(buy_quantities=dict.fromkeys(PRODUCTS, 3))
        for name, arguments in as_tool_calls(action):
            reports.append(str(call(tools, name, **arguments)))
        day = observation.current_day + 1
        observation = direct.step(action)
        lost += sum(observation.units_lost.values())
        overdue |= any(s["latest_arrival_day"] < day for s in observation.updated_deliveries)
        noticed |= bool(observation.cost_notices)
        report = reports[-1]
        for notice in observation.cost_notices:
            assert f"{notice['product']} unit cost x{notice['cost_multiplier']}" in report
        for product, units in observation.units_lost.items():
            if units:
                assert "lost by the supplier" in report and product in report
    assert lost and overdue and noticed  # the episode did show each of them
    text = "\n".join(reports)
    assert "Supplier cost notices:" in text and "overdue (promised by day" in text
