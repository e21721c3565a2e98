"""Scenario batches: experiment file -> plan of runs -> executor -> result store.

- :mod:`.spec`      the experiment file (TOML) and its validation
- :mod:`.sampling`  sweep designs: grid, Latin hypercube, Sobol', Morris
- :mod:`.plan`      expansion into runs with seeds and keys
- :mod:`.worker`    what a worker does with one run
- :mod:`.executors` serial, local processes, Dask
- :mod:`.store`     Parquet parts + SQLite ledger; runs.parquet and series/
- :mod:`.progress`  live bar or log lines
- :mod:`.runner`    ties them together; resumable

Nothing in :mod:`sim.model` imports this package.
"""

from .executors import EXECUTORS, ExecutorUnavailable, make_executor
from .plan import Plan, build_plan, seed_for
from .runner import Session, report, run_plan
from .spec import ExperimentError, is_experiment_file
from .store import StoreError, read_series

__all__ = [
    "EXECUTORS",
    "ExecutorUnavailable",
    "ExperimentError",
    "Plan",
    "Session",
    "StoreError",
    "build_plan",
    "is_experiment_file",
    "make_executor",
    "read_series",
    "report",
    "run_plan",
    "seed_for",
]
