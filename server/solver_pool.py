"""Ceiling solves in worker processes, so that a flood of uncached grades cannot starve the
event loop.

A HiGHS solve builds its program in Python and holds the GIL for much of its 0.3-2 s; in a
worker thread, two solves at once pushed an honest client's ``/health`` p99 to ~400 ms
(``bench/attacks.py``, class 5). The ``server`` entry point calls ``enable`` and solves then
run in a pool of spawned processes, one per background job slot; without it (in-process use,
tests of the grader, scripts) they run in the calling thread as before. Results are the same
either way: the solver is deterministic and the scenario travels with the request.

Starting the pool is itself seconds of CPU (each worker is a fresh interpreter that imports
numpy and scipy); left to the first uncached grade, it landed in the middle of a grader
flood and doubled the honest client's ``/health`` p99 (docs/reliability.md). ``warm``
starts the workers and loads the solver at server start instead (``WARM_SOLVERS``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from server.ceiling import CeilingSolution, solve_ceiling
from server.scenario import Scenario

PARENT_POLL_S = 1.0
"""How often a worker checks that the server that started it still runs."""
_lock = threading.Lock()
_workers = 0
_pool: ProcessPoolExecutor | None = None


def enable(workers: int) -> None:
    """Solve in ``workers`` processes from now on (started on the first solve)."""
    global _workers
    with _lock:
        _workers = max(0, int(workers))


def _start_worker(parent: int) -> None:
    """Workers yield the CPU to the serving process (its requests are short, solves are not)
    and exit when it is gone: a server stopped or killed without shutting the pool down left
    them waiting on each other's end of the task queue, ~100 MB each, for good."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(0)


def _executor() -> ProcessPoolExecutor | None:
    global _pool
    with _lock:
        if _pool is None and _workers > 0:
            _pool = ProcessPoolExecutor(
                max_workers=_workers,
                mp_context=get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return _pool


def _load_solver() -> None:
    """Import what a solve imports (runs in a worker, at its lower priority)."""
    from scipy.optimize import milp  # noqa: F401
    from scipy.sparse import coo_matrix  # noqa: F401


def warm() -> None:
    """Start every worker and load the solver in it now, without waiting for them."""
    pool = _executor()
    if pool is not None:
        for _ in range(_workers):
            pool.submit(_load_solver)


def solve(task_name: str, seed: int, scenario: Scenario | None = None) -> CeilingSolution:
    """``solve_ceiling(task_name, seed, scenario=scenario)``, in a worker process if enabled."""
    pool = _executor()
    if pool is None:
        return solve_ceiling(task_name, seed, scenario=scenario)
    return pool.submit(solve_ceiling, task_name, seed, scenario=scenario).result()


def shutdown() -> None:
    """Stop the worker processes and solve in process again (tests)."""
    global _pool, _workers
    with _lock:
        pool, _pool, _workers = _pool, None, 0
    if pool is not None:
        pool.shutdown()
