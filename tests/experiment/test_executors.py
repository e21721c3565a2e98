"""Same experiment, same numbers: serial, 2 local worker processes and Dask."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.experiment import build_plan, make_executor, run_plan

from .conftest import experiment_text

GRID = """
[sweep]
method = "grid"
[sweep.parameters]
"gridworkers.patrol_share" = [0.2, 0.6]
"""

VARYING = ["seconds", "worker"]  # where and how fast a run went


def metrics(root, name="tiny") -> pd.DataFrame:
    runs = pd.read_parquet(root / name / "runs.parquet")
    assert (runs["status"] == "done").all()
    return runs.drop(columns=VARYING)


def test_serial_processes_and_dask_give_identical_runs(write_experiment, tmp_path):
    plan = build_plan(write_experiment(experiment_text(replications=2, days=25, sweep=GRID)))
    assert len(plan.runs) == 8
    kinds = ["serial", "processes"]
    try:
        import distributed  # noqa: F401

        kinds.append("dask")
    except ImportError:  # pragma: no cover - CI installs the dask extra
        pass
    results = {}
    for kind in kinds:
        run_plan(plan, tmp_path / kind, make_executor(kind, 2), live=False)
        results[kind] = metrics(tmp_path / kind)
    for kind in kinds[1:]:
        pd.testing.assert_frame_equal(results[kind], results["serial"], check_exact=True)
    series = {kind: pd.read_parquet(tmp_path / kind / "tiny" / "series").sort_values(["key", "day"], ignore_index=True) for kind in kinds}
    for kind in kinds[1:]:
        pd.testing.assert_frame_equal(series[kind], series["serial"], check_exact=True)
    if "dask" not in kinds:
        pytest.skip("dask is not installed: pip install 'govsim[dask]' to compare it too")


def alive_models() -> int:
    import gc

    from sim.governance import GovernanceModel

    gc.collect()
    return sum(isinstance(o, GovernanceModel) for o in gc.get_objects())


def test_a_worker_frees_each_model_it_has_run(write_experiment):
    # Mesa 3.3 keeps every model in a class-level dict (mesa#3179): a worker making
    # district runs one after another grew by some 290 MB a run.
    from sim.experiment.worker import simulate

    plan = build_plan(write_experiment(experiment_text(replications=3, days=2)))
    before = alive_models()
    outcomes = [simulate(plan.task(run)) for run in plan.runs]
    assert all(o.ok for o in outcomes) and len(outcomes) == 6
    assert alive_models() == before
