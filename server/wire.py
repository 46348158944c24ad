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
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from models import InventoryAction, InventoryObservation
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


class ServedInventoryEnvironment(InventoryEnvironment):
    """``InventoryEnvironment`` whose async entry points run inline (see the module docstring)."""

    async def reset_async(
        self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any
    ) -> InventoryObservation:
        return self.reset(seed=seed, episode_id=episode_id, **kwargs)

    async def step_async(
        self, action: InventoryAction, timeout_s: float | None = None, **kwargs: Any
    ) -> InventoryObservation:
        return self.step(action, timeout_s=timeout_s, **kwargs)
