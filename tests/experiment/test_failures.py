"""A run that raises, or whose worker dies, costs only that run."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.experiment import build_plan, make_executor, run_plan

from . import hooks

GRID = """
[sweep]
method = "grid"
[sweep.parameters]
"gridworkers.admin_share" = [0.45, 0.123]
"""


def test_a_failing_run_is_recorded_with_its_traceback_and_the_rest_go_on(write_experiment, tmp_path, monkeypatch):
    # The model raises at run time for one parameter value that validates.
    from sim.model.core import GovernanceCore

    original = GovernanceCore.serve

    def serve(self):
        if self.params.gridworkers.admin_share == 0.123 and self.day == 3:
            raise RuntimeError("queue overflow on purpose")
        return original(self)

    monkeypatch.setattr(GovernanceCore, "serve", serve)
    path = write_experiment(sweep=GRID, replications=2)
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(out), "--executor", "serial"])
    assert result.exit_code == 1, result.output
    assert "4 of 8 runs failed" in result.output
    assert "RuntimeError: queue overflow on purpose" in result.output
    runs = pd.read_parquet(out / "tiny" / "runs.parquet")
    failed = runs[runs["status"] == "failed"]
    assert len(runs) == 8 and len(failed) == 4
    assert (failed["gridworkers.admin_share"] == 0.123).all()
    assert failed["error"].str.contains("Traceback").all() and failed["error"].str.contains("in serve").all()
    assert runs.loc[runs["status"] == "done", "participation_rate"].notna().all()
    assert "queue overflow on purpose" in (out / "tiny" / "failures.txt").read_text()
    # Run again (the fault fixed): only the failed runs run, then everything is done.
    monkeypatch.setattr(GovernanceCore, "serve", original)
    again = CliRunner().invoke(main, ["run", str(path), "--out", str(out), "--executor", "serial"])
    assert again.exit_code == 0, again.output
    assert "ran 4 runs" in again.output
    assert (pd.read_parquet(out / "tiny" / "runs.parquet")["status"] == "done").all()
    assert not (out / "tiny" / "failures.txt").exists()


def test_a_run_raising_in_a_worker_process_is_recorded(write_experiment, tmp_path):
    plan = build_plan(write_experiment(replications=3))
    session = run_plan(plan, tmp_path, make_executor("processes", 2), run=hooks.simulate_or_raise, live=False)
    failed = session.failures
    assert len(failed) == 1
    row = failed.iloc[0]
    assert (row["scenario"], row["seed"]) == hooks.VICTIM
    assert "RuntimeError: service pool exploded on purpose" in row["error"] and "Traceback" in row["error"]
    assert (session.runs["status"] == "done").sum() == 5


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_a_worker_that_dies_costs_only_its_own_run(kind, write_experiment, tmp_path):
    if kind == "dask":
        pytest.importorskip("distributed")
    plan = build_plan(write_experiment(replications=2))
    executor = make_executor(kind, 2)
    session = run_plan(plan, tmp_path, executor, run=hooks.simulate_or_die, live=False)
    failed = session.failures
    assert len(failed) == 1, failed
    row = failed.iloc[0]
    assert (row["scenario"], row["seed"]) == hooks.VICTIM
    assert "died" in row["error"]
    if kind == "processes":
        assert "exit code 3" in row["error"]
    done = session.runs[session.runs["status"] == "done"]
    assert len(done) == 3 and done["participation_rate"].notna().all()
