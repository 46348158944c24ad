"""The ceilings of each task's default seed, for machines without scipy.

The ceiling is a mixed-integer program solved with HiGHS through scipy (``server.ceiling``).
The brief's own set-up (``pip install openenv-core[core] fastapi uvicorn pydantic openai numpy
python-dotenv``, then ``python -c "from server.grader import compute_baselines; ..."``) has no
scipy, so ``compute_baselines`` falls back on this table when scipy cannot be imported: the
floor is still played through the simulator; the ceiling is the solver's, recorded here with a
fingerprint of everything it depends on in the scenario (drawn tables, task and product
numbers). A scenario whose fingerprint differs (other constants, or a scenario secret) is not
answered from the table: the caller is told to install scipy. ``tests/test_imports.py``
checks the table against the solver; regenerate it with
``python -m server.known_ceilings``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json

from server.constants import (
    COST_PRICE,
    ELASTICITY,
    SELL_PRICE,
    SHELF_LIFE,
    SHIPPING_COST_PER_UNIT,
    TASK_NAMES,
)
from server.scenario import draw_scenario, validate_seed
from server.task_catalog import get_task

KNOWN_CEILINGS: dict[tuple[str, int], tuple[str, float]] = {
    ("easy", 1001): ("ad62c2cdffb54213", 18853.531649593217),
    ("medium", 2002): ("c32593f549035bfc", 86894.21023531849),
    ("hard", 3003): ("0be3cbd6730b6d79", 40436.892675122115),
}
"""``(task, seed) -> (scenario fingerprint, ceiling)`` for each task's default seed."""

MISSING_SCIPY = (
    "the ceiling of {task} seed {seed} needs scipy (HiGHS solves it): pip install 'scipy>=1.11' "
    "(or pip install -e . for everything). Without scipy only each task's default seed is "
    "known, on the scenarios this code draws."
)


def scipy_available() -> bool:
    """Whether scipy can be imported here (without importing it)."""
    try:
        return importlib.util.find_spec("scipy") is not None
    except (ImportError, ValueError):
        return False


def scenario_fingerprint(task_name: str, seed: int | None = None) -> str:
    """A digest of what the ceiling of ``(task_name, seed)`` depends on, besides the code."""
    scenario = draw_scenario(task_name, seed)
    digest = hashlib.sha256()
    optional = (scenario.arrival_delay, scenario.lost, scenario.cost_multipliers)
    tables = (scenario.base_demand, scenario.lead_time, scenario.demand_multipliers, *optional)
    for table in (t for t in tables if t is not None):  # absent: the task has no such rule
        digest.update(str(table.dtype).encode() + str(table.shape).encode() + table.tobytes())
    numbers = [get_task(task_name).published, SELL_PRICE, COST_PRICE, SHELF_LIFE, ELASTICITY]
    numbers.append(SHIPPING_COST_PER_UNIT)
    digest.update(json.dumps(numbers, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def known_ceiling(task_name: str, seed: int | None = None) -> float:
    """The recorded ceiling of ``(task_name, seed)``; ImportError naming scipy when it is not
    recorded or the scenario is not the one it was recorded on."""
    seed = validate_seed(seed, task_name)
    fingerprint, ceiling = KNOWN_CEILINGS.get((task_name, seed), ("", 0.0))
    if not fingerprint or fingerprint != scenario_fingerprint(task_name, seed):
        raise ImportError(MISSING_SCIPY.format(task=task_name, seed=seed))
    return ceiling


def current_table() -> dict[tuple[str, int], tuple[str, float]]:
    """The table as the solver computes it now (needs scipy)."""
    from server.ceiling import solve_ceiling

    table = {}
    for task in TASK_NAMES:
        seed = validate_seed(None, task)
        table[task, seed] = (scenario_fingerprint(task, seed), solve_ceiling(task, seed).bound)
    return table


def main() -> None:
    """Print ``KNOWN_CEILINGS`` as the solver computes it now, to paste above."""
    print("KNOWN_CEILINGS: dict[tuple[str, int], tuple[str, float]] = {")
    for key, value in current_table().items():
        print(f"    {key!r}: {value!r},")
    print("}")


if __name__ == "__main__":
    main()
