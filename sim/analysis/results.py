"""Reading one experiment's result store, and the arms a report compares.

Only the files the runner exports are read (see sim/experiment/store.py):
``manifest.json``, ``runs.parquet`` (one row per planned run) and
``series/part-*.parquet`` (daily series). Nothing here imports the model.

An *arm* is what a comparison compares: a scenario at one sweep point.
Without a sweep every scenario is one arm. Runs of different arms with the
same replication index share their seed (common random numbers), so arms are
compared with their baseline pair by pair.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

DONE, FAILED = "done", "failed"


class ResultsError(RuntimeError):
    """A folder that holds no readable experiment results."""


RUNS_COLUMNS = ("key", "scenario", "replication", "seed", "status")  # what the runner always exports
SERIES_COLUMNS = ("key", "scenario", "replication", "day")
RERUN = "run the batch again with the same `govsim run` command"
RERUN_PART = RERUN + ", which runs that file's runs again (add --fresh to start over if this message comes back)"


def damaged(path: Path, what: str, remedy: str) -> ResultsError:
    """The error for a results file that exists but cannot be read."""
    return ResultsError(f"{path} is damaged ({what}); {remedy}")


def read_parquet(path: Path, columns: tuple[str, ...], remedy: str) -> pd.DataFrame:
    """One Parquet file of the store; a file that cannot be read or lacks ``columns`` is a ResultsError."""
    import pyarrow as pa

    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = re.sub(r"^Could not open Parquet input source '.*?': ", "", reason)
        raise damaged(path, f"not a readable Parquet file: {reason}", remedy) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise damaged(path, f"it has no column {', '.join(repr(c) for c in missing)}", remedy)
    return frame


@dataclass(frozen=True)
class Arm:
    scenario: str
    point: int = 0
    setting: tuple[tuple[str, Any], ...] = ()  # the sweep values at this point

    @property
    def id(self) -> str:
        return self.scenario if not self.setting else f"{self.scenario}@{self.point}"


@dataclass
class Results:
    folder: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame  # every planned run, with its status and summary metrics
    _series: pd.DataFrame | None = field(default=None, repr=False)

    # ------------------------------------------------------------ what was run
    @property
    def name(self) -> str:
        return str(self.manifest.get("experiment") or self.folder.name)

    @property
    def baseline(self) -> str:
        return str(self.manifest.get("baseline") or self.scenarios[0])

    @property
    def scenarios(self) -> list[str]:
        listed = [s["name"] for s in self.manifest.get("scenarios", [])]
        return listed or list(dict.fromkeys(self.runs["scenario"]))

    @property
    def points(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("points") or [{}])

    @property
    def sweep(self) -> dict[str, Any] | None:
        return self.manifest.get("sweep")

    @property
    def days(self) -> int:
        if "days" in self.manifest:
            return int(self.manifest["days"])
        return int(self.done["days"].max()) if "days" in self.done else 365

    @cached_property
    def done(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == DONE].reset_index(drop=True)

    @property
    def failed(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == FAILED].drop_duplicates("key")

    @property
    def pending(self) -> pd.DataFrame:
        return self.runs[~self.runs["status"].isin([DONE, FAILED])].drop_duplicates("key")

    @cached_property
    def config_hash(self) -> str:
        """One short hash of everything that defines the runs (configs, sweep points, days, model).

        The run keys hash each run's own config; this names the experiment
        as a whole, so a figure can be traced to exactly what produced it.
        """
        m = self.manifest
        if "configs" not in m:
            return hashlib.sha256("".join(sorted(self.runs["key"].astype(str))).encode()).hexdigest()[:12]
        payload = {k: m.get(k) for k in ("configs", "points", "days", "model_version", "base_seed", "replications")}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]

    def arm_config_hash(self, arm: Arm) -> str:
        """Hash of one arm's resolved configuration (its scenario config plus its sweep values)."""
        config = self.manifest.get("configs", {}).get(arm.scenario, arm.scenario)
        payload = {"config": config, "point": dict(arm.setting), "days": self.days, "model": self.manifest.get("model_version")}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]

    # ------------------------------------------------------------ arms
    @cached_property
    def arms(self) -> list[Arm]:
        """Every (scenario, point) the plan holds, baseline first."""
        points = self.points
        out = [
            Arm(s, p, tuple(points[p].items()) if p < len(points) else ())
            for s in self.scenarios
            for p in range(len(points))
        ]
        return sorted(out, key=lambda a: (a.scenario != self.baseline, self.scenarios.index(a.scenario), a.point))

    def baseline_arm(self, arm: Arm) -> Arm:
        """The arm ``arm`` is compared with: its reference scenario at the same sweep point.

        Within the baseline scenario itself, sweep points are compared with its first point.
        """
        if arm.scenario != self.baseline:
            reference = self.reference_of(arm.scenario)
            return next(a for a in self.arms if a.scenario == reference and a.point == arm.point)
        return next(a for a in self.arms if a.scenario == self.baseline and a.point == 0)

    def reference_of(self, scenario: str) -> str:
        """The scenario ``scenario`` is compared with: the baseline, unless the results also hold
        ``scenario`` itself with the mechanisms it adds to the baseline switched off.

        ``emergency_conversion`` adds an epidemic and a flood as well as its
        squads; against the baseline the shocks' extra problems would count as
        the mechanism's work, against ``shocks`` (the same shocks, no squads)
        only the squads differ.
        """
        return self._references.get(scenario, self.baseline)

    @cached_property
    def situations(self) -> set[str]:
        """The scenarios other scenarios are compared with (``shocks``).

        A reference switches on no mechanism beyond the baseline's (see
        ``_references``): it is a situation another scenario is judged in,
        not an option to pay for, so it has no place on the cost frontier.
        """
        return set(self._references.values())

    @cached_property
    def _references(self) -> dict[str, str]:
        configs = self.manifest.get("configs", {})
        base = configs.get(self.baseline)
        if base is None:
            return {}
        out = {}
        for name, config in configs.items():
            added = _enabled(config) - _enabled(base)
            if name == self.baseline or not added:
                continue
            target = _comparable(config, off=added)
            match = next((other for other, c in configs.items() if other not in (name, self.baseline) and _comparable(c) == target), None)
            if match is not None:
                out[name] = match
        return out

    def rows(self, arm: Arm) -> pd.DataFrame:
        """The done runs of one arm, one per replication."""
        d = self.done
        rows = d[(d["scenario"] == arm.scenario) & (d["point"] == arm.point)]
        return rows.drop_duplicates("replication").sort_values("replication")

    def replications_of(self, arm: Arm) -> int:
        return len(self.rows(arm))

    # ------------------------------------------------------------ series
    def series(self) -> pd.DataFrame:
        """Daily series of the done runs, with their sweep point (joined through the run key)."""
        if self._series is None:
            files = sorted((self.folder / "series").glob("part-*.parquet"))
            if files:
                frame = pd.concat([read_parquet(f, SERIES_COLUMNS, RERUN_PART) for f in files], ignore_index=True)
                points = self.done[["key", "point"]].drop_duplicates("key")
                frame = frame.merge(points, on="key", how="inner")  # failed or replaced runs drop out
            else:
                frame = pd.DataFrame(columns=["key", "scenario", "replication", "day", "point"])
            self._series = frame
        return self._series

    @cached_property
    def spatial(self) -> list[dict[str, Any]] | None:
        """The snapshots of ``spatial.npz`` (see :func:`read_spatial`); None if there is none."""
        return read_spatial(self.folder)

    def metric_columns(self) -> list[str]:
        """Summary metrics present in the store (numeric columns that are not bookkeeping)."""
        return metric_columns(self.runs, {k for point in self.points for k in point})


BOOKKEEPING = frozenset({"key", "scenario", "point", "replication", "seed", "status", "seconds", "worker", "error"})


def metric_columns(runs: pd.DataFrame, swept) -> list[str]:
    """The summary metrics in ``runs``: numeric columns that are neither bookkeeping nor ``swept`` parameters."""
    skip = BOOKKEEPING | set(swept)
    return [c for c in runs.columns if c not in skip and pd.api.types.is_numeric_dtype(runs[c])]


def load(folder: str | Path) -> Results:
    """The results of one experiment folder; ResultsError says what is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"{folder}/ does not exist")
    runs_file = folder / "runs.parquet"
    if not runs_file.is_file():
        hint = " (a batch is still running or was interrupted: run the same `govsim run` again to finish it)" if (folder / "store").is_dir() else ""
        raise ResultsError(f"{folder}/ has no runs.parquet, so it is not a finished experiment's results{hint}")
    runs = read_parquet(runs_file, RUNS_COLUMNS, RERUN + ", which writes it anew from the stored runs")
    if "point" not in runs:
        runs["point"] = 0
    manifest_file = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    except OSError as exc:
        raise ResultsError(f"{manifest_file} cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ResultsError(f"{manifest_file} is not valid JSON: {exc}; {RERUN}, which writes it anew") from None
    if not isinstance(manifest, dict):
        raise ResultsError(f"{manifest_file} is not a JSON object; {RERUN}, which writes it anew")
    return Results(folder, manifest, runs)


# ---------------------------------------------------------------------- spatial snapshot
SPATIAL = "spatial.npz"
"""Written by :func:`sim.snapshot.spatial_snapshot`: per-building layers of representative runs.

Layout: ``meta`` holds a JSON list, one dict per snapshot (scenario, point,
replication, seed, days, key, reproduced); snapshot ``i`` has the grid
arrays ``<i>.participation``, ``<i>.open_problems``, ``<i>.building`` (-1 on
empty cells), ``<i>.zone``, ``<i>.community`` (-1 on empty cells) and
``<i>.residents`` (adults per building), indexed [x, y]. Snapshots written
before the last two existed lack them: their maps draw no community borders
and the report has no per-community table.
"""


SPATIAL_META = ("scenario", "point", "replication", "seed", "days")
SPATIAL_LAYERS = ("participation", "open_problems", "building", "zone")
SPATIAL_EXTRA = ("community", "residents")  # optional: older snapshots have none


def read_spatial(folder: str | Path) -> list[dict[str, Any]] | None:
    """The snapshots in ``spatial.npz``, each a dict of its meta and arrays; None if there is none.

    A file that cannot be read, or lacks part of the layout, is a ResultsError.
    """
    import zipfile
    import zlib

    import numpy as np

    path = Path(folder) / SPATIAL
    if not path.is_file():
        return None
    remedy = f"run `govsim snapshot {Path(folder)}` to make the maps again"
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if not isinstance(meta, list) or not all(isinstance(m, dict) for m in meta):
                raise damaged(path, "its meta is not a list of snapshots", remedy)
            out = []
            for i, m in enumerate(meta):
                missing = [k for k in SPATIAL_META if k not in m]
                if missing:
                    raise damaged(path, f"snapshot {i} has no {', '.join(missing)}", remedy)
                arrays = {name: np.asarray(data[f"{i}.{name}"]) for name in SPATIAL_LAYERS}
                arrays.update({name: np.asarray(data[f"{i}.{name}"]) for name in SPATIAL_EXTRA if f"{i}.{name}" in data})
                if len({a.shape for a in arrays.values()}) != 1 or arrays["building"].ndim != 2:
                    raise damaged(path, f"the layers of snapshot {i} are not grids of one shape", remedy)
                out.append({**m, **arrays})
    except ResultsError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        reason = "a layer is missing: " + str(exc) if isinstance(exc, KeyError) else str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "pickled" in reason:
            reason = "not a NumPy .npz archive of arrays"
        raise damaged(path, reason, remedy) from None
    return out


def _enabled(config: dict[str, Any]) -> set[str]:
    return {name for name, table in config.get("mechanisms", {}).items() if table.get("enabled")}


def _comparable(config: dict[str, Any], off: set[str] = frozenset()) -> dict[str, Any]:
    """A scenario config without its name and words, and with ``off`` and every switched-off
    mechanism reduced to its switch (an off mechanism's settings change nothing)."""
    out = {k: v for k, v in config.items() if k not in ("name", "description")}
    out["mechanisms"] = {
        name: ({"enabled": False} if name in off or not table.get("enabled") else table) for name, table in config.get("mechanisms", {}).items()
    }
    return out
