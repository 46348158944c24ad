"""The built-in agents: the registry, the random agent's validity, the heuristic's quality and
its manners (no refused orders, no useful stock destroyed, learns from what it observes)."""

from __future__ import annotations

import copy

import pytest

from models import InventoryAction
from server.agents import AGENT_NAMES, PassiveAgent, RandomAgent, make_agent
from server.basestock_agent import TUNED, BasestockAgent, BasestockSettings
from server.constants import (
    ELASTICITY,
    EPISODE_DAYS,
    LEAD_TIME_DAYS,
    LEAD_TIME_JITTER,
    PRICE_MULTIPLIER_MAX,
    PRICE_MULTIPLIER_MIN,
    PRODUCTS,
    TASK_NAMES,
)
from server.heuristic_agent import HeuristicAgent, best_price
from server.in_process_episode import run_episode
from server.inventory_env import InventoryEnvironment
from server.task_catalog import get_task
from server.task_config import MECHANICS
from tests.task_files import TaskDir


def test_registry_builds_each_agent_and_names_the_allowed_ones() -> None:
    assert set(AGENT_NAMES) >= {"passive", "random", "heuristic"}
    assert isinstance(make_agent("passive"), PassiveAgent)
    assert isinstance(make_agent("random", 3), RandomAgent)
    assert isinstance(make_agent("heuristic"), HeuristicAgent)
    for name in ("passive", "random", "heuristic"):
        assert make_agent(name).name == name
    with pytest.raises(ValueError, match="allowed: .*heuristic"):
        make_agent("clever")


@pytest.fixture(scope="module")
def default_seed_profits() -> dict[str, dict[str, float]]:
    return {
        task: {
            name: run_episode(make_agent(name, seed=0), task).profit
            for name in ("passive", "random", "heuristic")
        }
        for task in TASK_NAMES
    }


@pytest.mark.parametrize("task", TASK_NAMES)
def test_heuristic_beats_passive_and_random_on_the_default_seed(
    task: str, default_seed_profits: dict[str, dict[str, float]]
) -> None:
    profits = default_seed_profits[task]
    assert profits["heuristic"] > 2 * profits["passive"]
    assert profits["heuristic"] > 2 * profits["random"]


@pytest.mark.parametrize("task", TASK_NAMES)
def test_basestock_is_a_fixed_price_order_up_to_rule_between_passive_and_heuristic(
    task: str, default_seed_profits: dict[str, dict[str, float]]
) -> None:
    agent = make_agent("basestock")
    assert isinstance(agent, BasestockAgent)
    env = InventoryEnvironment()
    observation = env.reset(task_name=task)
    agent.reset(task)
    prices, methods = set(), set()
    while not observation.done:
        action = agent.act(observation)
        prices.update(action.price_multipliers.values())
        methods.add(action.delivery_method)
        observation = env.step(action)
        assert not observation.rejected_orders, observation.rejected_orders
    assert prices == {TUNED[task].price} and methods == {TUNED[task].method}
    profits = default_seed_profits[task]
    assert profits["passive"] < observation.total_profit < profits["heuristic"]


def test_basestock_orders_up_to_the_expected_demand_of_lead_time_plus_review() -> None:
    """Hand-computed day 0 on easy (cash $1000) at price 1.0, medium shipping (3 days, $5/unit),
    review every 2 days: cover 3 + 2 = 5 days; weekend factor (7 + 2 x 0.2) / 7 = 1.0571.
    electronics: mean 2 x 1.0571 x 5 = 10.6 -> 11, minus 4 on hand = 7 x $105 = $735;
    clothing: 5 x 1.0571 x 5 = 26.4 -> 27 - 10 = 17 wanted, $265 left buys 8 x $30;
    groceries: 12 x 1.0571 x 5 = 63.4 -> 64 - 15 = 49 wanted, $25 left buys 2 x $10;
    furniture ($135) and toys ($17) get nothing from the last $5."""
    settings = BasestockSettings(price=1.0, method="medium", review_days=2, safety=1.0)
    agent = BasestockAgent(settings)
    env = InventoryEnvironment()
    observation = env.reset(task_name="easy", seed=0)
    agent.reset("easy")
    action = agent.act(observation)
    assert action.buy_quantities == {"electronics": 7, "clothing": 8, "groceries": 2}
    observation = env.step(action)
    assert agent.act(observation).buy_quantities == {}, "day 1 is not a review day"


def test_random_actions_are_valid_and_reproducible() -> None:
    for task in TASK_NAMES:
        for seed in (0, 1):
            env = InventoryEnvironment()
            observation = env.reset(task_name=task, seed=seed)
            agent = RandomAgent(seed)
            agent.reset(task)
            actions = []
            while not observation.done:
                action = agent.act(observation)
                # Valid on the wire: the dumped action validates again, unchanged.
                wire = action.model_dump(exclude={"metadata"})
                assert InventoryAction.model_validate(wire) == action
                for price in action.price_multipliers.values():
                    assert PRICE_MULTIPLIER_MIN <= price <= PRICE_MULTIPLIER_MAX
                actions.append(wire)
                observation = env.step(action)
            again = RandomAgent(seed)
            again.reset(task)
            replay = InventoryEnvironment()
            obs = replay.reset(task_name=task, seed=seed)
            assert [again.act(obs).model_dump(exclude={"metadata"}) for _ in actions] == actions
    first, second = RandomAgent(0), RandomAgent(1)
    first.reset("easy")
    second.reset("easy")
    observation = InventoryEnvironment().reset(task_name="easy")
    assert [first.act(observation) for _ in range(5)] != [second.act(observation) for _ in range(5)]


def _play(task: str, seed: int) -> tuple[list, list[InventoryAction]]:
    """Observations (before each step, and the last) and the heuristic's actions."""
    env = InventoryEnvironment()
    observation = env.reset(task_name=task, seed=seed)
    agent = HeuristicAgent()
    agent.reset(task)
    observations, actions = [observation], []
    while not observation.done:
        action = agent.act(observation)
        actions.append(action)
        observation = env.step(action)
        observations.append(observation)
    return observations, actions


@pytest.mark.parametrize("task", TASK_NAMES)
def test_heuristic_orders_are_never_refused_and_always_arrive_in_time(task: str) -> None:
    for seed in (0, 7):
        observations, actions = _play(task, seed)
        assert all(not obs.rejected_orders for obs in observations), "cash or space overrun"
        for day, action in enumerate(actions):
            if action.buy_quantities:
                method = action.delivery_method
                latest = day + LEAD_TIME_DAYS[method] + LEAD_TIME_JITTER[method]
                assert latest <= EPISODE_DAYS - 1, f"day {day}: {method} may arrive too late"


def test_heuristic_liquidates_only_groceries_that_would_expire_unsold(task_dir: TaskDir) -> None:
    """A glut of groceries on its last selling day: the surplus beyond any possible demand is
    disposed of (no expiry penalty), and nothing that could still sell."""
    # easy's scenario (same seed stream) with a glut of groceries on the shelf
    task_dir.add("glut", base="easy", starting_stock={"groceries": [[120, 1], [30, 5]]})
    liquidated = 0
    for seed in range(6):
        env = InventoryEnvironment()
        before = env.reset(task_name="glut", seed=seed)
        agent = HeuristicAgent()
        agent.reset("glut")
        action = agent.act(before)
        after = env.step(action)
        sold = after.units_sold["groceries"]
        assert 0 < after.units_liquidated["groceries"] <= 120 - sold
        assert env.state.inventory["groceries"][-1] == [30, 4], "fresh batch untouched"
        liquidated += after.units_liquidated["groceries"]
        after = env.step(agent.act(after))
        assert after.units_expired["groceries"] <= 12, "most of the glut was disposed of"
    assert liquidated > 0


def test_price_rule_follows_elasticity() -> None:
    bases = tuple(float(b) for b in range(10, 21))
    # Inelastic goods: revenue rises with price, so the top price wins.
    assert best_price("groceries", bases, 1.0, 7.0, float("inf"))[0] == PRICE_MULTIPLIER_MAX
    # An elastic good worth nothing to keep (a leftover) is priced lower than one that must
    # be replaced at cost, and lower prices sell more units.
    keep_price, keep_units, _ = best_price("clothing", bases, 1.0, 27.0, float("inf"))
    clear_price, clear_units, _ = best_price("clothing", bases, 1.0, 0.0, float("inf"))
    assert ELASTICITY["clothing"] > 1
    assert clear_price < keep_price and clear_units > keep_units
    # Scarce stock: never cheaper than with plenty of it.
    assert (
        best_price("toys", bases, 1.0, 14.0, 2.0)[0]
        >= best_price("toys", bases, 1.0, 14.0, float("inf"))[0]
    )


def test_heuristic_learns_demand_the_published_range_understates(task_dir: TaskDir) -> None:
    """Told that demand is a third of what it is, the agent notices and orders more (on
    medium's month without its mechanics: a published shift rule is learnt another way)."""
    task = "steady"
    medium = get_task("medium")
    plain = {k: v for k, v in medium.published.items() if k not in MECHANICS}
    task_dir.add(task, base=None, seed_stream=medium.seed_stream, **plain)
    understated = copy.deepcopy(get_task(task).published)
    understated["base_demand"] = {
        p: [low // 3, high // 3] for p, (low, high) in get_task(task).base_demand.items()
    }

    def play(agent: HeuristicAgent) -> tuple[float, dict[str, float]]:
        env = InventoryEnvironment()
        observation = env.reset(task_name=task, seed=5)
        agent.reset(task)
        for _ in range(12):
            observation = env.step(agent.act(observation))
        ratios = {p: agent._demand_ratio(p) for p in PRODUCTS}
        while not observation.done:
            observation = env.step(agent.act(observation))
        return observation.total_profit, ratios

    truthful_profit, truthful_ratios = play(HeuristicAgent())
    misled_profit, misled_ratios = play(HeuristicAgent(task_config=understated))
    assert all(ratio == 1.0 for ratio in truthful_ratios.values())
    assert all(ratio > 1.5 for ratio in misled_ratios.values()), misled_ratios
    assert misled_profit > 0.8 * truthful_profit
