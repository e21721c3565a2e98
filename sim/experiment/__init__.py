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

from importlib import import_module

_HOMES = {
    "EXECUTORS": "executors", "ExecutorUnavailable": "executors", "make_executor": "executors",
    "Plan": "plan", "build_plan": "plan", "seed_for": "plan",
    "Session": "runner", "report": "runner", "run_plan": "runner",
    "ExperimentError": "spec", "is_experiment_file": "spec",
    "StoreError": "store", "read_series": "store",
}


def __getattr__(name: str):
    # Lazy, so that `govsim --help` and a worker's `executors` import do not pay
    # for the model, Mesa and SciPy that the plan and the runner bring in.
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
