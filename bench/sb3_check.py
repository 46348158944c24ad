"""Stable-Baselines3 accepts the Gymnasium adapter: its env checker, then a short PPO run.

Not part of the test suite (SB3 needs torch, which is not a dev dependency). Run it where
both are installed, e.g. ``pip install torch stable-baselines3 && pip install -e ".[gym]"``::

    python bench/sb3_check.py --timesteps 3000

Prints the checker's verdict, then the mean graded score of the untrained and the trained
PPO policy on the same held-out scenarios, next to the passive floor (0 by definition).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gymnasium  # noqa: E402
from stable_baselines3 import PPO  # noqa: E402
from stable_baselines3.common.env_checker import check_env  # noqa: E402
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402

import adapters.gym_env  # noqa: E402, F401  (registers the ids)

EVAL_SEEDS = range(900, 910)


def mean_score(model: PPO, env_id: str) -> float:
    env = gymnasium.make(env_id)
    scores = []
    for seed in EVAL_SEEDS:
        observation, _ = env.reset(seed=seed)
        done = False
        while not done:
            action, _ = model.predict(observation, deterministic=True)
            observation, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        scores.append(info["grade"]["unclamped_score"])
    return statistics.mean(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env-id", default="InventoryEasy-v0")
    parser.add_argument("--timesteps", type=int, default=3000)
    args = parser.parse_args()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(gymnasium.make(args.env_id).unwrapped, warn=True)
    print(f"SB3 check_env({args.env_id}): passed, {len(caught)} warning(s)")
    for warning in caught:
        print("  warning:", warning.message)

    # SB3 has its own vector envs (gymnasium's SyncVectorEnv is not one): build them from the id.
    vector = make_vec_env(args.env_id, n_envs=4, seed=0, env_kwargs={"grade_at_end": False})
    model = PPO("MlpPolicy", vector, n_steps=120, batch_size=120, seed=0, verbose=0)
    untrained = mean_score(model, args.env_id)
    start = time.perf_counter()
    model.learn(total_timesteps=args.timesteps)
    seconds = time.perf_counter() - start
    trained = mean_score(model, args.env_id)
    print(
        f"PPO on {args.env_id}, {args.timesteps} steps in {seconds:.1f} s: mean graded score "
        f"over seeds {EVAL_SEEDS.start}-{EVAL_SEEDS.stop - 1}: untrained {untrained:.3f}, "
        f"trained {trained:.3f} (passive floor 0)"
    )


if __name__ == "__main__":
    main()
