"""The environment's actions as MCP tools, for tool-calling agents (transport only).

openenv 0.10 answers ``tools/list`` and ``tools/call`` for an environment that has an
``mcp_server`` attribute (a FastMCP server): on the WebSocket ``/mcp`` (one session per
connection), in the ``mcp`` message of ``/ws`` (the same session as ``reset`` / ``step``), and
on HTTP ``POST /mcp`` (a throwaway environment per request, so useful for ``tools/list`` only).
Tool names avoid ``reset``, ``step``, ``state`` and ``close``, which openenv reserves.

openenv calls a tool's function directly with the request's arguments (FastMCP does not check
them), so every tool validates through the same models as ``/ws`` and answers a bad call with
``{"error": ...}``, leaving the episode as it was.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from models import InventoryAction
from server.inventory_env import EpisodeStateError, InventoryEnvironment

TOOL_NAMES = ("start_episode", "simulate_day", "episode_state")


def _error(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        messages = [f"{'.'.join(map(str, e['loc'])) or 'action'}: {e['msg']}" for e in exc.errors()]
        return {"error": "; ".join(messages)}
    return {"error": str(exc)}


def _frame(observation: Any) -> dict[str, Any]:
    return {
        "observation": observation.model_dump(mode="json", exclude={"reward", "done"}),
        "reward": observation.reward,
        "done": observation.done,
    }


def build_mcp_server(env: InventoryEnvironment) -> Any:
    """A FastMCP server whose tools act on ``env`` (one environment per session)."""
    from fastmcp import FastMCP

    server = FastMCP("inventory_env")

    @server.tool
    def start_episode(
        task_name: str = "easy", seed: int | None = None, reward_mode: str = "shaped"
    ) -> dict[str, Any]:
        """Start a 30-day month of task easy, medium or hard on a scenario seed (omitted: the
        task's default seed). Returns day 0's observation. reward_mode: shaped, profit or
        score."""
        try:
            return _frame(env.reset(task_name=task_name, seed=seed, reward_mode=reward_mode))
        except (ValueError, TypeError) as exc:
            return _error(exc)

    @server.tool
    def simulate_day(
        buy_quantities: dict[str, int] | None = None,
        delivery_method: str = "slow",
        liquidate: dict[str, int] | None = None,
        price_multipliers: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        """Make today's decisions and simulate the day. buy_quantities: units to order per
        product (groceries, electronics, clothing, furniture, toys); delivery_method: slow
        ($2/unit, 3-7 days), medium ($5/unit, 2-4 days) or fast ($10/unit, next day);
        liquidate: units to dispose of per product; price_multipliers: 0.5 to 1.5 per product.
        Returns the day's observation, reward and whether the month is over."""
        fields = {
            "buy_quantities": buy_quantities or {},
            "delivery_method": delivery_method,
            "liquidate": liquidate or {},
            "price_multipliers": price_multipliers or {},
        }
        try:
            return _frame(env.step(InventoryAction.model_validate(fields)))
        except (ValidationError, EpisodeStateError, ValueError) as exc:
            return _error(exc)

    @server.tool
    def episode_state() -> dict[str, Any]:
        """The whole state of the current episode: day, cash, stock, shipments, totals."""
        return env.state.model_dump(mode="json")

    return server
