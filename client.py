"""Client of the inventory environment: one WebSocket session per client, one episode at a time.

Async::

    from client import InventoryEnv
    from models import InventoryAction

    async with InventoryEnv(base_url="http://localhost:8000") as env:
        result = await env.reset(task_name="medium", seed=7)
        while not result.done:
            result = await env.step(InventoryAction(buy_quantities={"groceries": 10}))
        print(result.observation.total_profit)

Sync, through ``.sync()``::

    with InventoryEnv(base_url="http://localhost:8000").sync() as env:
        result = env.reset(task_name="easy")
        result = env.step(InventoryAction())

A request the server refuses (invalid action, step after the episode ended ...) raises
``RuntimeError`` naming the problem; the session and its episode stay as they were.
"""

from __future__ import annotations

from typing import Any

from models import InventoryAction, InventoryObservation, InventoryState
from server.openenv_light import EnvClient, StepResult


class InventoryEnv(EnvClient[InventoryAction, InventoryObservation, InventoryState]):
    """Typed ``EnvClient`` for the inventory environment (async; ``.sync()`` for blocking use)."""

    async def reset(  # type: ignore[override]
        self,
        task_name: str | None = None,
        seed: int | None = None,
        reward_mode: str | None = None,
        episode_id: str | None = None,
    ) -> StepResult[InventoryObservation]:
        """Start an episode of ``task_name`` (default easy) on ``seed`` (default: the task's).

        ``reward_mode`` is ``shaped`` (default), ``profit`` or ``score`` (docs/trust.md).
        """
        params = {
            "task_name": task_name,
            "seed": seed,
            "reward_mode": reward_mode,
            "episode_id": episode_id,
        }
        return await super().reset(**{k: v for k, v in params.items() if v is not None})

    def _step_payload(self, action: InventoryAction) -> dict[str, Any]:
        if isinstance(action, dict):  # tolerated: a plain dict is validated by the server
            return action
        return action.model_dump(exclude={"metadata"})

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[InventoryObservation]:
        observation = InventoryObservation.model_validate(
            {
                **payload.get("observation", {}),
                "reward": payload.get("reward"),
                "done": payload.get("done", False),
            }
        )
        return StepResult(
            observation=observation,
            reward=payload.get("reward"),
            done=bool(payload.get("done", False)),
        )

    def _parse_state(self, payload: dict[str, Any]) -> InventoryState:
        return InventoryState.model_validate(payload)

    async def _send_and_receive(self, message: dict[str, Any]) -> dict[str, Any]:
        """As openenv's, but the error names what was wrong (openenv's says "Invalid message"
        and leaves the details in the frame's ``errors``)."""
        await self._send(message)
        response = await self._receive()
        if response.get("type") == "error":
            data = response.get("data") or {}
            text = str(data.get("message", "Unknown error"))
            details = [
                f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg')}"
                for error in data.get("errors") or ()
                if isinstance(error, dict)
            ]
            if details:
                text = f"{text}: {'; '.join(details)}"
            raise RuntimeError(f"Server error: {text} (code: {data.get('code', 'UNKNOWN')})")
        return response
