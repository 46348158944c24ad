"""Episodes played in this process, on the simulator: the grader's floor and clairvoyant
replay, ``/baseline``, the evaluation and the tests all come through ``run_episode``."""

from __future__ import annotations

from models import InventoryAction, InventoryObservation
from server.episode_loop import Agent, EpisodeObserver, EpisodeResult, play_episode, run_sync
from server.inventory_env import InventoryEnvironment
from server.scenario import Scenario


class InProcessEpisode:
    """One episode on a fresh ``InventoryEnvironment``: of ``(task_name, seed)``, or of
    ``scenario`` when given (a hidden one, which ``(task_name, seed)`` cannot redraw)."""

    def __init__(
        self,
        task_name: str,
        seed: int | None = None,
        reward_mode: str = "shaped",
        scenario: Scenario | None = None,
    ) -> None:
        self.env = InventoryEnvironment()
        self.task_name = task_name
        self._seed = seed
        self.reward_mode = reward_mode
        self.scenario = scenario

    def reset(self) -> InventoryObservation:
        if self.scenario is None:
            return self.env.reset(
                seed=self._seed, task_name=self.task_name, reward_mode=self.reward_mode
            )
        return self.env.start_scenario(self.scenario, reward_mode=self.reward_mode)

    def seed(self) -> int:
        return self.env.scenario.seed

    def step(self, action: InventoryAction) -> InventoryObservation:
        return self.env.step(action)


def run_episode(
    agent: Agent,
    task_name: str,
    seed: int | None = None,
    reward_mode: str = "shaped",
    *,
    scenario: Scenario | None = None,
    observer: EpisodeObserver | None = None,
) -> EpisodeResult:
    """Play one whole episode in process with a sync ``agent`` (the one loop, driven without
    an event loop)."""
    episode = InProcessEpisode(task_name, seed, reward_mode, scenario)
    return run_sync(play_episode(agent, episode, task_name, observer))
