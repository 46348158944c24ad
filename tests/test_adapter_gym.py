"""The Gymnasium adapter: registration, Gymnasium's own checker, seeds, rewards, info, vectors."""

from __future__ import annotations

import re
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import adapters.gym_env  # noqa: F401  (registers the ids)
from adapters.gym_encoding import (
    ACTION_SIZE,
    OBSERVATION_FIELDS,
    OBSERVATION_SIZE,
    UNIT_FIELDS,
    decode_action,
    encode_observation,
)
from adapters.gym_env import ENV_IDS, InventoryGymEnv, InventoryVectorEnv, make_vector_env
from adapters.tasks import capacity
from models import InventoryAction
from server.constants import PRODUCTS
from server.grader import grade
from server.inventory_env import InventoryEnvironment


def play(env: gymnasium.Env, actions: list[np.ndarray], seed: int | None) -> dict:
    observation, info = env.reset(seed=seed)
    observations, rewards = [observation], []
    for action in actions:
        observation, reward, terminated, truncated, info = env.step(action)
        observations.append(observation)
        rewards.append(reward)
        if terminated or truncated:
            break
    return {"observations": observations, "rewards": rewards, "info": info, "done": terminated}


def random_actions(seed: int, n: int = 30) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, ACTION_SIZE).astype(np.float32) for _ in range(n)]


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_registered_ids_pass_gymnasiums_checker_without_warnings(env_id: str) -> None:
    env = gymnasium.make(env_id)
    assert env.unwrapped.task == ENV_IDS[env_id]
    assert isinstance(env.action_space, gymnasium.spaces.Box)  # flat, as SB3 wants
    assert env.action_space.shape == (ACTION_SIZE,)
    assert env.observation_space.shape == (OBSERVATION_SIZE,) == (len(OBSERVATION_FIELDS),)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=False)


def test_seeded_reset_reproduces_the_scenario_and_matches_the_simulator() -> None:
    actions = random_actions(0)
    first = play(InventoryGymEnv(task="medium", grade_at_end=False), actions, seed=42)
    second = play(InventoryGymEnv(task="medium", grade_at_end=False), actions, seed=42)
    assert first["done"] and len(first["rewards"]) == 30
    for a, b in zip(first["observations"], second["observations"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert first["rewards"] == second["rewards"]

    direct = InventoryEnvironment()
    observation = direct.reset(task_name="medium", seed=42, reward_mode="profit")
    np.testing.assert_array_equal(encode_observation(observation), first["observations"][0])
    for action in actions:
        observation = direct.step(decode_action(action, "medium"))
    assert first["info"]["profit"] == pytest.approx(observation.total_profit)
    assert sum(first["rewards"]) == pytest.approx(0.001 * observation.total_profit)

    other = play(InventoryGymEnv(task="medium", grade_at_end=False), actions, seed=43)
    assert other["info"]["profit"] != first["info"]["profit"]


def test_unseeded_resets_follow_the_seeded_generator() -> None:
    def scenario_seeds(env: InventoryGymEnv) -> list[int]:
        seeds = [env.reset(seed=5)[1]["scenario_seed"]]
        seeds += [env.reset()[1]["scenario_seed"] for _ in range(3)]
        return seeds

    seeds = scenario_seeds(InventoryGymEnv())
    assert seeds == scenario_seeds(InventoryGymEnv())
    assert seeds[0] == 5 and len(set(seeds)) == 4
    env = InventoryGymEnv()
    env.reset(seed=5)
    _, info = env.reset(options={"scenario_seed": 1001})
    assert info["scenario_seed"] == 1001


def test_last_info_carries_the_grade_and_score_rewards_sum_to_it() -> None:
    result = play(InventoryGymEnv(task="easy", reward_mode="score"), random_actions(1), seed=9)
    final = result["info"]
    expected = grade("easy", final["profit"], seed=9)
    assert final["day"] == 30 and final["task"] == "easy" and final["scenario_seed"] == 9
    assert final["grade"] == pytest.approx(expected)
    assert sum(result["rewards"]) == pytest.approx(expected["unclamped_score"], abs=1e-9)
    no_grade = play(InventoryGymEnv(grade_at_end=False), random_actions(1), seed=9)
    assert "grade" not in no_grade["info"]


def test_action_decoding_covers_every_decision() -> None:
    nothing = decode_action(np.full(ACTION_SIZE, -1.0), "hard")
    assert nothing.buy_quantities == {} and nothing.liquidate == {}
    assert nothing.delivery_method == "slow"
    assert nothing.price_multipliers == dict.fromkeys(PRODUCTS, 0.5)

    everything = decode_action(np.ones(ACTION_SIZE), "hard")
    assert everything.buy_quantities == capacity("hard")
    assert everything.liquidate == capacity("hard")
    assert everything.delivery_method == "fast"
    assert everything.price_multipliers == dict.fromkeys(PRODUCTS, 1.5)

    middle = decode_action(np.zeros(ACTION_SIZE), "easy")
    assert middle == InventoryAction(delivery_method="medium")
    half = np.zeros(ACTION_SIZE)
    half[PRODUCTS.index("groceries")] = 0.5
    assert decode_action(half, "easy").buy_quantities == {
        "groceries": round(0.5 * capacity("easy")["groceries"])
    }
    with pytest.raises(ValueError, match="entries"):
        decode_action(np.zeros(ACTION_SIZE - 1), "easy")


def test_vector_entry_points() -> None:
    vector = make_vector_env(3, task="hard")
    assert isinstance(vector, InventoryVectorEnv)
    observations, infos = vector.reset(seed=100)
    assert observations.shape == (3, OBSERVATION_SIZE)
    assert list(infos["scenario_seed"]) == [100, 101, 102]
    observations, rewards, terminated, truncated, _ = vector.step(vector.action_space.sample())
    assert rewards.shape == (3,) and not terminated.any() and not truncated.any()
    vector.close()

    made = gymnasium.make_vec("InventoryEasy-v0", num_envs=2)  # the batch simulator by default
    assert isinstance(made.unwrapped, InventoryVectorEnv) and made.unwrapped.task == "easy"
    observations, _ = made.reset(seed=0)
    assert observations.shape == (2, OBSERVATION_SIZE)
    made.close()
    synced = gymnasium.make_vec("InventoryEasy-v0", num_envs=2, vectorization_mode="sync")
    assert isinstance(synced, SyncVectorEnv)


def test_the_vector_env_pays_the_score_reward_with_the_graders_baselines() -> None:
    """The adapter gives the batch simulator the grader's floor and ceiling (the simulator
    takes them injected): each episode's rewards sum to its graded, unclamped score."""
    vector = InventoryVectorEnv(2, task="easy", reward_mode="score")
    _, infos = vector.reset(seed=9)
    assert list(infos["scenario_seed"]) == [9, 10]
    totals = np.zeros(2)
    for day, action in enumerate(random_actions(3)):
        _, rewards, terminated, _, infos = vector.step(np.stack([action, -action]))
        totals += rewards
        assert terminated.all() == (day == 29)
    for row, seed in enumerate((9, 10)):
        expected = grade("easy", float(infos["profit"][row]), seed=seed)["unclamped_score"]
        assert totals[row] == pytest.approx(expected, abs=1e-9)
    assert totals[0] != pytest.approx(totals[1])  # two episodes, two scores
    vector.close()


INFO_KEYS = ("task", "scenario_seed", "day", "profit", "rejected_orders")


def assert_same_infos(ours: dict, theirs: dict) -> None:
    for key in INFO_KEYS:
        mask = theirs[f"_{key}"]
        assert np.array_equal(ours[f"_{key}"], mask), key
        assert list(ours[key][mask]) == list(theirs[key][mask]), key


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_the_vector_env_plays_exactly_what_single_envs_in_a_sync_vector_env_play(mode) -> None:
    """Three episodes each, a partial reset in between (episodes out of step afterwards):
    the same observations, rewards, flags and info, auto-resets and their seeds included."""
    n = 4
    ours = make_vector_env(n, task="medium", autoreset_mode=mode)
    theirs = SyncVectorEnv(
        [lambda: InventoryGymEnv(task="medium", grade_at_end=False) for _ in range(n)],
        autoreset_mode=mode,
    )
    ours_obs, ours_info = ours.reset(seed=7)
    their_obs, their_info = theirs.reset(seed=7)
    np.testing.assert_array_equal(ours_obs, their_obs)
    assert_same_infos(ours_info, their_info)
    rng = np.random.default_rng(3)
    finished = 0
    seen = [ours_obs]
    for step in range(3 * 30 + 7):
        if step == 11:
            mask = np.array([True, False, True, False])
            ours_obs, ours_info = ours.reset(options={"reset_mask": mask.copy()})
            their_obs, their_info = theirs.reset(options={"reset_mask": mask.copy()})
            np.testing.assert_array_equal(ours_obs, their_obs)
            assert_same_infos(ours_info, their_info)
        actions = rng.uniform(-1.2, 1.2, (n, ACTION_SIZE)).astype(np.float32)
        mine, reference = ours.step(actions), theirs.step(actions)
        for got, expected in zip(mine[:4], reference[:4], strict=True):
            np.testing.assert_array_equal(got, expected)
        assert_same_infos(mine[4], reference[4])
        if mode == AutoresetMode.SAME_STEP and reference[2].any():
            for row in np.flatnonzero(reference[2]):
                final = mine[4]["final_obs"][row]
                np.testing.assert_array_equal(final, reference[4]["final_obs"][row])
                assert (
                    mine[4]["final_info"]["profit"][row]
                    == (reference[4]["final_info"]["profit"][row])
                )
        finished += int(reference[2].sum())
        seen.append(mine[0])
    assert finished >= 2 * n  # every env finished at least twice: auto-resets were compared
    shown = np.concatenate(seen)
    for field in ("lost", "overdue", "cost_notice", "cost_notice_start", "cost_notice_end"):
        columns = [OBSERVATION_FIELDS.index(f"{field}:{p}") for p in PRODUCTS]
        assert (shown[:, columns] != 0).any(), f"the run never showed {field}"


def test_the_vector_env_grades_finished_episodes_when_asked() -> None:
    vector = make_vector_env(1, task="easy", grade_at_end=True)
    vector.reset(seed=9)
    actions = random_actions(1)
    for action in actions:
        _, _, terminated, _, info = vector.step(action[None])
    assert terminated[0] and info["_grade"][0]
    expected = grade("easy", float(info["profit"][0]), seed=9)
    assert {key: info["grade"][key][0] for key in expected} == pytest.approx(expected)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        InventoryGymEnv(task="impossible")
    with pytest.raises(ValueError, match="reward_mode"):
        InventoryGymEnv(reward_mode="vibes")
    with pytest.raises(RuntimeError, match="reset"):
        InventoryGymEnv().step(np.zeros(ACTION_SIZE, dtype=np.float32))


def test_render_shows_the_day_in_ansi_and_other_modes_are_accepted() -> None:
    env = InventoryGymEnv(render_mode="ansi")
    env.reset(seed=2)
    assert "Day 0 of 30" in env.render()
    # SB3's make_vec_env asks every env for "rgb_array": accepted, renders nothing.
    other = InventoryGymEnv(render_mode="rgb_array")
    other.reset(seed=2)
    assert other.render() is None


def test_the_documented_observation_layout_matches_the_field_names() -> None:
    """The encoder docstring's table: its ranges tile the vector and start at the named field."""
    import adapters.gym_encoding as encoding

    table = (encoding.__doc__ or "").split("fields                               scaling")[1]
    rows = re.findall(r"^(\d+)-(\d+)\s+(\S+)", table, re.MULTILINE)
    ranges = [(int(a), int(b), name.strip("`,")) for a, b, name in rows]
    assert ranges[0][0] == 0 and ranges[-1][1] == OBSERVATION_SIZE - 1
    for (_, end, _), (start, _, _) in zip(ranges, ranges[1:], strict=False):
        assert start == end + 1
    for start, _, name in ranges:  # each row starts at a field of the name it shows
        expected = {"UNIT_FIELDS": UNIT_FIELDS[0], "COST_NOTICE_FIELDS": "cost_notice"}
        prefix = expected.get(name, name.split(":")[0])
        assert OBSERVATION_FIELDS[start].startswith(prefix), (start, name)
