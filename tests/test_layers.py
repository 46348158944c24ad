"""The layering of docs/architecture.md holds: import-linter checks the contracts in
pyproject.toml over the server and adapters packages, and this file checks the root modules
(import-linter analyses packages only): the wire contract imports only rules and data, and the
clients import no server machinery, only the policies and the rules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

from server.task_config import tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
CLIENTS = ("client", "inference", "episode_trace", "evaluation_stats")


def layers() -> list[set[str]]:
    """The layers contract's modules, top layer first."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "layers"]
    return [set(re.findall(r"[\w.]+", layer)) for layer in contract["layers"]]


def imported_project_modules(path: Path) -> set[str]:
    """Every module of this project that ``path`` imports, at any depth of the code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "server":  # ``from server import llm_agent``
                found.update(f"server.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in ("server", "models", *CLIENTS)}


def test_the_import_contracts_hold() -> None:
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0


def test_no_import_goes_up() -> None:
    """The layers contract holds with no exception listed (the score reward's baselines are
    injected into the simulator, not imported from the grader)."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    assert all(not contract.get("ignore_imports") for contract in config["contracts"])


def test_every_server_module_has_a_layer() -> None:
    listed = set().union(*layers())
    modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "server").rglob("*.py")
    }
    missing = sorted(m for m in modules if m not in listed and m != "server")
    assert not missing, f"add these modules to a layer in pyproject.toml: {missing}"


def test_the_wire_contract_imports_only_rules_and_data() -> None:
    bottom = layers()[-1]
    imported = imported_project_modules(ROOT / "models.py")
    assert imported, "models.py imports the constants"
    assert imported <= bottom, sorted(imported - bottom)


@pytest.mark.parametrize("client", CLIENTS)
def test_clients_import_no_server_machinery(client: str) -> None:
    *machinery, policies, bottom = layers()
    allowed = policies | bottom | {"models", *CLIENTS}
    imported = imported_project_modules(ROOT / f"{client}.py")
    assert imported <= allowed, sorted(imported - allowed)


def test_the_client_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The root-module check is not vacuous: a late import of the simulator is seen."""
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    from server import inventory_env\n    import server.grader\n")
    assert imported_project_modules(module) == {
        "server",
        "server.inventory_env",
        "server.grader",
    }
