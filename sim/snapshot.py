"""The spatial picture of a representative run, for the report.

The result store keeps population-level series only, not per-building
state (that would be buildings x days x runs). The report's maps need one
run's buildings, so this module re-runs a stored run in-process with the same
resolved configuration and seed and keeps its last day's per-building layers
in ``<results>/spatial.npz`` (layout in :data:`sim.analysis.results.SPATIAL`).
It sits outside ``sim/analysis`` because it builds the model, which the
analysis must never import.

Which runs: the baseline and the arm that raises participation most (for a
factorial experiment: all mechanisms off and all on), each at the
replication whose participation is closest to its arm's median.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from sim.analysis import factorial
from sim.analysis.results import SPATIAL, Arm, Results, load

REPRODUCED_TOLERANCE = 1e-9


def snapshot_arms(results: Results) -> list[Arm]:
    """The baseline arm, and the arm with the highest mean participation."""
    design = factorial.detect(results)
    if design is not None:
        cells = factorial.cells(results, design)
        return [cells[k] for k in ("all_off", "all_on") if k in cells]
    base = results.baseline_arm(results.arms[0])
    means = {a: results.rows(a)["participation_rate"].mean() for a in results.arms if a != base and not results.rows(a).empty}
    best = max(means, key=lambda a: means[a]) if means else None
    return [base] + ([best] if best is not None else [])


def representative(results: Results, arm: Arm):
    """The done run of ``arm`` whose participation is closest to the arm's median (lowest replication on ties)."""
    rows = results.rows(arm)
    if rows.empty:
        return None
    distance = (rows["participation_rate"] - rows["participation_rate"].median()).abs()
    return rows.loc[distance.sort_values(kind="stable").index[0]]


def rerun(results: Results, arm: Arm, run) -> dict:
    """Build and run the model of one stored run; its last day's per-building layers."""
    from sim.governance import GovernanceModel
    from sim.scenario import Scenario, with_overrides

    config = Scenario.model_validate(results.manifest["configs"][arm.scenario])
    if arm.setting:
        config = with_overrides(config, dict(arm.setting))
    model = GovernanceModel(scenario=config, rng=int(run["seed"]))
    for _ in range(results.days):
        model.step()
    stored = float(run["participation_rate"])
    again = float(model.summary()["participation_rate"])
    meta = {"scenario": arm.scenario, "point": arm.point, "replication": int(run["replication"]), "seed": int(run["seed"]),
            "days": results.days, "key": str(run["key"]), "reproduced": abs(stored - again) <= REPRODUCED_TOLERANCE}
    layers = {name: np.asarray(model.layers[name].data).copy() for name in ("participation", "open_problems", "building", "zone")}
    return {"meta": meta, **layers}


def spatial_snapshot(results_dir: str | Path, arms: list[Arm] | None = None) -> Path:
    """Re-run the representative runs and write ``spatial.npz`` into the results folder."""
    results = load(results_dir)
    if "configs" not in results.manifest:
        raise click.ClickException(f"{results.folder}/manifest.json has no resolved configs, so no run can be repeated")
    snaps = []
    for arm in arms or snapshot_arms(results):
        run = representative(results, arm)
        if run is not None:
            snaps.append(rerun(results, arm, run))
    arrays = {"meta": np.array(json.dumps([s["meta"] for s in snaps]))}
    for i, s in enumerate(snaps):
        arrays.update({f"{i}.{k}": v for k, v in s.items() if k != "meta"})
    path = results.folder / SPATIAL
    tmp = path.with_name(".spatial.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    return path


@click.command("snapshot")
@click.argument("results_dir", metavar="RESULTS", type=click.Path(file_okay=False, path_type=Path))
def snapshot(results_dir: Path) -> None:
    """Re-run representative runs of RESULTS to store per-building maps (spatial.npz) for the report."""
    from sim.analysis import ResultsError

    try:
        path = spatial_snapshot(results_dir)
    except ResultsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {path}")
