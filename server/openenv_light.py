"""openenv's base classes without openenv's web stack: importing the simulator, the grader, the
models or the client must not import gradio.

``openenv.core`` and ``openenv.core.env_server`` import their whole server in their package
``__init__`` (FastAPI app, MCP, and the Gradio web interface: 5-10 s), even when all a module
wants is ``Action`` from ``openenv.core.env_server.types``. When neither package is imported
yet, this module registers both as *deferred* packages: real module objects with their real
``__path__``, so their submodules (``types``, ``interfaces``, ``env_client``,
``client_types``) import as usual, whose own ``__init__`` runs the first time one of its names
is asked for (``from openenv.core.env_server import create_app`` still works and then loads
everything). ``load_openenv_fully()`` runs them at once; ``server.app`` calls it before it
touches openenv's server, so the app is built exactly as openenv builds it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

DEFERRED_PACKAGES = ("openenv.core", "openenv.core.env_server")


def _defer(name: str) -> None:
    if name in sys.modules:
        return
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        importlib.import_module(name)  # not a plain package: import it as it is
        return
    module = importlib.util.module_from_spec(spec)

    def __getattr__(attribute: str) -> Any:
        _load(module)
        return getattr(module, attribute)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__openenv_light_deferred__ = True  # type: ignore[attr-defined]
    sys.modules[name] = module
    setattr(parent, child, module)


def _load(module: ModuleType) -> None:
    """Run a deferred package's real ``__init__`` (once)."""
    if not module.__dict__.pop("__openenv_light_deferred__", False):
        return
    module.__dict__.pop("__getattr__", None)
    spec = module.__spec__
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(module)


def load_openenv_fully() -> None:
    """Run the ``__init__`` of every deferred openenv package, outermost first."""
    for name in DEFERRED_PACKAGES:
        module = sys.modules.get(name)
        if module is None:
            importlib.import_module(name)
        else:
            _load(module)


for _name in DEFERRED_PACKAGES:
    _defer(_name)

from openenv.core.client_types import StepResult  # noqa: E402
from openenv.core.env_client import EnvClient  # noqa: E402
from openenv.core.env_server.interfaces import Environment  # noqa: E402
from openenv.core.env_server.types import (  # noqa: E402
    Action,
    EnvironmentMetadata,
    Observation,
    State,
)

__all__ = [
    "Action",
    "EnvClient",
    "Environment",
    "EnvironmentMetadata",
    "Observation",
    "State",
    "StepResult",
    "load_openenv_fully",
]
