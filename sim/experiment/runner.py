"""Running a plan: skip what is stored, compute the rest, store as runs finish.

The main process alone writes results. A run that raises is stored as
failed with its traceback while the others go on; Ctrl-C (or SIGTERM, as a
cluster's time limit sends) stops the batch after committing what finished,
and running the same command again continues where it stopped.
"""

from __future__ import annotations

import signal
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

import pandas as pd

from . import manifest, precision
from .executors import Executor, Simulate
from .plan import Plan
from .progress import Progress, duration
from .store import DONE, FAILED, PENDING, ResultStore, StoreError, done_keys, now, write_json
from .worker import simulate

DEFAULT_METRICS = ("participation_rate", "resolution_rate", "satisfaction", "total_cost")


@dataclass
class Session:
    folder: Path
    planned: int  # distinct runs in the plan
    already: int  # done before this session
    done: int = 0  # in this session
    failed: int = 0  # in this session
    interrupted: bool = False
    seconds: float = 0.0
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    precision: dict | None = None  # replications = "auto": the count reached and the widths achieved
    csv: bool = False  # runs.csv and series.csv written by this session (an earlier session's may be out of date)

    @property
    def failures(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == FAILED].drop_duplicates("key") if len(self.runs) else self.runs

    @property
    def left(self) -> int:
        """Distinct runs of the plan not done yet (failed ones included)."""
        done = self.runs.loc[self.runs["status"] == DONE, "key"].nunique() if len(self.runs) else 0
        return self.planned - done


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextmanager
def _sigterm_as_ctrl_c():
    """Treat SIGTERM (kill, a cluster's time limit) like Ctrl-C: commit, then stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_same_plan(plan: Plan, stored: dict[str, str], folder: Path) -> None:
    """Stored results must all belong to this plan (it may have grown, not changed).

    Failed runs are not results: a plan that no longer has them (a sweep value
    that made the model fail, taken out of the file) may go on.
    """
    foreign = {key for key, status in stored.items() if status == DONE} - plan.keys_it_may_hold()
    if foreign:
        raise StoreError(
            f"{folder}/ holds {len(foreign)} runs that are not in this plan: the experiment file "
            "(days, seeds, overrides, scenarios, sweep) or the model version changed since they ran. "
            "Pass --fresh to discard them, or use another --out or experiment name to keep both."
        )


def run_plan(
    plan: Plan,
    root: Path,
    executor: Executor,
    *,
    fresh: bool = False,
    csv: bool = False,
    commit_every: float = 15.0,
    stream: TextIO | None = None,
    live: bool | None = None,
    run: Simulate = simulate,
) -> Session:
    """Run every planned run not yet stored under ``root/<experiment>/``.

    With ``replications = "auto"`` the plan grows in rounds until its precision
    targets are met (see :mod:`.precision`); ``plan`` is left at the final count.
    """
    options = dict(csv=csv, commit_every=commit_every, stream=stream, live=live, run=run)
    if plan.precision is None:
        return _run_round(plan, root, executor, fresh=fresh, **options)
    return _run_until_precise(plan, root, executor, fresh=fresh, **options)


def _run_until_precise(plan: Plan, root: Path, executor: Executor, *, fresh: bool, **options) -> Session:
    target = plan.precision
    folder = Path(root) / plan.name
    previous = None if fresh else (manifest.read(folder / "manifest.json") or {}).get("precision")
    n = min(target.max, max(target.min, (previous or {}).get("replications") or 0))
    rounds, total = 0, None
    while True:
        grown = plan.with_replications(n)
        plan.runs, plan.count = grown.runs, n
        session = _run_round(plan, root, executor, fresh=fresh and rounds == 0, **options)
        rounds += 1
        if total is None:
            total = session
        else:
            total.done, total.failed, total.seconds = total.done + session.done, total.failed + session.failed, total.seconds + session.seconds
            total.planned, total.runs, total.interrupted = session.planned, session.runs, session.interrupted
        table = precision.achieved(session.runs, target.metrics, plan.arms(), plan.reports)
        total.precision = precision.record(table, n, target, rounds)
        info = manifest.read(folder / "manifest.json") or {}
        info["precision"] = total.precision
        write_json(folder / "manifest.json", info)
        if session.interrupted or total.precision["met"] or n >= target.max:
            return total
        n = min(target.max, n + target.step)


def _run_round(
    plan: Plan,
    root: Path,
    executor: Executor,
    *,
    fresh: bool,
    csv: bool,
    commit_every: float,
    stream: TextIO | None,
    live: bool | None,
    run: Simulate,
) -> Session:
    """One pass over the plan; options as in :func:`run_plan`, which sets their defaults."""
    folder = Path(root) / plan.name
    store = ResultStore(folder, commit_every)
    try:
        return _store_round(plan, store, executor, fresh=fresh, csv=csv, stream=stream, live=live, run=run)
    except (OSError, sqlite3.Error) as exc:  # a full disk, a folder made read-only, a file where a folder should be
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        lost = f"; the {len(store.buffer)} runs finished since the last commit were not stored" if store.buffer else ""
        try:
            kept = "Stored runs are kept" if done_keys(folder) else "Nothing was stored"
        except (OSError, sqlite3.Error):  # cannot tell
            kept = "Any runs stored before are kept"
        raise StoreError(f"cannot write results to {folder}/ ({why}){lost}. {kept}: fix the cause and run the same command again") from None
    finally:
        store.close()


def _store_round(plan: Plan, store: ResultStore, executor: Executor, *, fresh: bool, csv: bool, stream: TextIO | None, live: bool | None, run: Simulate) -> Session:
    """The round itself; the caller closes ``store`` and turns a failed write into a StoreError."""
    folder = store.folder
    store.open(fresh)
    for warning in store.warnings:
        (stream or sys.stderr).write(f"warning: {warning}\n")
    stored = store.stored()
    check_same_plan(plan, stored, folder)
    unique = plan.unique_runs()
    todo = [r for r in unique if stored.get(r.key) != DONE]
    session = Session(folder, len(unique), len(unique) - len(todo))
    previous = manifest.read(folder / "manifest.json")
    info = manifest.build(plan, previous)
    info["started"] = info["started"] or now()
    this = {"started": now(), "finished": None, "executor": executor.name, "workers": executor.workers, "to_run": len(todo),
            "versions": info["versions"], "git": info["git"], "command": info["command"]}
    changed = manifest.version_changes(previous, info) if session.already else []
    if changed and todo:
        (stream or sys.stderr).write(
            f"warning: {folder}/ holds runs made with other versions ({', '.join(changed)}), which may give other numbers "
            "for the same seeds; pass --fresh to run them all with this session's (manifest.json records each session's versions)\n"
        )
        this["versions_changed"] = changed
    info["sessions"].append(this)
    write_json(folder / "manifest.json", info)
    progress = Progress(len(unique), session.already, stream, live)
    by_key = {r.key: r for r in todo}
    started = time.monotonic()
    with _sigterm_as_ctrl_c():
        try:
            if todo:  # else start no workers, no cluster
                with executor:
                    for outcome in executor.outcomes((plan.task(r) for r in todo), run):
                        if outcome is None:  # nothing finished for a while
                            store.flush_if_due()
                            progress.update()
                            continue
                        store.add(outcome, by_key[outcome.key])
                        if not executor.ticks:  # the next run may be as long as this one: commit now rather than after it
                            store.flush_if_due(ahead=outcome.seconds)
                        session.done += outcome.ok
                        session.failed += not outcome.ok
                        progress.update(outcome.ok)
        except KeyboardInterrupt:
            session.interrupted = True
    session.seconds = time.monotonic() - started
    progress.close()
    session.runs = store.export(plan, csv)
    session.csv = csv
    this.update(finished=now(), done=session.done, failed=session.failed, interrupted=session.interrupted)
    info["finished"] = this["finished"]
    write_json(folder / "manifest.json", info)
    return session


# ---------------------------------------------------------------- reporting
def report(plan: Plan, session: Session, max_failures: int = 10, fmt: Callable[[str, float], str] | None = None) -> str:
    """What happened, in a few lines: counts, failures, the metrics of interest."""
    lines = []
    ran = session.done + session.failed
    rate = 60 * ran / session.seconds if session.seconds > 0 else 0.0
    counts = session.runs.drop_duplicates("key")["status"].value_counts() if len(session.runs) else {}
    lines.append(
        f"ran {ran} runs in {duration(session.seconds)} ({rate:.1f} runs/min); "
        f"{session.already} were already done. Stored: {counts.get(DONE, 0)} done, {counts.get(FAILED, 0)} failed, "
        f"{counts.get(PENDING, 0)} pending of {session.planned}."
    )
    failures = session.failures
    if len(failures):
        lines.append(f"{len(failures)} runs failed:")
        for row in failures.head(max_failures).itertuples():
            last = (row.error or "").strip().splitlines()[-1:] or ["?"]
            lines.append(f"  {row.scenario} point {row.point} replication {row.replication} seed {row.seed}: {last[0]}")
        if len(failures) > max_failures:
            lines.append(f"  ... and {len(failures) - max_failures} more")
        lines.append(f"  tracebacks: {session.folder}/failures.txt; run the same command again to retry them")
    table = metrics_table(plan, session.runs, fmt)
    if table:
        lines.append(table)
    if session.precision:
        lines.append(precision.describe(session.precision))
    files = ("runs.parquet", "runs.csv", "series/", "series.csv", "manifest.json") if session.csv else ("runs.parquet", "series/", "manifest.json")
    written = [name for name in files if (session.folder / name).exists()]
    lines.append(f"results in {session.folder}/ ({', '.join(written)})")
    return "\n".join(lines)


def metrics_table(plan: Plan, runs: pd.DataFrame, fmt: Callable[[str, float], str] | None = None) -> str:
    """Mean and 95% interval over replications of each metric of interest, per scenario.

    ``fmt(metric, value)`` writes a value in the metric's unit (the CLI passes the
    report's: percentages, yuan); by default four significant digits.
    """
    fmt = fmt or (lambda metric, value: f"{value:.4g}")
    done = runs[runs["status"] == DONE] if len(runs) else runs
    metrics = [m for m in (plan.metrics or DEFAULT_METRICS) if m in done.columns]
    if done.empty or not metrics or len(plan.points) > 1:
        return ""
    width = max(len(s.name) for s in plan.scenarios) + 2
    head = f"{'scenario':<{width}}{'n':>4}  " + "  ".join(f"{m:>26}" for m in metrics)
    rows = [f"mean ± 95% interval over replications (baseline: {plan.baseline})", head]
    for entry in plan.scenarios:
        group = done[done["scenario"] == entry.name]
        cells = []
        for metric in metrics:
            values = group[metric].dropna()
            half = precision.half_width(values)  # the report's t interval, not a normal one: replications are few
            text = f"{fmt(metric, values.mean())} ± {fmt(metric, half) if half == half else 'n/a'}" if len(values) else "n/a"
            cells.append(f"{text:>26}")
        rows.append(f"{entry.name:<{width}}{len(group):>4}  " + "  ".join(cells))
    return "\n".join(rows)
