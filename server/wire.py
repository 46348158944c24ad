"""How the environment and its validation errors meet openenv's transport (transport only).

``ServedInventoryEnvironment`` steps on the event loop. openenv-core 0.3.0 runs a synchronous
``step`` in a worker thread per WebSocket session; the hop costs more than the ~25 us a day
takes (64 sessions step ~1.5x faster without it, ``bench/bench_server.py``). openenv awaits
``step_async`` / ``reset_async`` directly when an environment overrides them, so this subclass
overrides them with inline calls.

pydantic puts the ``ValueError`` raised by a validator into each error's ``ctx``. openenv-core
0.3.0 sends ``exc.errors()`` as-is in its WebSocket error frame, fails to serialize the exception
object, and drops the connection, losing the session's episode over one bad action. The action
class given to openenv, ``WireInventoryAction``, re-raises such errors with plain-text context,
so a bad action gets an error frame and the session goes on. HTTP routes use ``public_errors``.

The observations it hands openenv are ``ServedInventoryObservation``: openenv serializes each
frame with ``serialize_observation``, whose ``model_dump`` copied every nested value of an
observation that is thrown away right after (a sixth of a served step). For exactly that call
the served observation hands out its own values, which the simulator builds fresh for each
observation and with their exact field types, so the frame's JSON is the same byte for byte.
"""

from __future__ import annotations

import json
import math
from functools import partial
from typing import Any

import anyio.to_thread
from pydantic import ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from models import InventoryAction, InventoryObservation, trusted_instance
from server.inventory_env import InventoryEnvironment


def public_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Each error's type, location and message: always JSON-safe (no inputs, no objects)."""
    return [
        {"type": error["type"], "loc": list(error["loc"]), "msg": error["msg"]}
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _json_safe(value: Any) -> Any:
    """``value`` when strict JSON can carry it, else its ``repr`` (NaN, objects ...)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)
    return value


def json_safe_validation_error(exc: ValidationError) -> ValidationError:
    """The same errors (type, location, message) with nothing that JSON cannot carry."""
    details: list[InitErrorDetails] = [
        {
            "type": PydanticCustomError(error["type"], "{reason}", {"reason": error["msg"]}),
            "loc": error["loc"],
            "input": _json_safe(error["input"]),
        }
        for error in exc.errors(include_url=False)
    ]
    return ValidationError.from_exception_data(exc.title, details)


class WireInventoryAction(InventoryAction):
    """``InventoryAction`` for openenv's transport: same fields, schema and checks; its
    validation errors survive JSON serialization (see the module docstring)."""

    model_config = ConfigDict(title="InventoryAction")

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> WireInventoryAction:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise json_safe_validation_error(exc) from None


_OPENENV_FRAME_EXCLUDE = frozenset({"reward", "done", "metadata"})
"""What ``openenv...serialization.serialize_observation`` leaves out of an observation's dump."""


class ServedInventoryObservation(InventoryObservation):
    """An observation on its way out through openenv's transport (see the module docstring).

    ``model_dump(exclude={"reward", "done", "metadata"})``, with nothing else, returns the
    observation's own field values (not copies): the same dict pydantic's dump gives for the
    values the simulator makes. Every other call is pydantic's.
    """

    model_config = ConfigDict(title="InventoryObservation")

    def model_dump(self, *, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        if not kwargs and exclude == _OPENENV_FRAME_EXCLUDE:
            return {
                name: value
                for name, value in self.__dict__.items()
                if name not in _OPENENV_FRAME_EXCLUDE
            }
        return super().model_dump(exclude=exclude, **kwargs)


def served(observation: InventoryObservation) -> ServedInventoryObservation:
    """``observation`` (fresh from the simulator, used by nothing else) as a served one."""
    return trusted_instance(
        ServedInventoryObservation,
        observation.__dict__,
        observation.__pydantic_fields_set__,
    )


class ServedInventoryEnvironment(InventoryEnvironment):
    """``InventoryEnvironment`` whose async entry points run inline and return served
    observations (see the module docstring)."""

    async def reset_async(
        self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any
    ) -> InventoryObservation:
        if kwargs.get("reward_mode") == "score":  # may solve a ceiling: not on the event loop
            observation = await anyio.to_thread.run_sync(
                partial(self.reset, seed=seed, episode_id=episode_id, **kwargs)
            )
            return served(observation)
        return served(self.reset(seed=seed, episode_id=episode_id, **kwargs))

    async def step_async(
        self, action: InventoryAction, timeout_s: float | None = None, **kwargs: Any
    ) -> InventoryObservation:
        return served(self.step(action, timeout_s=timeout_s, **kwargs))
