"""What can go wrong around the runs: a crash between rounds, a full disk, failed runs
taken out of the file, a worker running other code, a long serial run. Stand-in run
functions keep these fast; the store, runner and plan are the real ones."""

from __future__ import annotations

import pytest

from sim.experiment import StoreError, build_plan, make_executor, run_plan, seed_for
from sim.experiment import store as store_module
from sim.experiment.store import done_keys
from sim.experiment.worker import RunOutcome, RunTask, simulate

from .conftest import experiment_text

BASE_SEED = 11
REPLICATION_OF = {seed_for(BASE_SEED, r): r for r in range(100)}


class Crash(BaseException):
    """Stands for kill -9 or a power cut: nothing in govsim catches it."""


def spread(task: RunTask) -> RunOutcome:
    r = REPLICATION_OF[task.seed]
    return RunOutcome(task.key, True, {"participation_rate": 0.5 + 0.05 * (1 if r % 2 == 0 else -1)}, seconds=0.01)


def auto_text(scenarios=("baseline", "burden_reduction")) -> str:
    text = experiment_text(name="auto", scenarios=scenarios, days=1, base_seed=BASE_SEED).replace("replications = 3", 'replications = "auto"')
    return text.replace("[overrides]", "[experiment.precision]\nmetrics = { participation_rate = 0.03 }\nmin = 4\nmax = 40\nstep = 4\n\n[overrides]")


def test_a_crash_inside_a_later_round_of_auto_replications_can_be_resumed(write_experiment, tmp_path):
    calls = []

    def crash_in_round_two(task: RunTask) -> RunOutcome:
        calls.append(task)
        if REPLICATION_OF[task.seed] == 6:  # round two runs replications 4-7: 4 and 5 are committed first
            raise Crash
        return spread(task)

    path = write_experiment(auto_text())
    with pytest.raises(Crash):
        run_plan(build_plan(path), tmp_path / "r", make_executor("serial"), run=crash_in_round_two, commit_every=0, live=False)
    assert any(REPLICATION_OF[t.seed] == 5 for t in calls)  # the crash came in round two, after runs of it were stored

    resumed = run_plan(build_plan(path), tmp_path / "r", make_executor("serial"), run=spread, live=False)
    clean = run_plan(build_plan(path), tmp_path / "clean", make_executor("serial"), run=spread, live=False)
    assert resumed.precision["met"] and resumed.precision["replications"] == clean.precision["replications"]


def test_an_arm_whose_runs_all_failed_is_not_a_met_target(write_experiment, tmp_path):
    def fail_one_arm(task: RunTask) -> RunOutcome:
        if task.config["name"] == "burden_reduction":
            return RunOutcome(task.key, False, error="synthetic failure")
        return spread(task)

    plan = build_plan(write_experiment(auto_text()))
    session = run_plan(plan, tmp_path / "r", make_executor("serial"), run=fail_one_arm, live=False)
    assert not session.precision["met"] and session.precision["replications"] == 40


def test_failed_runs_taken_out_of_the_file_do_not_block_the_rest(write_experiment, tmp_path):
    def fail_one_scenario(task: RunTask) -> RunOutcome:
        return RunOutcome(task.key, False, error="synthetic failure") if task.config["name"] == "burden_reduction" else spread(task)

    both = experiment_text(scenarios=("baseline", "burden_reduction"), days=1, base_seed=BASE_SEED)
    run_plan(build_plan(write_experiment(both)), tmp_path / "r", make_executor("serial"), run=fail_one_scenario, live=False)
    one = experiment_text(scenarios=("baseline",), days=1, base_seed=BASE_SEED)
    session = run_plan(build_plan(write_experiment(one)), tmp_path / "r", make_executor("serial"), run=spread, live=False)
    assert session.already == 3 and session.done == 0  # the baseline's stored runs are kept


def test_a_full_disk_is_a_clear_error_and_the_committed_runs_stay(write_experiment, tmp_path, monkeypatch):
    path = write_experiment(experiment_text(days=1, base_seed=BASE_SEED))
    real = store_module.write_parquet
    parts = []

    def fills_up(target, table):
        parts.append(target)
        if len(parts) > 2:  # two runs are committed (one part each: the stand-in has no series), then the disk is full
            raise OSError(28, "No space left on device")
        return real(target, table)

    monkeypatch.setattr(store_module, "write_parquet", fills_up)
    with pytest.raises(StoreError, match=r"No space left on device.*not stored. Stored runs are kept.*run the same command again"):
        run_plan(build_plan(path), tmp_path / "r", make_executor("serial"), run=spread, commit_every=0, live=False)
    assert len(done_keys(tmp_path / "r" / "tiny")) == 2
    monkeypatch.setattr(store_module, "write_parquet", real)
    session = run_plan(build_plan(path), tmp_path / "r", make_executor("serial"), run=spread, live=False)
    assert session.already == 2 and session.left == 0


def test_a_file_where_the_results_folder_goes_says_nothing_was_stored(write_experiment, tmp_path):
    path = write_experiment(experiment_text(days=1, base_seed=BASE_SEED))
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "tiny").write_text("not a folder")
    with pytest.raises(StoreError, match=r"cannot write results to .*tiny/.*Nothing was stored: fix the cause"):
        run_plan(build_plan(path), tmp_path / "r", make_executor("serial"), run=spread, live=False)


def test_a_worker_running_other_code_refuses_the_run():
    task = RunTask("k", {}, 1, 1, model="0.1.0+not-this-code")
    outcome = simulate(task)
    assert not outcome.ok and "planned with 0.1.0+not-this-code" in outcome.error


def test_serial_runs_are_committed_before_a_long_next_run(write_experiment, tmp_path):
    path = write_experiment(experiment_text(days=1, base_seed=BASE_SEED))
    folder = tmp_path / "r" / "tiny"
    stored_when_called = []

    def long_runs(task: RunTask) -> RunOutcome:
        stored_when_called.append(len(done_keys(folder)))
        outcome = spread(task)
        outcome.seconds = 60.0  # each run takes a minute: waiting for the next would hold this one past commit_every
        return outcome

    run_plan(build_plan(path), tmp_path / "r", make_executor("serial"), run=long_runs, commit_every=15, live=False)
    assert stored_when_called[:3] == [0, 1, 2]


def test_a_resume_under_other_package_versions_is_flagged_and_recorded(write_experiment, tmp_path, monkeypatch):
    import io
    import json

    from sim.experiment import manifest

    path = write_experiment(experiment_text(days=1, base_seed=BASE_SEED, replications=2))
    run_plan(build_plan(path), tmp_path / "r", make_executor("serial"), run=spread, live=False)
    real = manifest.versions
    monkeypatch.setattr(manifest, "versions", lambda: {**real(), "numpy": "0.0.1"})
    err = io.StringIO()
    grown = write_experiment(experiment_text(days=1, base_seed=BASE_SEED, replications=3))
    run_plan(build_plan(grown), tmp_path / "r", make_executor("serial"), run=spread, live=False, stream=err)
    assert f"numpy {real()['numpy']} -> 0.0.1" in err.getvalue()
    sessions = json.loads((tmp_path / "r" / "tiny" / "manifest.json").read_text())["sessions"]
    assert [s["versions"]["numpy"] for s in sessions] == [real()["numpy"], "0.0.1"] and sessions[1]["versions_changed"]
