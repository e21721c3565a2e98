"""Synthetic result stores, written in the runner's layout (sim/experiment/store.py).

The analysis reads only files, so its tests write those files directly with
known numbers instead of running the model: the arithmetic can then be
checked against values computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GLYPH_FILTER = "error:Glyph.*missing:UserWarning"


def pytest_collection_modifyitems(items):
    """Chinese figures must never fall back to boxes: in these tests a missing glyph is an error."""
    for item in items:
        if "tests/analysis" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings(GLYPH_FILTER))


SUMMARY = {  # every metric a report reads, with a plausible baseline value
    "participation_rate": 0.25, "participation_rate_youth": 0.12, "participation_rate_working_age": 0.15, "participation_rate_elderly": 0.55,
    "party_member_active_rate": 0.30, "problems_arisen": 700.0, "problems_resolved": 620.0, "problems_abandoned": 30.0, "problems_open": 50.0,
    "resolution_rate": 0.886, "resolution_rate_small": 0.99, "resolution_rate_big": 0.35, "median_resolution_days": 2.0,
    "resolved_within_1_day": 0.22, "mean_open_problems": 40.0, "mean_days_in_system": 18.0, "satisfaction": 0.72,
    "gridworker_turnover": 0.24, "total_cost": 750_000.0, "residents": 2000.0, "gridworkers": 12.0, "days": 365.0,
    "mean_efficacy": 0.5, "mean_belonging": 0.3,
}
DAILY = ["participation_rate", "participation_rate_youth", "participation_rate_working_age", "participation_rate_elderly",
         "resolution_rate", "problems_open", "mean_belonging", "cost_to_date"]


def write_store(folder: Path, runs: pd.DataFrame, manifest: dict, days: int = 20) -> Path:
    """runs.parquet, manifest.json and one series part (for the done runs) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "series").mkdir(exist_ok=True)
    runs.to_parquet(folder / "runs.parquet", index=False)
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    done = runs[runs["status"] == "done"]
    parts = []
    ramp = np.linspace(0.2, 1.0, days)
    for r in done.itertuples():
        frame = pd.DataFrame({"key": r.key, "scenario": r.scenario, "replication": np.int32(r.replication), "day": np.arange(days, dtype=np.int32)})
        for column in DAILY:
            final = getattr(r, column) if column in runs else 1.0
            frame[column] = final * ramp
        parts.append(frame)
    if parts:
        pd.concat(parts).to_parquet(folder / "series" / "part-20240101000000-abcdef01.parquet", index=False)
    return folder


def manifest_for(name: str, scenarios: list[str], replications: int, baseline: str | None = None, points=None, sweep=None) -> dict:
    return {
        "experiment": name, "description": "synthetic store for tests", "file": f"experiments/{name}.toml",
        "model_version": "0.1.0", "baseline": baseline or scenarios[0], "scenarios": [{"name": s, "path": f"{s}.toml"} for s in scenarios],
        "replications": replications, "base_seed": 1, "seeds": [100 + r for r in range(replications)], "days": 365,
        "metrics": [], "overrides": {}, "sweep": sweep, "points": points or [{}], "runs": 0,
        "configs": {s: {"name": s} for s in scenarios},
    }


def run_row(scenario: str, replication: int, point: int = 0, status: str = "done", **values) -> dict:
    row = {"key": f"{scenario}-{point}-{replication}", "scenario": scenario, "point": point, "replication": replication,
           "seed": 100 + replication, "status": status, **SUMMARY}
    row.update(values)
    row.update(seconds=1.0, worker="test:1", error="" if status == "done" else "Traceback ...\nValueError: synthetic failure")
    if status != "done":
        row.update({k: np.nan for k in SUMMARY})
    return row


@pytest.fixture
def comparison_store(tmp_path) -> Path:
    """Baseline and two mechanisms, 4 replications, one failed run; effects known by construction."""
    rows = []
    base_participation = [0.24, 0.26, 0.25, 0.27]
    for r in range(4):
        b = base_participation[r]
        rows.append(run_row("baseline", r, participation_rate=b, total_cost=750_000.0 + 1000 * r, problems_resolved=620.0 + r))
        # points incentives: +4, +5, +4, +5 points of participation; +20,000 yuan a year each time
        rows.append(run_row("points_incentive", r, participation_rate=b + (0.04 if r % 2 == 0 else 0.05), total_cost=770_000.0 + 1000 * r, problems_resolved=620.0 + r))
        status = "failed" if r == 3 else "done"
        rows.append(run_row("whistle_escalation", r, status=status, participation_rate=b, resolution_rate=0.95, total_cost=950_000.0 + 1000 * r, problems_resolved=660.0 + r))
    runs = pd.DataFrame(rows)
    manifest = manifest_for("synthetic_comparison", ["baseline", "points_incentive", "whistle_escalation"], 4)
    return write_store(tmp_path / "synthetic_comparison", runs, manifest)


def factorial_rows(factors: list[str], replications: int, response, rng=None) -> tuple[pd.DataFrame, list[dict]]:
    """Every on/off cell of ``factors`` x replications; ``response(on: dict, replication) -> participation``."""
    import itertools

    points = [{f"mechanisms.{f}.enabled": v for f, v in zip(factors, values)} for values in itertools.product([False, True], repeat=len(factors))]
    rows = []
    for p, point in enumerate(points):
        on = {f: point[f"mechanisms.{f}.enabled"] for f in factors}
        for r in range(replications):
            y = response(on, r)
            rows.append({**run_row("licheng", r, point=p, participation_rate=y, resolution_rate=0.8 + 0.5 * (y - 0.25), total_cost=700_000.0 + 10_000 * sum(on.values())), **point})
    return pd.DataFrame(rows), points
