"""Importing the simulator, the grader, the models or the client does not import openenv's web
stack (gradio, FastAPI, MCP) nor, for the grader, scipy; the brief's ``compute_baselines`` line
works without scipy; the server still gets all of openenv. Each check runs in a fresh
interpreter, since this test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.known_ceilings import KNOWN_CEILINGS, current_table

ROOT = Path(__file__).resolve().parent.parent
WEB_STACK = ("gradio", "fastapi", "starlette", "fastmcp", "mcp", "uvicorn")


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter at the repository root; its last stdout line."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def loaded_after(module: str) -> set[str]:
    code = (
        f"import sys, json; import {module}; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    return set(json.loads(run_python(code)))


@pytest.mark.parametrize("module", ["server.grader", "server.inventory_env", "client", "models"])
def test_importing_does_not_load_the_web_stack(module: str) -> None:
    loaded = loaded_after(module)
    assert "openenv" in loaded  # the models still are openenv's classes
    assert loaded.isdisjoint(WEB_STACK), sorted(loaded & set(WEB_STACK))
    if module == "server.grader":
        assert "scipy" not in loaded  # imported when a ceiling is solved


def test_the_models_are_openenv_classes_and_the_server_gets_all_of_openenv() -> None:
    code = (
        "import models, client\n"
        "from openenv.core.env_server.types import Action, Observation\n"
        "assert issubclass(models.InventoryAction, Action)\n"
        "assert issubclass(models.InventoryObservation, Observation)\n"
        "from openenv.core.env_server import create_app\n"  # the deferred package loads
        "import openenv.core\n"
        "assert openenv.core.EnvClient is client.EnvClient\n"
        "from server.app import app\n"
        "paths = {getattr(route, 'path', None) for route in app.routes}\n"
        "assert {'/health', '/ws', '/reset', '/step', '/docs'} <= paths, paths\n"
        "print('ok')\n"
    )
    assert run_python(code) == "ok"


def test_the_briefs_line_works_without_scipy() -> None:
    """``sys.modules['scipy'] = None`` makes ``import scipy`` fail as in a venv without it."""
    code = (
        "import sys, json; sys.modules['scipy'] = None\n"
        "from server.grader import compute_baselines, grade\n"
        "rows = [compute_baselines(t) for t in ['easy', 'medium', 'hard']]\n"
        "score = grade('hard', 30000.0)['score']\n"
        "try:\n"
        "    compute_baselines('easy', 7)\n"
        "    other = 'answered'\n"
        "except ImportError as error:\n"
        "    other = str(error)\n"
        "print(json.dumps([rows, score, other]))\n"
    )
    rows, score, other = json.loads(run_python(code))
    from server.grader import compute_baselines, grade

    tasks = ("easy", "medium", "hard")
    assert [tuple(row) for row in rows] == [compute_baselines(task) for task in tasks]
    assert score == pytest.approx(grade("hard", 30000.0)["score"])
    assert "pip install" in other and "scipy" in other


def test_known_ceilings_are_the_solvers() -> None:
    """Regenerate with ``python -m server.known_ceilings`` when this fails."""
    current = current_table()
    assert current.keys() == KNOWN_CEILINGS.keys()
    for key, (fingerprint, ceiling) in current.items():
        assert KNOWN_CEILINGS[key][0] == fingerprint, key
        assert KNOWN_CEILINGS[key][1] == pytest.approx(ceiling, rel=1e-9), key
