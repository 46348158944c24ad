"""The HTTP episode store on its own (a fake clock, no server): bounds, expiry, the latest
episode, precise errors, and failed resets that change nothing. Also the server settings."""

from __future__ import annotations

import threading

import pytest

from models import InventoryAction
from server.episode_store import EpisodeStore, UnknownEpisodeError
from server.inventory_env import EpisodeStateError
from server.settings import ServerSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store(capacity: int = 3, idle: float = 60.0) -> tuple[EpisodeStore, FakeClock]:
    clock = FakeClock()
    return EpisodeStore(capacity, idle, clock=clock), clock


def test_without_an_id_requests_act_on_the_latest_reset() -> None:
    store, _ = _store()
    with pytest.raises(EpisodeStateError, match="POST /reset first"):
        store.step(None, InventoryAction())
    first, _ = store.start(task_name="easy")
    second, _ = store.start(task_name="hard")
    store.step(first, InventoryAction())
    assert store.latest_id == second
    episode_id, observation = store.step(None, InventoryAction())
    assert episode_id == second
    assert observation.task_name == "hard"
    assert store.state(first).current_day == 1


def test_the_least_recently_used_episode_makes_room() -> None:
    store, clock = _store(capacity=2)
    a, _ = store.start()
    clock.now += 1
    b, _ = store.start()
    clock.now += 1
    store.state(a)  # a is now more recent than b
    c, _ = store.start()
    assert a in store and c in store
    assert b not in store
    with pytest.raises(UnknownEpisodeError, match="evicted"):
        store.step(b, InventoryAction())
    assert len(store) == 2


def test_idle_episodes_expire_and_use_keeps_them_alive() -> None:
    store, clock = _store(idle=10.0)
    kept, _ = store.start()
    dropped, _ = store.start()
    clock.now += 8
    store.step(kept, InventoryAction())
    clock.now += 8  # kept idle 8 s, dropped idle 16 s
    assert store.state(kept).current_day == 1
    with pytest.raises(UnknownEpisodeError, match="expired"):
        store.state(dropped)
    clock.now += 11
    with pytest.raises(UnknownEpisodeError, match="latest HTTP episode"):
        store.state(None)  # the latest one (dropped) is gone too
    assert len(store) == 0


def test_a_failed_reset_stores_and_replaces_nothing() -> None:
    store, _ = _store()
    episode_id, _ = store.start(task_name="medium")
    store.step(episode_id, InventoryAction())
    before = store.state(episode_id)
    with pytest.raises(ValueError, match="unknown task_name"):
        store.start(episode_id=episode_id, task_name="nope")
    with pytest.raises(ValueError, match="unknown reset parameter"):
        store.start(level=3)
    assert store.state(episode_id) == before
    assert store.latest_id == episode_id
    assert len(store) == 1


def test_reset_with_a_known_id_restarts_that_episode() -> None:
    store, _ = _store()
    episode_id, _ = store.start(episode_id="mine", task_name="easy")
    store.step("mine", InventoryAction())
    again, observation = store.start(episode_id="mine", task_name="hard")
    assert (episode_id, again) == ("mine", "mine")
    assert observation.task_name == "hard"
    assert store.state("mine").current_day == 0
    assert len(store) == 1


def test_concurrent_steps_from_threads_take_turns() -> None:
    store, _ = _store()
    episode_id, _ = store.start(task_name="hard")
    days: list[int] = []
    errors: list[Exception] = []

    def worker() -> None:
        for _ in range(10):
            try:
                days.append(store.step(episode_id, InventoryAction())[1].current_day)
            except EpisodeStateError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(days) == list(range(1, 31))
    assert len(errors) == 10  # the steps asked after day 30, all refused


def test_settings_come_from_the_environment_and_bad_values_fail_loudly() -> None:
    settings = ServerSettings.from_env(
        {
            "MAX_CONCURRENT_ENVS": "8",
            "MAX_HTTP_EPISODES": "5",
            "HTTP_EPISODE_IDLE_SECONDS": "2.5",
            "MAX_BODY_BYTES": "4096",
            "WS_PER_MESSAGE_DEFLATE": "Yes",
            "PORT": "9000",
        }
    )
    assert (settings.max_concurrent_envs, settings.max_http_episodes) == (8, 5)
    assert (settings.http_episode_idle_s, settings.max_body_bytes) == (2.5, 4096)
    assert settings.ws_per_message_deflate is True and settings.port == 9000
    assert ServerSettings.from_env({}) == ServerSettings()
    for name, value in [
        ("MAX_HTTP_EPISODES", "0"),
        ("MAX_CONCURRENT_ENVS", "many"),
        ("HTTP_EPISODE_IDLE_SECONDS", "nan"),
    ]:
        with pytest.raises(ValueError, match=name):
            ServerSettings.from_env({name: value})
