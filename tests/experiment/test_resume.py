"""A batch killed part-way and started again runs every run exactly once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.experiment import build_plan

from .conftest import experiment_text

GOVSIM = [sys.executable, "-m", "sim.cli"]


def committed(folder: Path) -> int:
    ledger = folder / "store" / "ledger.sqlite"
    if not ledger.is_file():
        return 0
    try:
        db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
        try:
            return db.execute("SELECT COUNT(*) FROM runs WHERE status = 'done'").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:  # created but no table yet
        return 0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(os.name != "posix", reason="uses process groups and SIGKILL")
def test_a_batch_killed_with_sigkill_resumes_and_runs_everything_exactly_once(write_experiment, tmp_path):
    path = write_experiment(experiment_text(replications=40, days=30))
    plan = build_plan(path)
    total = len(plan.unique_runs())
    out = tmp_path / "results"
    folder = out / "tiny"
    command = [*GOVSIM, "run", str(path), "--out", str(out), "--workers", "2", "--commit-every", "0.2"]
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while committed(folder) < 10 and batch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert batch.poll() is None, "the batch finished before it could be killed; make it longer"
        os.kill(batch.pid, signal.SIGKILL)
        batch.wait()
        # The workers notice that their parent died and leave.
        deadline = time.monotonic() + 15
        while group_alive(batch.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not group_alive(batch.pid), "worker processes outlived the killed batch"
    finally:
        if group_alive(batch.pid):
            os.killpg(batch.pid, signal.SIGKILL)
    before = committed(folder)
    assert 10 <= before < total

    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr + again.stdout
    assert f"ran {total - before} runs" in again.stdout and f"{before} were already done" in again.stdout

    runs = pd.read_parquet(folder / "runs.parquet")
    assert len(runs) == total and runs["key"].is_unique and (runs["status"] == "done").all()
    assert set(runs["key"]) == {r.key for r in plan.runs}
    series = pd.read_parquet(folder / "series")
    assert not series.duplicated(["key", "day"]).any()
    assert (series.groupby("key").size() == 30).all() and series["key"].nunique() == total
    for file in folder.rglob("*.parquet"):
        pq.read_table(file)  # every file whole
    assert not list(folder.rglob("*.tmp"))


def stored_batch(write_experiment, tmp_path):
    """A finished 4-run batch, one part per run: the command that ran it, its folder and its runs."""
    path = write_experiment(experiment_text(replications=2, days=5))
    out = tmp_path / "results"
    command = ["run", str(path), "--out", str(out), "--executor", "serial", "--commit-every", "0", "--no-report"]
    assert CliRunner().invoke(main, command).exit_code == 0
    folder = out / "tiny"
    return command, folder, pd.read_parquet(folder / "runs.parquet").set_index("key").sort_index()


def test_a_damaged_part_is_run_again_on_resume(write_experiment, tmp_path):
    # A part whose file cannot be read (a disk error, a half-copied folder): its runs run again, the rest are kept.
    command, folder, before = stored_batch(write_experiment, tmp_path)
    rows, other = sorted((folder / "store").glob("runs-*.parquet"))[:2]
    rows.write_bytes(b"")  # one part's run rows lost, another's series truncated
    series = folder / "series" / other.name.replace("runs-", "part-")
    series.write_bytes(series.read_bytes()[:100])
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.output.count("will run again") == 2
    assert f"{rows} is damaged" in result.output and f"{series} is damaged" in result.output
    assert "ran 2 runs" in result.output and "2 were already done" in result.output
    after = pd.read_parquet(folder / "runs.parquet").set_index("key").sort_index()
    same = [c for c in before.columns if c not in ("seconds", "worker")]
    assert after[same].equals(before[same])  # the same seeds give the same results
    days = pd.read_parquet(folder / "series").groupby("key").size()
    assert len(days) == 4 and (days == 5).all()


@pytest.mark.parametrize("damage", [b"", b"\x13 not a database " * 40], ids=["emptied", "garbage"])
def test_a_damaged_ledger_is_rebuilt_from_the_stored_runs(write_experiment, tmp_path, damage):
    # The ledger only indexes the parts; losing it must not cost the runs they hold.
    command, folder, before = stored_batch(write_experiment, tmp_path)
    parts = sorted(p.name for p in (folder / "store").glob("runs-*.parquet"))
    (folder / "store" / "ledger.sqlite").write_bytes(damage)
    dry = CliRunner().invoke(main, [*command, "--dry-run"])
    assert dry.exit_code == 0 and "ledger.sqlite is damaged" in dry.output and "(4 of 4 already done)" in dry.output
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "rebuilt from the 4 runs" in result.output
    assert "ran 0 runs" in result.output and "4 were already done" in result.output
    assert sorted(p.name for p in (folder / "store").glob("runs-*.parquet")) == parts  # nothing thrown away
    assert len(list((folder / "store").glob("ledger.sqlite.damaged-*"))) == 1
    after = pd.read_parquet(folder / "runs.parquet").set_index("key").sort_index()
    assert after.equals(before)
    assert committed(folder) == 4
