"""The result store: resume, leftovers of a crash, a changed plan, exports, progress."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.experiment import StoreError, build_plan, make_executor, run_plan
from sim.experiment.progress import DayProgress, Progress
from sim.experiment.store import ResultStore

from .conftest import experiment_text


def run(path, out, *args):
    return CliRunner().invoke(main, ["run", str(path), "--out", str(out), "--executor", "serial", *args])


def test_outputs_manifest_and_csv(write_experiment, tmp_path):
    path = write_experiment(extra='metrics = ["participation_rate", "satisfaction"]\nlabels_zh = { burden_reduction = "准入清单" }')
    result = run(path, tmp_path / "r", "--csv")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "r" / "tiny"
    runs = pd.read_parquet(folder / "runs.parquet")
    assert list(runs.columns[:6]) == ["key", "scenario", "point", "replication", "seed", "status"]
    assert {"participation_rate", "total_cost", "burden_reduction.cost_yuan_per_year"} <= set(runs.columns)
    assert len(pd.read_csv(folder / "runs.csv")) == 6
    series = pd.read_csv(folder / "series.csv")
    assert len(series) == 6 * 20 and {"key", "scenario", "replication", "day", "participation_rate"} <= set(series.columns)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["file_text"] == path.read_text()
    assert set(manifest["configs"]) == {"baseline", "burden_reduction"}
    assert manifest["versions"]["mesa"] and manifest["started"] and manifest["finished"]
    assert manifest["sessions"][-1]["done"] == 6
    assert manifest["labels_zh"] == {"burden_reduction": "准入清单"} and manifest["labels"] == {}
    assert "准入清单" in (folder / "report.html").read_text(encoding="utf-8")  # the report reads them from the manifest
    assert "participation_rate" in result.output and "satisfaction" in result.output  # the metrics table
    assert "report: re-running 2 runs for the maps" in result.output  # before the silent minute a district's report takes
    assert f"results in {folder}/ (runs.parquet, runs.csv, series/, series.csv, manifest.json)" in result.output
    again = run(path, tmp_path / "r")
    assert "report: the maps' runs are stored already" in again.output and "re-running" not in again.output
    assert f"results in {folder}/ (runs.parquet, series/, manifest.json)" in again.output  # not the first session's CSV, which it left as it was


def test_dry_run_prints_the_plan_and_writes_nothing(write_experiment, tmp_path):
    result = run(write_experiment(extra='labels = { burden_reduction = "Admission list" }'), tmp_path / "r", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "runs          6 = 2 scenarios x 1 point x 3 replications" in result.output
    assert "in the report: 减负增效 / Admission list" in result.output  # no Chinese label: the Chinese report keeps the built-in name
    assert "estimate" in result.output
    assert not (tmp_path / "r").exists()


def test_a_dry_run_over_stored_results_writes_nothing_there(write_experiment, tmp_path):
    # In its own process, as a planner runs it: a read-only connection to the WAL ledger
    # created ledger.sqlite-wal and -shm, and could not remove them.
    import subprocess
    import sys

    path = write_experiment(experiment_text(replications=1, days=3))
    assert run(path, tmp_path / "r").exit_code == 0
    store = tmp_path / "r" / "tiny" / "store"
    before = sorted(p.name for p in store.iterdir())
    dry = subprocess.run([sys.executable, "-c", "from sim.cli import main; main()", "run", str(path), "--out", str(tmp_path / "r"), "--dry-run"],
                         capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "(2 of 2 already done)" in dry.stdout  # it read the ledger
    assert sorted(p.name for p in store.iterdir()) == before


def test_a_dry_run_times_only_the_scenarios_with_runs_left(write_experiment, tmp_path, monkeypatch):
    # Timing a scenario builds its world: seconds apiece at district scale, for runs that are already stored.
    from sim.experiment import plan as plan_module

    timed = []
    real = plan_module.estimate_seconds
    monkeypatch.setattr(plan_module, "estimate_seconds", lambda plan, **kw: timed.append(kw.get("only")) or real(plan, **kw))
    assert run(write_experiment(experiment_text(scenarios=("baseline",), replications=1, days=3)), tmp_path / "r").exit_code == 0
    grown = run(write_experiment(experiment_text(replications=1, days=3)), tmp_path / "r", "--dry-run")
    assert grown.exit_code == 0, grown.output
    assert timed == [{"burden_reduction"}] and "for 1 runs" in grown.output
    done = run(write_experiment(experiment_text(scenarios=("baseline",), replications=1, days=3)), tmp_path / "r", "--dry-run")
    assert done.exit_code == 0 and "nothing left to run" in done.output and len(timed) == 1


def test_ctrl_c_while_a_dry_run_times_the_scenarios(write_experiment, tmp_path, monkeypatch):
    def interrupted(plan, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.experiment.plan.estimate_seconds", interrupted)
    result = run(write_experiment(), tmp_path / "r", "--dry-run")
    assert result.exit_code == 130 and "interrupted while timing" in result.output
    assert "Aborted" not in result.output and not (tmp_path / "r").exists()


def test_results_stay_inside_the_root_whatever_the_name(write_experiment, tmp_path):
    path = write_experiment(experiment_text(name="my sweep: v2", replications=1))
    assert run(path, tmp_path / "r").exit_code == 0
    assert (tmp_path / "r" / "my_sweep_v2" / "runs.parquet").is_file()


def test_a_changed_plan_is_refused_until_fresh(write_experiment, tmp_path):
    assert run(write_experiment(replications=2), tmp_path / "r").exit_code == 0
    grown = run(write_experiment(replications=3), tmp_path / "r")  # more replications: reuse the first ones
    assert grown.exit_code == 0 and "ran 2 runs" in grown.output
    changed = write_experiment(replications=3, days=21)
    refused = run(changed, tmp_path / "r")
    assert refused.exit_code == 2 and "--fresh" in refused.output and "Traceback" not in refused.output
    fresh = run(changed, tmp_path / "r", "--fresh")
    assert fresh.exit_code == 0 and "ran 6 runs" in fresh.output


def test_a_foreign_folder_is_not_touched(write_experiment, tmp_path):
    (tmp_path / "r" / "tiny").mkdir(parents=True)
    (tmp_path / "r" / "tiny" / "notes.txt").write_text("mine")
    result = run(write_experiment(), tmp_path / "r", "--fresh")
    assert result.exit_code == 2 and "not a govsim results folder" in result.output
    assert (tmp_path / "r" / "tiny" / "notes.txt").read_text() == "mine"


def test_parts_never_committed_are_removed_and_rerun(write_experiment, tmp_path):
    plan = build_plan(write_experiment(replications=2))
    run_plan(plan, tmp_path, make_executor("serial"), live=False)
    folder = tmp_path / "tiny"
    # A crash between writing a part and committing it leaves an orphan part and temp files.
    orphan = folder / "series" / "part-orphan.parquet"
    orphan.write_bytes((next(folder.glob("series/part-*.parquet"))).read_bytes())
    (folder / "store" / ".runs-x.parquet.1234.tmp").write_bytes(b"half a file")
    store = ResultStore(folder).open()
    store.close()
    assert not orphan.exists() and not list(folder.rglob("*.tmp"))


def test_one_batch_at_a_time_per_results_folder(write_experiment, tmp_path):
    plan = build_plan(write_experiment(replications=1))
    holder = ResultStore(tmp_path / "tiny").open()
    try:
        with pytest.raises(StoreError, match="another govsim run"):
            run_plan(plan, tmp_path, make_executor("serial"), live=False)
    finally:
        holder.close()


def test_day_progress_of_one_long_run():
    log = io.StringIO()
    progress = DayProgress(10, stream=log, live=False, every=0)
    progress.building("the world (300 residents)")
    progress.start()
    progress.update(4)
    progress.close()
    lines = log.getvalue().splitlines()
    assert lines[0].endswith("building the world (300 residents) ...") and "day 4/10" in lines[1] and "ETA" in lines[1]
    assert len(lines) == 2 and "\r" not in log.getvalue()
    tty = io.StringIO()
    live = DayProgress(10, stream=tty, live=True)
    live.start()
    for day in range(1, 11):
        live.update(day)
    live.close()
    assert tty.getvalue().startswith("\r") and "day 10/10" in tty.getvalue() and "ETA 0s" in tty.getvalue() and tty.getvalue().endswith("\n")


def test_progress_writes_plain_lines_to_a_log():
    log = io.StringIO()
    progress = Progress(total=10, already=4, stream=log, live=False, every=0)
    progress.update(True)
    progress.update(False)
    progress.close()
    lines = log.getvalue().splitlines()
    assert "6/10 runs, 1 failed" in lines[-1] and "runs/min" in lines[-1] and "ETA" in lines[-1]
    assert "\r" not in log.getvalue()
