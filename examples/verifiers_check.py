"""Check that verifiers' OpenEnv taskset drives this server: its own code, a scripted player.

verifiers (0.4) plays OpenEnv environments with ``verifiers.v1.tasksets.openenv``: it reads
the action schema from ``GET /schema``, resets over OpenEnv's WebSocket client with the
task's ``resets`` arguments, sends each model reply through its ``parse_action`` as a step,
and records the sum of the per-step rewards as ``openenv_reward``. This script runs exactly
that code (``OpenEnvTaskset.load`` and ``OpenEnvEnv.run``) against a running server, with a
scripted player in place of a model (one fixed JSON action a day), and checks that a whole
month is played and rewarded.

verifiers pins ``mcp==2.0.0`` and so cannot share a virtual environment with this project
(its openenv needs ``mcp<2``): install it in a separate one and point it at the server::

    python3 -m venv /tmp/vf && /tmp/vf/bin/pip install "verifiers[openenv]>=0.4,<0.5"
    ./scripts/serve.sh &                     # the server, from this repository's .venv
    /tmp/vf/bin/python examples/verifiers_check.py --base-url http://localhost:8000

With a real model instead of the scripted player, use ``vf-eval`` with
``examples/verifiers_eval.toml``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from verifiers.v1.tasksets.openenv import OpenEnvConfig, OpenEnvEnv, OpenEnvTaskset

DAILY_ACTION = {
    "buy_quantities": {"groceries": 12, "toys": 3},
    "delivery_method": "slow",
    "price_multipliers": {"toys": 1.2},
}
"""What the scripted player answers every day: a plain JSON action, as a model would."""


@dataclass
class Segment:
    """The part of verifiers' ``Segment`` that ``OpenEnvEnv.run`` reads."""

    last_reply: str
    terminated: bool = False


@dataclass
class Trace:
    rewards: dict[str, float] = field(default_factory=dict)
    stopped: str | None = None

    def record_reward(self, name: str, value: float) -> None:
        self.rewards[name] = value

    def stop(self, reason: str) -> None:
        self.stopped = reason


@dataclass
class ScriptedInteraction:
    """Plays the model: reads each payload verifiers sends, answers with ``DAILY_ACTION``."""

    trace: Trace = field(default_factory=Trace)
    payloads: list[dict[str, Any]] = field(default_factory=list)

    async def turn(self, message: str) -> Segment:
        self.payloads.append(json.loads(message))
        return Segment(last_reply=json.dumps(DAILY_ACTION))


class ScriptedPlayer:
    def __init__(self) -> None:
        self.interactions: list[ScriptedInteraction] = []

    @asynccontextmanager
    async def interaction(self, task: Any) -> AsyncIterator[ScriptedInteraction]:
        interaction = ScriptedInteraction()
        self.interactions.append(interaction)
        yield interaction


@dataclass
class Agents:
    player: ScriptedPlayer = field(default_factory=ScriptedPlayer)


async def check(base_url: str, resets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    taskset = OpenEnvTaskset(OpenEnvConfig(base_url=base_url, resets=resets))
    results = []
    for task in taskset.load():
        agents = Agents()
        # run() reads nothing from the env instance; building a full vf.Env needs a harness.
        await OpenEnvEnv.run(object.__new__(OpenEnvEnv), task, agents)
        (interaction,) = agents.player.interactions
        last = interaction.payloads[-1]
        schema = last["action_schema"]
        results.append(
            {
                "task": task.data.name,
                "reset": task.data.reset,
                "turns": len(interaction.payloads),
                "action_schema_title": schema.get("title"),
                "action_fields": sorted(schema.get("properties", {})),
                "openenv_reward": interaction.trace.rewards.get("openenv_reward"),
                "stopped": interaction.trace.stopped,
                "last_observation_day": last["observation"].get("current_day"),
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://localhost:8000")
    parser.add_argument("--task", default="medium")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reward-mode",
        default="profit",
        help='"profit": openenv_reward is 0.001 x the month\'s profit; "score" where offered',
    )
    args = parser.parse_args()
    versions = {name: importlib.metadata.version(name) for name in ("verifiers", "openenv", "mcp")}
    print("versions:", json.dumps(versions))
    resets = [{"task_name": args.task, "seed": args.seed, "reward_mode": args.reward_mode}]
    (result,) = asyncio.run(check(args.base_url, resets))
    print(json.dumps(result, indent=2))
    # The episode ran to the end: 30 days, one model turn per day (the last reply ends it).
    assert result["turns"] == 30, result
    assert result["last_observation_day"] == 29, result
    assert result["stopped"] is None, result
    assert result["openenv_reward"] is not None, result
    assert result["action_schema_title"] == "InventoryAction", result
    health = httpx.get(f"{args.base_url}/health", timeout=10).json()
    print("server health:", json.dumps(health))
    print("OK: verifiers' OpenEnv taskset played a whole month on this server")


if __name__ == "__main__":
    main()
