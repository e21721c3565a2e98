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

import numpy as np

from sim.analysis import factorial
from sim.analysis.results import RERUN, SPATIAL, SPATIAL_EXTRA, SPATIAL_LAYERS, Arm, Results, ResultsError, load, read_spatial

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


def same_replication(results: Results, arm: Arm, run):
    """The done run of ``arm`` with the replication of ``run``; the arm's own representative if it has none."""
    rows = results.rows(arm)
    if run is not None:
        same = rows[rows["replication"] == run["replication"]]
        if not same.empty:
            return same.iloc[0]
    return representative(results, arm)


def representative(results: Results, arm: Arm):
    """The done run of ``arm`` whose participation is closest to the arm's median (lowest replication on ties)."""
    rows = results.rows(arm)
    if rows.empty:
        return None
    distance = (rows["participation_rate"] - rows["participation_rate"].median()).abs()
    return rows.loc[distance.sort_values(kind="stable").index[0]]


def stored_config(results: Results, arm: Arm):
    """The resolved scenario of ``arm`` as manifest.json stores it, validated by the current model.

    A configuration the model no longer accepts (a parameter removed or
    renamed since the batch ran) is a ResultsError that says to run the batch again.
    """
    from sim import model_version
    from sim.scenario import ScenarioError, validate, with_overrides

    manifest_file = results.folder / "manifest.json"
    data = results.manifest["configs"].get(arm.scenario) if isinstance(results.manifest["configs"], dict) else None
    if not isinstance(data, dict):
        raise ResultsError(f"{manifest_file} has no resolved config of scenario '{arm.scenario}', so its runs cannot be repeated; "
                           f"{RERUN}, which writes manifest.json anew")
    try:
        config = validate(data)
        if arm.setting:
            config = with_overrides(config, dict(arm.setting))
    except (ScenarioError, ValueError) as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        detail = lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")
        stored = results.manifest.get("model_version")
        versions = f" (stored by model {stored}, this is {model_version()})" if stored and stored != model_version() else ""
        raise ResultsError(
            f"{results.folder}/ was made by another model version{versions}: the config of scenario '{arm.scenario}' "
            f"stored in {manifest_file} does not fit the current model ({detail}), so its runs cannot be repeated for the maps. "
            "Run the batch again with the same `govsim run` command and --fresh to discard the old runs, "
            "or use another --out or experiment name to keep both."
        ) from None
    return config


def rerun(results: Results, arm: Arm, run, config=None) -> dict:
    """Build and run the model of one stored run; its last day's per-building layers."""
    from sim.governance import GovernanceModel

    config = config if config is not None else stored_config(results, arm)
    model = GovernanceModel(scenario=config, rng=int(run["seed"]))
    for _ in range(results.days):
        model.step()
    stored = float(run["participation_rate"])
    again = float(model.summary()["participation_rate"])
    meta = {"scenario": arm.scenario, "point": arm.point, "replication": int(run["replication"]), "seed": int(run["seed"]),
            "days": results.days, "key": str(run["key"]), "reproduced": abs(stored - again) <= REPRODUCED_TOLERANCE}
    layers = {name: np.asarray(model.layers[name].data).copy() for name in SPATIAL_LAYERS + SPATIAL_EXTRA}
    return {"meta": meta, **layers}


def chosen_runs(results: Results, arms: list[Arm]) -> list[tuple[Arm, object]]:
    """Each arm's run to map: every one from the replication representative of the first arm (the
    baseline), so that a difference between maps is the scenarios', not two draws of problems."""
    first = representative(results, arms[0]) if arms else None
    return [(arm, run) for arm in arms if (run := same_replication(results, arm, first)) is not None]


def snapshot_is_current(results: Results, arms: list[Arm]) -> bool:
    """Whether ``spatial.npz`` already maps these arms' chosen runs, with every layer: a batch run
    again with nothing new need not repeat them (at district scale, each as long as a run)."""
    try:
        stored = read_spatial(results.folder)
    except ResultsError:  # damaged: made anew
        return False
    wanted = [(arm.scenario, arm.point, str(run["key"])) for arm, run in chosen_runs(results, arms)]
    return (stored is not None and [(s["scenario"], s["point"], s.get("key")) for s in stored] == wanted
            and all(name in s for s in stored for name in SPATIAL_EXTRA))


def spatial_snapshot(results_dir: str | Path, arms: list[Arm] | None = None) -> Path:
    """Re-run the representative runs and write ``spatial.npz`` into the results folder.

    Every stored config is checked before the first run starts; ResultsError says what is wrong.
    """
    results = load(results_dir)
    if "configs" not in results.manifest:
        raise ResultsError(f"{results.folder}/manifest.json has no resolved configs, so no run can be repeated")
    arms = arms or snapshot_arms(results)
    chosen = chosen_runs(results, arms)
    configs = [stored_config(results, arm) for arm, _ in chosen]
    snaps = [rerun(results, arm, run, config) for (arm, run), config in zip(chosen, configs)]
    arrays = {"meta": np.array(json.dumps([s["meta"] for s in snaps]))}
    for i, s in enumerate(snaps):
        arrays.update({f"{i}.{k}": v for k, v in s.items() if k != "meta"})
    path = results.folder / SPATIAL
    tmp = path.with_name(".spatial.tmp.npz")
    try:
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ResultsError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path

