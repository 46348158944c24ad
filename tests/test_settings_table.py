"""docs/server.md's configuration table and ``ServerSettings`` cannot drift: every variable
the server reads has a row with its default, and every row names a variable that is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.settings import VARIABLES, ServerSettings

DOC = Path(__file__).resolve().parent.parent / "docs" / "server.md"
READ_ELSEWHERE = {"ENABLE_WEB_INTERFACE"}
"""Rows for variables that openenv reads itself."""


def table_rows() -> dict[str, str]:
    """Each variable of the configuration table, with its row's default cell."""
    section = DOC.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for variable in re.findall(r"`([A-Z_]+)`", cells[0]):
                rows[variable] = cells[1]
    return rows


def shown(default: object) -> str:
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float):
        return f"{default:g}"
    if isinstance(default, str):
        return f"`{default}`"
    return str(default)


def test_every_row_names_a_variable_the_server_reads() -> None:
    read = {variable for _, variable, _ in VARIABLES} | READ_ELSEWHERE
    assert set(table_rows()) <= read, sorted(set(table_rows()) - read)


@pytest.mark.parametrize(("name", "variable"), [(n, v) for n, v, _ in VARIABLES])
def test_every_variable_has_a_row_with_its_default(name: str, variable: str) -> None:
    rows = table_rows()
    assert variable in rows, f"docs/server.md has no row for {variable}"
    assert shown(getattr(ServerSettings(), name)) in rows[variable], (variable, rows[variable])


def test_a_bad_value_names_its_variable() -> None:
    with pytest.raises(ValueError, match="BASELINE_LLM_TIMEOUT_SECONDS"):
        ServerSettings.from_env({"BASELINE_LLM_TIMEOUT_SECONDS": "soon"})
    with pytest.raises(ValueError, match="OPENENV_MODE"):
        ServerSettings.from_env({"OPENENV_MODE": "staging"})
    settings = ServerSettings.from_env({"BASELINE_AGENT": " random ", "OPENENV_MODE": "PRODUCTION"})
    assert (settings.baseline_agent, settings.openenv_mode) == ("random", "production")
