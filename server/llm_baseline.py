"""``GET /baseline`` played by the configured LLM: only when the operator allows it, one run
at a time, within a time limit.

An LLM run spends the operator's money and can take minutes, so it is off unless
``BASELINE_ALLOW_LLM`` is true and an endpoint is configured (``API_BASE_URL``, ``MODEL_NAME``,
``HF_TOKEN`` or ``API_KEY``, as for ``inference.py``). A second request while one runs is refused
(429). When ``BASELINE_LLM_TIMEOUT_SECONDS`` runs out, the heuristic, which has watched every
day, plays the days left, so the answer is always a whole, gradeable episode and says how many
days the LLM played. The API key never appears in an answer: error texts are redacted and not
returned.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import HTTPException

from models import InventoryAction, InventoryObservation
from server.episode_loop import play_episode
from server.heuristic_agent import HeuristicAgent
from server.in_process_episode import InProcessEpisode
from server.llm_agent import LLMAgent, LLMSettings

ALLOW_VAR = "BASELINE_ALLOW_LLM"
DISABLED_MESSAGE = (
    "LLM baselines are off on this server: the operator enables them with "
    f"{ALLOW_VAR}=true plus API_BASE_URL and MODEL_NAME (and HF_TOKEN or API_KEY)"
)


class LLMBaseline:
    """The server's one LLM baseline slot."""

    def __init__(self, settings: LLMSettings | None, time_limit_s: float) -> None:
        """``settings``: the endpoint, or ``None`` when the operator did not enable LLM
        baselines (``ServerSettings.baseline_llm``)."""
        self.settings = settings
        self.time_limit_s = time_limit_s
        self._running = False

    @property
    def available(self) -> bool:
        """True when the operator enabled LLM baselines and configured an endpoint."""
        return self.settings is not None

    async def play(self, task_name: str, seed: int | None) -> dict[str, Any]:
        """Play one episode with the LLM; 403 when off, 429 while another LLM run is going."""
        if self.settings is None:
            raise HTTPException(status_code=403, detail=DISABLED_MESSAGE)
        if self._running:
            raise HTTPException(
                status_code=429,
                detail="an LLM baseline is already running on this server; try again later",
            )
        self._running = True
        try:
            return await self._play(self.settings, task_name, seed)
        finally:
            self._running = False

    async def _play(self, settings: LLMSettings, task_name: str, seed: int | None) -> dict:
        agent = LLMAgent(settings)
        player = HeuristicAfterDeadline(agent, HeuristicAgent(), self.time_limit_s)
        episode = InProcessEpisode(task_name, seed)
        result = await play_episode(player, episode, task_name)
        stats = agent.stats.as_dict()
        stats.pop("errors", None)  # free text from the endpoint: not echoed
        return {
            "task_name": task_name,
            "seed": result.seed,
            "agent": "llm",
            "model": settings.model,
            "profit": result.profit,
            "total_reward": result.total_reward,
            "llm_days": player.primary_days,
            "timed_out": player.timed_out,
            "time_limit_s": self.time_limit_s,
            "llm_stats": stats,
        }


class HeuristicAfterDeadline:
    """Plays ``primary`` (an async agent) until ``time_limit_s`` after the reset, then the
    heuristic ``backup``, which acts every day so it knows the month when it takes over."""

    def __init__(self, primary: LLMAgent, backup: HeuristicAgent, time_limit_s: float) -> None:
        self.primary = primary
        self.backup = backup
        self.time_limit_s = time_limit_s
        self.name = primary.name
        self.primary_days = 0
        self.timed_out = False
        self._deadline = 0.0

    def reset(self, task_name: str) -> None:
        self.primary.reset(task_name)
        self.backup.reset(task_name)
        self.primary_days = 0
        self.timed_out = False
        self._deadline = time.monotonic() + self.time_limit_s

    async def act(self, observation: InventoryObservation) -> InventoryAction:
        action = self.backup.act(observation)
        remaining = self._deadline - time.monotonic()
        if remaining > 0:
            try:
                action = await asyncio.wait_for(self.primary.act(observation), remaining)
                self.primary_days += 1
            except asyncio.TimeoutError:
                self.timed_out = True
        return action
