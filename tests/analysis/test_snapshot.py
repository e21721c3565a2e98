"""sim.snapshot re-runs a stored run in-process and keeps its per-building layers."""

from __future__ import annotations

import gc

import pandas as pd

from sim.analysis.results import read_spatial
from sim.governance import GovernanceModel
from sim.scenario import Scenario, with_overrides
from sim.snapshot import spatial_snapshot

from .conftest import manifest_for, write_store

TINY = {"world.communities": 1, "world.zones": 2, "world.buildings_per_zone": 3, "world.residents": 80}
DAYS = 8


def models_alive() -> int:
    gc.collect()
    return sum(isinstance(o, GovernanceModel) for o in gc.get_objects())


def test_snapshot_reproduces_the_stored_runs(tmp_path):
    base = with_overrides(Scenario(), TINY)
    configs = {"baseline": base, "points_incentive": with_overrides(base, {"mechanisms.points_incentive.enabled": True})}
    rows = []
    for name, config in configs.items():
        for replication, seed in enumerate((11, 12, 13)):
            model = GovernanceModel(scenario=config, rng=seed)
            for _ in range(DAYS):
                model.step()
            rows.append({"key": f"{name}-{replication}", "scenario": name, "point": 0, "replication": replication, "seed": seed, "status": "done", **model.summary()})
    manifest = manifest_for("tiny", list(configs), 3)
    manifest["configs"] = {name: config.model_dump(mode="json") for name, config in configs.items()}
    manifest["days"] = DAYS
    folder = write_store(tmp_path / "tiny", pd.DataFrame(rows), manifest, days=DAYS)

    from sim.analysis import load
    from sim.snapshot import snapshot_arms, snapshot_is_current

    results = load(folder)
    arms = snapshot_arms(results)
    assert not snapshot_is_current(results, arms)
    alive = models_alive()
    spatial_snapshot(folder)
    assert models_alive() == alive  # each re-run is freed: two district models side by side took 860 MB, not 550
    assert snapshot_is_current(results, arms) and not snapshot_is_current(results, arms[:1])  # a batch run again need not repeat them
    snaps = read_spatial(folder)
    assert [s["scenario"] for s in snaps][0] == "baseline" and len(snaps) == 2
    assert snaps[0]["seed"] == snaps[1]["seed"]  # one replication for every map: differences are the scenarios'
    for snap in snaps:
        assert snap["reproduced"], snap
        assert snap["participation"].shape == snap["building"].shape == snap["zone"].shape
        assert (snap["building"] >= 0).sum() == 6  # 2 zones x 3 buildings
        assert snap["residents"].sum() == 80 and set(snap["community"][snap["building"] >= 0]) == {0}  # for the table by community
        assert snap["days"] == DAYS
    stored = pd.DataFrame(rows).query("scenario == 'baseline'")
    median = stored["participation_rate"].median()
    chosen = stored.set_index("replication").loc[snaps[0]["replication"], "participation_rate"]
    assert abs(chosen - median) == (stored["participation_rate"] - median).abs().min()


def test_every_map_shows_the_baseline_s_representative_replication(tmp_path):
    """Even where another arm's own median run is another replication."""
    from sim.analysis import load
    from sim.snapshot import representative, same_replication

    rows = [{"key": f"{s}-{r}", "scenario": s, "point": 0, "replication": r, "seed": 11 + r, "status": "done",
             "participation_rate": {"baseline": [0.1, 0.2, 0.3], "points_incentive": [0.5, 0.3, 0.4]}[s][r]}
            for s in ("baseline", "points_incentive") for r in range(3)]
    results = load(write_store(tmp_path / "pair", pd.DataFrame(rows), manifest_for("pair", ["baseline", "points_incentive"], 3)))
    base, other = results.arms
    first = representative(results, base)
    assert first["replication"] == 1 and representative(results, other)["replication"] == 2
    assert same_replication(results, other, first)["replication"] == 1
