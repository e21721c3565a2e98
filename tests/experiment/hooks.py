"""Stand-ins for the worker function that fail on purpose (importable by spawned workers).

They pick their victim by scenario name and seed, so the same run fails
whichever worker gets it and however often it is retried.
"""

from __future__ import annotations

import os

from sim.experiment.plan import seed_for
from sim.experiment.worker import RunOutcome, RunTask, simulate

BASE_SEED = 11  # the base seed of conftest.experiment_text
VICTIM = ("burden_reduction", seed_for(BASE_SEED, 1))


def is_victim(task: RunTask) -> bool:
    return (task.config["name"], task.seed) == VICTIM


def simulate_or_die(task: RunTask) -> RunOutcome:
    """The victim's worker process dies abruptly, as if killed or out of memory."""
    if is_victim(task):
        os._exit(3)
    return simulate(task)


def simulate_or_raise(task: RunTask) -> RunOutcome:
    """The victim's model raises on its fifth day, inside the real worker function."""
    if not is_victim(task):
        return simulate(task)
    from sim.model.core import GovernanceCore

    original = GovernanceCore.serve

    def serve(self):
        if self.day == 4:
            raise RuntimeError("service pool exploded on purpose")
        return original(self)

    GovernanceCore.serve = serve
    try:
        return simulate(task)
    finally:
        GovernanceCore.serve = original
