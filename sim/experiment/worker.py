"""What a worker does with one run: build the model, run it, report back.

Only small, picklable things travel: the task carries the resolved scenario
as a plain dict, the seed and the number of days; the outcome carries the
summary (a dict of floats) and the daily series as one numpy array per
column. The worker never touches the result store.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RunTask:
    key: str
    config: dict[str, Any]  # Scenario.model_dump(mode="json"), fully resolved
    seed: int
    days: int
    model: str = ""  # model_version() of the planning process; a worker running other code refuses the run


@dataclass
class RunOutcome:
    key: str
    ok: bool
    summary: dict[str, float] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""
    worker: str = ""


@cache
def running_version() -> str:
    """model_version() of the code this worker process runs (a Dask worker may run other code)."""
    from sim import model_version

    return model_version()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def simulate(task: RunTask) -> RunOutcome:
    """Run one task; a model that raises gives a failed outcome with its traceback."""
    started = time.perf_counter()
    if task.model and task.model != running_version():
        why = (f"this worker runs govsim {running_version()} but the batch was planned with {task.model}: "
               "results of other code are not stored under this batch's keys; install the same govsim on every worker")
        return RunOutcome(task.key, False, error=why, worker=worker_name())
    try:
        # Imported here so that a worker pays for the model only when it runs one.
        from sim.governance import GovernanceModel
        from sim.scenario import Scenario

        model = GovernanceModel(scenario=Scenario.model_validate(task.config), rng=task.seed)
        for _ in range(task.days):
            model.step()
        summary = {name: float(value) for name, value in model.summary().items()}
        frame = model.datacollector.get_model_vars_dataframe()
        series = {str(name): frame[name].to_numpy(dtype=np.float64) for name in frame.columns}
    except Exception:  # noqa: BLE001 - any model error is this run's failure, not the batch's
        return RunOutcome(task.key, False, seconds=time.perf_counter() - started, error=traceback.format_exc(), worker=worker_name())
    return RunOutcome(task.key, True, summary, series, time.perf_counter() - started, worker=worker_name())


def lost(task: RunTask, why: str) -> RunOutcome:
    """The outcome of a run whose worker died or could not return it."""
    return RunOutcome(task.key, False, error=why)
