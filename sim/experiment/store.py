"""The result store of one experiment: Parquet parts plus a SQLite ledger.

Only the main process writes here, as runs finish. Finished runs are
buffered and written together as one *part*: one Parquet file with a row per
run (``store/runs-<part>.parquet``) and one with their daily series
(``series/part-<part>.parquet``), each under a temporary name first and then
renamed, so a file is either whole or absent. Only then are the runs' keys
committed to the ledger (``store/ledger.sqlite``, WAL mode). A crash between
the rename and the commit leaves a part no ledger row points to; it is
deleted the next time the store opens, and its runs are simply run again.
So are the runs of a committed part whose files can no longer be read (a
disk error, a half-copied folder), with a warning.

Layout of ``<results root>/<experiment>/``::

    manifest.json        what was run, with which versions, when
    runs.parquet         one row per planned run (written at the end of a session)
    series/              daily series, one Parquet part per commit:
                         pandas.read_parquet("<folder>/series") reads them all
    failures.txt         tracebacks of failed runs, if any
    runs.csv, series.csv with --csv
    store/               the ledger and the per-part run rows (internal)
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .plan import Plan, PlannedRun
from .worker import RunOutcome

DONE, FAILED, PENDING = "done", "failed", "pending"
LEDGER = "ledger.sqlite"


class StoreError(RuntimeError):
    """The results folder cannot be used (locked, foreign, or from another plan)."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` under a temporary name, flush it to disk, then rename it."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_parquet(path: Path, table: pa.Table) -> None:
    write_atomic(path, lambda fh: pq.write_table(table, fh, compression="zstd"))


def json_safe(value: Any) -> Any:
    """``value`` as valid JSON: numpy scalars as Python numbers, NaN and infinity as null."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: Any) -> None:
    """``data`` as JSON, atomically; valid JSON whatever the numbers (see :func:`json_safe`)."""
    text = json.dumps(json_safe(data), indent=2, ensure_ascii=False, default=str, allow_nan=False)
    write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


class FolderLock:
    """An exclusive lock on a results folder, released when the process ends however it ends.

    ``path`` is the lock file; ``folder`` the results folder it guards (named in the message).
    """

    def __init__(self, path: Path, folder: Path) -> None:
        self.fh = open(path, "a+b")
        try:
            if os.name == "nt":  # pragma: no cover - Windows laptops
                import msvcrt

                msvcrt.locking(self.fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fh.close()
            raise StoreError(f"another govsim run is writing to {folder}/ right now; wait for it, or choose another --out") from None

    def release(self) -> None:
        self.fh.close()


class ResultStore:
    """Buffered, crash-safe writing of finished runs, and the export at the end."""

    def __init__(self, folder: Path, commit_every: float = 15.0, max_buffered: int = 200) -> None:
        self.folder = Path(folder)
        self.commit_every = commit_every
        self.max_buffered = max_buffered
        self.buffer: list[tuple[RunOutcome, PlannedRun]] = []
        self.buffered_since = 0.0
        self.db: sqlite3.Connection | None = None
        self.lock: FolderLock | None = None
        self.warnings: list[str] = []  # what opening the store had to repair, for the user

    @property
    def ledger_path(self) -> Path:
        return self.folder / "store" / LEDGER

    # ------------------------------------------------------------ opening
    def open(self, fresh: bool = False) -> "ResultStore":
        folder = self.folder
        ours = self.ledger_path.is_file()
        if folder.exists() and not ours and any(folder.iterdir()):
            raise StoreError(f"{folder}/ exists and is not a govsim results folder; choose another --out or experiment name")
        if fresh and ours:
            # Refuse while another run writes, and move the old results aside while holding its lock:
            # a batch that starts meanwhile finds no folder to share, or ours locked.
            held = FolderLock(self.ledger_path.with_name(".lock"), folder)
            aside = folder.with_name(f".{folder.name}.discarded-{uuid.uuid4().hex[:8]}")
            try:
                folder.rename(aside)
            finally:
                held.release()
            shutil.rmtree(aside, ignore_errors=True)
        try:
            (folder / "store").mkdir(parents=True, exist_ok=True)
            (folder / "series").mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot write results to {folder}/: {exc.strerror or exc}; choose another --out") from None
        self.lock = FolderLock(folder / "store" / ".lock", folder)
        try:
            self.db = self._connect(new=not self.ledger_path.is_file())
        except sqlite3.DatabaseError as exc:
            self._rebuild_ledger(exc)
        self._remove_leftovers()
        return self

    def _connect(self, new: bool) -> sqlite3.Connection:
        """The ledger, created if ``new``; raises ``sqlite3.DatabaseError`` if it is damaged."""
        db = sqlite3.connect(self.ledger_path, isolation_level=None)
        try:
            if not new and db.execute("SELECT name FROM sqlite_master WHERE name = 'runs'").fetchone() is None:
                # emptied, or another database: creating the table afresh would forget every stored run
                raise sqlite3.DatabaseError("it holds no ledger")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, status TEXT NOT NULL, part TEXT NOT NULL, "
                "scenario TEXT, replication INTEGER, seed INTEGER, seconds REAL, finished TEXT, error TEXT)"
            )
            (check,) = db.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise sqlite3.DatabaseError(check)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _rebuild_ledger(self, damage: sqlite3.DatabaseError) -> None:
        """A new ledger from the parts it indexed: the parts hold the results, the ledger only
        says which are committed. A part is renamed into place whole, its run rows before its
        series, so a part whose files all read was committed, or was about to be when the run stopped."""
        ledger = self.ledger_path
        aside = ledger.with_name(f"{LEDGER}.damaged-{time.strftime('%Y%m%d%H%M%S')}")
        ledger.rename(aside)
        for suffix in ("-wal", "-shm"):
            ledger.with_name(LEDGER + suffix).unlink(missing_ok=True)
        self.db = self._connect(new=True)
        rows = runs_in_parts(self.folder)
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO runs (key, status, part, seconds, error) VALUES (?, ?, ?, ?, ?)", rows)
        n = len({row[0] for row in rows})
        self.warnings.append(
            f"{ledger} was damaged ({damage}); it was rebuilt from the {n} run{'s' * (n != 1)} stored in {ledger.parent}/, "
            f"and any others will run again (the damaged file is kept as {aside.name})"
        )

    def _remove_leftovers(self) -> None:
        """Temporary files and parts never committed (a crash came in between)."""
        self._forget_damaged()
        referenced = {part for (part,) in self.db.execute("SELECT DISTINCT part FROM runs")}
        for folder, prefix in ((self.folder / "store", "runs-"), (self.folder / "series", "part-")):
            for path in folder.iterdir():
                if path.name.endswith(".tmp"):
                    path.unlink()
                elif path.name.startswith(prefix) and path.suffix == ".parquet" and path.stem[len(prefix) :] not in referenced:
                    path.unlink()

    def _forget_damaged(self) -> None:
        """Forget the runs of a committed part whose files can no longer be read (a disk error, a
        half-copied folder): like those of a part never committed, they are run again."""
        for (part,) in self.db.execute("SELECT DISTINCT part FROM runs").fetchall():
            rows, series = self.folder / "store" / f"runs-{part}.parquet", self.folder / "series" / f"part-{part}.parquet"
            why = _unreadable(rows) or (_unreadable(series) if series.exists() else None)  # a part of failed runs has no series
            if why is None:
                continue
            n = self.db.execute("SELECT COUNT(*) FROM runs WHERE part = ?", (part,)).fetchone()[0]
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute("DELETE FROM runs WHERE part = ?", (part,))
            self.warnings.append(f"{why}; the {n} run{'s' * (n != 1)} it held will run again")

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def stored(self) -> dict[str, str]:
        """Key -> status of every run committed so far."""
        return dict(self.db.execute("SELECT key, status FROM runs"))

    # ------------------------------------------------------------ writing
    def add(self, outcome: RunOutcome, run: PlannedRun) -> None:
        if not self.buffer:
            self.buffered_since = time.monotonic()
        self.buffer.append((outcome, run))
        self.flush_if_due()

    def flush_if_due(self, ahead: float = 0.0) -> None:
        """Commit if the oldest buffered run has waited ``commit_every`` seconds, or would
        have by ``ahead`` seconds from now (the next run, when nothing can interrupt it)."""
        if self.buffer and (len(self.buffer) >= self.max_buffered or time.monotonic() + ahead - self.buffered_since >= self.commit_every):
            self.flush()

    def flush(self) -> None:
        """Write the buffered runs as one part, then commit their keys."""
        if not self.buffer:
            return
        part = f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        rows = [self._row(outcome) for outcome, _ in self.buffer]
        write_parquet(self.folder / "store" / f"runs-{part}.parquet", pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False))
        series = [self._series(outcome, run) for outcome, run in self.buffer if outcome.ok and outcome.series]
        if series:
            write_parquet(self.folder / "series" / f"part-{part}.parquet", pa.concat_tables(series, promote_options="default"))
        finished = now()
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (o.key, DONE if o.ok else FAILED, part, r.scenario, r.replication, r.seed, o.seconds, finished, o.error or None)
                    for o, r in self.buffer
                ],
            )
        self.buffer.clear()

    @staticmethod
    def _row(outcome: RunOutcome) -> dict[str, Any]:
        row: dict[str, Any] = {"key": outcome.key, "status": DONE if outcome.ok else FAILED, "seconds": outcome.seconds, "worker": outcome.worker, "error": outcome.error}
        row.update(outcome.summary)
        return row

    @staticmethod
    def _series(outcome: RunOutcome, run: PlannedRun) -> pa.Table:
        n = len(next(iter(outcome.series.values())))
        columns = {
            "key": pa.array([run.key] * n, pa.string()),
            "scenario": pa.array([run.scenario] * n, pa.string()),
            "replication": pa.array(np.full(n, run.replication, dtype=np.int32)),
            "day": pa.array(np.arange(n, dtype=np.int32)),
        }
        columns.update({name: pa.array(values, pa.float64()) for name, values in outcome.series.items()})
        return pa.table(columns)

    # ------------------------------------------------------------ reading
    def stored_rows(self) -> pd.DataFrame:
        """The committed row of every stored run (a rerun failure replaces the old one)."""
        ledger = pd.read_sql_query("SELECT key, part FROM runs", self.db)
        frames = []
        for part, keys in ledger.groupby("part")["key"]:
            frame = pd.read_parquet(self.folder / "store" / f"runs-{part}.parquet")
            frames.append(frame[frame["key"].isin(set(keys))])
        if not frames:
            return pd.DataFrame(columns=["key", "status", "seconds", "worker", "error"])
        return pd.concat(frames, ignore_index=True).drop_duplicates("key", keep="last")

    def export(self, plan: Plan, csv: bool = False) -> pd.DataFrame:
        """Write runs.parquet (one row per planned run), failures.txt and, on request, CSV."""
        self.flush()
        planned = pd.DataFrame(
            [
                {"key": r.key, "scenario": r.scenario, "point": r.point, "replication": r.replication, "seed": r.seed, **plan.points[r.point]}
                for r in plan.runs
            ]
        )
        runs = planned.merge(self.stored_rows(), on="key", how="left")
        runs["status"] = runs["status"].fillna(PENDING)
        front = [*planned.columns, "status"]
        back = ["seconds", "worker", "error"]
        runs = runs[front + [c for c in runs.columns if c not in front + back] + back]
        write_parquet(self.folder / "runs.parquet", pa.Table.from_pandas(runs, preserve_index=False))
        self._write_failures(runs[runs["status"] == FAILED])
        if csv:
            write_atomic(self.folder / "runs.csv", lambda fh: runs.to_csv(fh, index=False))
            self._series_csv(set(runs.loc[runs["status"] == DONE, "key"]))
        return runs

    def _write_failures(self, failed: pd.DataFrame) -> None:
        path = self.folder / "failures.txt"
        if failed.empty:
            path.unlink(missing_ok=True)
            return
        blocks = [
            f"== {r.scenario}, point {r.point}, replication {r.replication}, seed {r.seed} (key {r.key}, worker {r.worker or '?'})\n{r.error}"
            for r in failed.drop_duplicates("key").itertuples()
        ]
        write_atomic(path, lambda fh: fh.write("\n".join(blocks).encode("utf-8")))

    def series_files(self) -> list[Path]:
        return sorted((self.folder / "series").glob("part-*.parquet"))

    def _series_csv(self, keys: set[str]) -> None:
        def write(fh) -> None:
            header = True
            for path in self.series_files():
                frame = pd.read_parquet(path)
                frame[frame["key"].isin(keys)].to_csv(fh, index=False, header=header)
                header = False

        write_atomic(self.folder / "series.csv", write)


def _unreadable(path: Path) -> str | None:
    """Why the Parquet file ``path`` cannot be read, or None if its footer reads."""
    if not path.exists():
        return f"{path} is missing"
    try:
        pq.read_metadata(path)
    except pa.ArrowInvalid as exc:
        return f"{path} is damaged (not a readable Parquet file: {exc})"
    return None


def runs_in_parts(folder: Path) -> list[tuple[str, str, str, float, str | None]]:
    """(key, status, part, seconds, error) of every run in the parts whose files all read, oldest
    part first: what the ledger of ``folder`` holds, read from the results themselves."""
    rows = []
    for path in sorted((folder / "store").glob("runs-*.parquet"), key=lambda path: (path.stat().st_mtime_ns, path.name)):
        part = path.stem[len("runs-") :]
        series = folder / "series" / f"part-{part}.parquet"
        if _unreadable(path) is not None:
            continue
        frame = pd.read_parquet(path, columns=["key", "status", "seconds", "error"])
        # a part's done runs need their series; a part of failures alone has none
        if _unreadable(series) is None if series.exists() else (frame["status"] == FAILED).all():
            rows += [(key, status, part, seconds, error) for key, status, seconds, error in zip(*(frame[c].tolist() for c in frame))]
    return rows


def read_series(folder: str | Path) -> pd.DataFrame:
    """All daily series of an experiment's results folder, in one frame."""
    files = sorted((Path(folder) / "series").glob("part-*.parquet"))
    if not files:
        return pd.DataFrame(columns=["key", "scenario", "replication", "day"])
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _read_only(ledger: Path) -> sqlite3.Connection:
    # A read-only connection to a WAL ledger creates its -wal and -shm files and cannot remove them.
    # Without a -wal file the ledger is whole in itself (checkpointed, no batch writing): read it as is.
    immutable = "" if ledger.with_name(LEDGER + "-wal").exists() else "&immutable=1"
    return sqlite3.connect(f"file:{ledger}?mode=ro{immutable}", uri=True)


def done_keys(folder: str | Path) -> set[str]:
    """Keys of the runs done in a results folder, read without writing anything."""
    ledger = Path(folder) / "store" / LEDGER
    if not ledger.is_file():
        return set()
    try:
        with closing(_read_only(ledger)) as db:
            return {key for (key,) in db.execute("SELECT key FROM runs WHERE status = ?", (DONE,))}
    except sqlite3.DatabaseError:  # damaged: what the next run will rebuild it with
        latest = {key: status for key, status, *_ in runs_in_parts(Path(folder))}
        return {key for key, status in latest.items() if status == DONE}


def ledger_damage(folder: str | Path) -> str | None:
    """Why the ledger of a results folder is damaged, or None if it is whole or absent (writes nothing)."""
    ledger = Path(folder) / "store" / LEDGER
    if not ledger.is_file():
        return None
    try:
        with closing(_read_only(ledger)) as db:
            (check,) = db.execute("PRAGMA quick_check").fetchone()
            if db.execute("SELECT name FROM sqlite_master WHERE name = 'runs'").fetchone() is None:
                return "it holds no ledger"
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if check == "ok" else check
