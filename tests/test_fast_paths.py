"""The per-step fast paths change nothing observable: plain actions built without pydantic equal
pydantic's own validation (values, exact types, order, fields set, errors), and the served
observation's cheap dump equals pydantic's, so WebSocket frames are the same bytes."""

from __future__ import annotations

import asyncio
import math
import random
from typing import Any

import numpy as np
import pytest
from openenv.core.env_server.serialization import deserialize_action, serialize_observation
from openenv.core.env_server.types import WSObservationResponse
from pydantic import ValidationError, field_validator

from models import InventoryAction, InventoryObservation, _validates_as_inventory_action
from server.constants import DELIVERY_METHODS, PRODUCTS, TASK_NAMES
from server.inventory_env import InventoryEnvironment
from server.openenv_compat import (
    ServedInventoryEnvironment,
    ServedInventoryObservation,
    WireInventoryAction,
    json_safe_validation_error,
)

FRAME_EXCLUDE = {"reward", "done", "metadata"}


def typed(value: Any) -> Any:
    """``value`` with the exact type of every part spelled out (``1 == 1.0``; these differ)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def outcome(validate: Any, payload: Any) -> Any:
    """Everything observable about validating ``payload``: the instance or the error."""
    try:
        action = validate(payload)
    except ValidationError as error:
        return ("error", str(error), error.errors(include_url=False, include_context=False))
    return (
        type(action).__name__,
        typed(action.__dict__),
        action.model_fields_set,
        action.__pydantic_extra__,
        action.__pydantic_private__,
        action.model_dump_json(),
    )


PAYLOADS: list[Any] = [
    {},
    {"buy_quantities": {"toys": 3, "groceries": 0}, "delivery_method": "fast"},
    {"buy_quantities": {"toys": 100_000}, "liquidate": {"groceries": 2}},
    {"price_multipliers": {"toys": 1, "clothing": 0.5, "furniture": 1.5, "groceries": 1.2345}},
    {"delivery_method": "medium", "price_multipliers": {}},
    {"buy_quantities": {"toys": 3.0}},  # a whole float: full validation makes it an int
    {"buy_quantities": {"toys": 100_001}},
    {"buy_quantities": {"toys": -1}},
    {"buy_quantities": {"toys": True}},
    {"buy_quantities": {"spaceships": 1}},
    {"buy_quantities": [["toys", 1]]},
    {"buy_quantities": None},
    {"liquidate": {"toys": 2.5}},
    {"price_multipliers": {"toys": 1.51}},
    {"price_multipliers": {"toys": 2}},
    {"price_multipliers": {"toys": 10**40}},
    {"price_multipliers": {"toys": math.nan}},
    {"price_multipliers": {"toys": "1.0"}},
    {"price_multipliers": {"toys": True}},
    {"delivery_method": "express"},
    {"delivery_method": None},
    {"metadata": {"note": "x"}},
    {"metadata": 3},
    {"buy_quantity": {"toys": 1}},
    {"buy_quantities": {"toys": np.int64(3)}},
    {"price_multipliers": {"toys": np.float64(1.2)}},
    "not an object",
    None,
]


def pydantic_validation(cls: type) -> Any:
    """``cls.model_validate`` without the fast path: pydantic's validator (and, for the wire
    class, its JSON-safe errors)."""

    def validate(payload: Any) -> Any:
        try:
            return cls.__pydantic_validator__.validate_python(payload)
        except ValidationError as error:
            if cls is WireInventoryAction:
                raise json_safe_validation_error(error) from None
            raise

    return validate


@pytest.mark.parametrize("cls", [InventoryAction, WireInventoryAction])
@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_fast_validation_equals_pydantic_validation(cls: type, payload: Any) -> None:
    fast = outcome(cls.model_validate, payload)
    assert fast == outcome(pydantic_validation(cls), payload)
    assert fast == outcome(lambda data: cls.model_validate(data, strict=None), payload)


def test_fast_path_serves_inventory_actions_and_no_class_that_validates_differently() -> None:
    assert _validates_as_inventory_action(InventoryAction)
    assert _validates_as_inventory_action(WireInventoryAction)

    class MoreFields(InventoryAction):
        note: str = ""

    class OtherRule(InventoryAction):
        @field_validator("delivery_method", mode="before")
        @classmethod
        def _validate_method(cls, value: Any) -> str:
            return "fast"

    assert not _validates_as_inventory_action(MoreFields)
    assert not _validates_as_inventory_action(OtherRule)
    assert OtherRule.model_validate({"delivery_method": "slow"}).delivery_method == "fast"


def random_action(rng: random.Random) -> dict[str, Any]:
    """A well-formed JSON action, sometimes with orders too big for cash or space."""
    return {
        "buy_quantities": {
            p: rng.choice([0, 1, 7, 40, 400, 2000]) for p in rng.sample(PRODUCTS, rng.randint(0, 5))
        },
        "delivery_method": rng.choice(DELIVERY_METHODS),
        "liquidate": {p: rng.choice([0, 3, 50]) for p in rng.sample(PRODUCTS, rng.randint(0, 2))},
        "price_multipliers": {
            p: rng.choice([0.5, 0.8, 1, 1.25, 1.5]) for p in rng.sample(PRODUCTS, rng.randint(0, 5))
        },
    }


def frame(observation: InventoryObservation) -> str:
    """The WebSocket frame openenv sends for ``observation``."""
    return WSObservationResponse(data=serialize_observation(observation)).model_dump_json()


@pytest.mark.parametrize("task_name", TASK_NAMES)
def test_served_observations_give_the_same_frames_as_plain_ones(task_name: str) -> None:
    rng = random.Random(task_name)
    served, plain = ServedInventoryEnvironment(), InventoryEnvironment()
    loop = asyncio.new_event_loop()
    try:
        observation = loop.run_until_complete(served.reset_async(task_name=task_name, seed=3))
        expected = plain.reset(task_name=task_name, seed=3, episode_id=served.state.episode_id)
        for _ in range(30):
            assert type(observation) is ServedInventoryObservation
            fast_dump = observation.model_dump(exclude=FRAME_EXCLUDE)
            assert typed(fast_dump) == typed(
                InventoryObservation.model_dump(expected, exclude=FRAME_EXCLUDE)
            )
            assert frame(observation) == frame(expected)
            # any other dump is pydantic's own
            assert typed(observation.model_dump()) == typed(expected.model_dump())
            assert observation.model_dump(exclude={"reward"}) == expected.model_dump(
                exclude={"reward"}
            )
            assert observation.model_dump_json() == expected.model_dump_json()
            payload = random_action(rng)
            action = deserialize_action(payload, WireInventoryAction)
            observation = loop.run_until_complete(served.step_async(action))
            expected = plain.step(InventoryAction.model_validate(payload))
        assert observation.done and frame(observation) == frame(expected)
    finally:
        loop.close()
