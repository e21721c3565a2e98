"""Expanding experiment files: seeds, keys, sweep designs, folder names, shipped files."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from sim.experiment import ExperimentError, build_plan, seed_for
from sim.experiment.plan import results_name, run_key
from tests.conftest import ROOT

from .conftest import experiment_text


GRID = """
[sweep]
method = "grid"
[sweep.parameters]
"gridworkers.admin_share" = [0.2, 0.45, 0.6]
"mechanisms.burden_reduction.admin_cut" = [0.2, 0.4]
"""


def test_same_replication_same_seed_across_scenarios_and_points(write_experiment):
    plan = build_plan(write_experiment(sweep=GRID, replications=4))
    assert len(plan.runs) == 2 * 6 * 4
    by_replication: dict[int, set[int]] = {}
    for run in plan.runs:
        by_replication.setdefault(run.replication, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in by_replication.values())
    assert len({seeds.pop() for seeds in by_replication.values()}) == 4
    assert all(run.seed == seed_for(11, run.replication) for run in plan.runs)


def test_the_plan_keeps_its_columns_for_long_scenario_names(write_experiment, tmp_path):
    from tests.conftest import SCENARIOS

    (tmp_path / "long.toml").write_text(f'extends = "{(SCENARIOS / "whistle_escalation.toml").as_posix()}"\nname = "district_whistle_escalation"\n', encoding="utf-8")
    text = experiment_text().replace("scenarios = [", f'scenarios = ["{(tmp_path / "long.toml").as_posix()}", ', 1)
    lines = [line for line in build_plan(write_experiment(text)).describe().splitlines() if line.startswith("scenario ")]
    assert len(lines) == 3
    starts = {line.index(" " + line.split()[2]) for line in lines}  # where each line's file column begins
    assert len(starts) == 1, lines


def test_seeds_depend_on_base_seed_and_replication_only():
    # Stable across versions: changing this would silently change every stored result.
    assert [seed_for(20240601, r) for r in range(3)] == [seed_for(20240601, 0), seed_for(20240601, 1), seed_for(20240601, 2)]
    assert seed_for(1, 0) != seed_for(2, 0) and seed_for(1, 0) != seed_for(1, 1)
    assert seed_for(7, 0) == 1201125462


def test_run_keys_hash_config_seed_and_days(write_experiment):
    plan = build_plan(write_experiment(sweep=GRID, replications=2))
    assert len({r.key for r in plan.runs}) == len(plan.runs)
    config = plan.configs[("baseline", 0)]
    assert run_key(config, 1, 20) == run_key(dict(config), 1, 20)
    assert run_key(config, 1, 20) != run_key(config, 2, 20) != run_key(config, 1, 21)
    assert run_key({**config, "description": "words only"}, 1, 20) == run_key(config, 1, 20)
    assert plan.points[2] == {"gridworkers.admin_share": 0.45, "mechanisms.burden_reduction.admin_cut": 0.2}  # first parameter slowest
    assert plan.configs[("baseline", 2)]["gridworkers"]["admin_share"] == 0.45
    assert plan.configs[("burden_reduction", 5)]["mechanisms"]["burden_reduction"]["admin_cut"] == 0.4


def test_sweeping_a_switched_off_mechanism_is_flagged(write_experiment):
    plan = build_plan(write_experiment(sweep=GRID))
    assert any("admin_cut" in w and "baseline" in w for w in plan.warnings)


@pytest.mark.parametrize(("method", "settings", "expected"), [("lhs", "samples = 7", 7), ("sobol", "samples = 4", 4 * (2 * 2 + 2)), ("sobol", "samples = 4\nsecond_order = false", 4 * (2 + 2)), ("morris", "samples = 3", 3 * (2 + 1))])
def test_sampled_designs_stay_in_bounds(method, settings, expected, write_experiment):
    if method in ("sobol", "morris"):
        pytest.importorskip("SALib")
    sweep = f"""
[sweep]
method = "{method}"
{settings}
[sweep.parameters]
"gridworkers.admin_share" = {{ low = 0.2, high = 0.6 }}
"committee.meeting_invitees" = {{ low = 0, high = 999 }}
"""
    plan = build_plan(write_experiment(sweep=sweep, scenarios=("baseline",), replications=1))
    assert len(plan.points) == expected
    shares = [p["gridworkers.admin_share"] for p in plan.points]
    invitees = [p["committee.meeting_invitees"] for p in plan.points]
    assert all(0.2 <= s <= 0.6 for s in shares)
    assert all(isinstance(i, int) and 0 <= i <= 999 for i in invitees)
    assert plan.sweep["problem"]["names"] == ["gridworkers.admin_share", "committee.meeting_invitees"]
    assert build_plan(write_experiment(sweep=sweep, scenarios=("baseline",), replications=1)).points == plan.points


def integer_sweep(method: str, settings: str, low: int, high: int) -> str:
    return f'\n[sweep]\nmethod = "{method}"\n{settings}\n[sweep.parameters]\n"gridworkers.admin_share" = {{}}\n"departments.count" = {{ low = {low}, high = {high} }}\n'


@pytest.mark.parametrize(("method", "settings"), [("lhs", "samples = 300"), ("sobol", "samples = 64")])
def test_sampled_integers_get_an_equal_share_of_the_points(method, settings, write_experiment):
    if method == "sobol":
        pytest.importorskip("SALib")
    plan = build_plan(write_experiment(sweep=integer_sweep(method, settings, 1, 3), scenarios=("baseline",), replications=1))
    counts = np.bincount([p["departments.count"] for p in plan.points], minlength=4)[1:]
    assert counts.min() / counts.max() > 0.85, counts  # not 1/4, 1/2, 1/4 for a [1, 3] range


def test_morris_refuses_integer_steps_that_rounding_would_distort(write_experiment):
    pytest.importorskip("SALib")
    with pytest.raises(ExperimentError, match=r'sweep.parameters."departments.count".*whole numbers.*low = 1, high = 4'):
        build_plan(write_experiment(sweep=integer_sweep("morris", "samples = 4\nlevels = 4", 1, 3), scenarios=("baseline",), replications=1))
    plan = build_plan(write_experiment(sweep=integer_sweep("morris", "samples = 4\nlevels = 4", 1, 7), scenarios=("baseline",), replications=1))
    values = np.array([p["departments.count"] for p in plan.points]).reshape(4, 3)  # 4 trajectories of D + 1 points
    assert set(values.ravel()) <= {1, 3, 5, 7} and set(np.abs(np.diff(values, axis=1)).ravel()) <= {0, 4}  # on the grid, steps of 2 intervals


def test_sobol_without_salib_says_how_to_install_it(write_experiment, monkeypatch):
    monkeypatch.setitem(sys.modules, "SALib", None)
    monkeypatch.setitem(sys.modules, "SALib.sample", None)
    monkeypatch.setitem(sys.modules, "SALib.sample.sobol", None)
    sweep = '\n[sweep]\nmethod = "sobol"\nsamples = 4\n[sweep.parameters]\n"gridworkers.admin_share" = {}\n'
    with pytest.raises(ExperimentError, match=r"govsim\[sensitivity\]"):
        build_plan(write_experiment(sweep=sweep))


@pytest.mark.parametrize("name", ["../up", "/etc/passwd", "a/b", "..", "a\\b"])
def test_names_that_are_paths_are_refused(name):
    with pytest.raises(ExperimentError, match="experiment.name"):
        results_name(name, Path("x.toml"))


def test_names_are_made_safe_for_folders():
    assert results_name("积分 sweep (v2)", Path("x.toml")) == "积分_sweep_v2"
    assert results_name(".hidden", Path("x.toml")) == "hidden"


def test_scenario_placeholder_expands_to_every_mechanism(tmp_path):
    from sim.mechanisms import available

    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "baseline.toml").write_text((ROOT / "scenarios" / "baseline.toml").read_text())
    for name in available():
        (scenarios / f"{name}.toml").write_text(f'extends = "baseline.toml"\nname = "{name}"\n[mechanisms.{name}]\nenabled = true\n')
    path = tmp_path / "exp.toml"
    path.write_text('[experiment]\nscenarios = ["scenarios/baseline.toml", "scenarios/{mechanism}.toml"]\nreplications = 1\nbase_seed = 1\ndays = 1\n')
    plan = build_plan(path)
    assert [s.name for s in plan.scenarios] == ["baseline", *available()]
    assert plan.name == "exp"  # the file name when no name is given
    assert all(s.config.enabled_mechanisms() == [s.name] for s in plan.scenarios[1:])


SHIPPED = sorted((ROOT / "experiments").glob("*.toml"))
EXPECTED_WARNINGS = {  # said on purpose, and explained in the file's comments
    "seed_systems": ["yuyao: mechanism 'emergency_conversion' never acts with this scenario's settings (only its standing cost counts)"],
}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_experiment_files_are_valid(path):
    plan = build_plan(path)
    assert plan.runs and plan.warnings == EXPECTED_WARNINGS.get(path.stem, [])
    assert plan.name == path.stem
    assert plan.spec.experiment.description_zh  # the Chinese report says what the experiment asks in Chinese


def test_a_world_changed_by_overrides_is_stated_with_the_files_own_size(write_experiment):
    plan = build_plan(write_experiment())  # the test experiments shrink the 6,000-resident community
    assert [entry.own_size for entry in plan.scenarios] == [(6000, 1), (6000, 1)]
    assert "by [overrides]; the file has 6,000 in 1 community" in plan.describe()
    unchanged = build_plan(write_experiment(experiment_text().split("[overrides]")[0]))
    assert [entry.own_size for entry in unchanged.scenarios] == [None, None]


def test_a_chinese_report_falling_back_to_an_english_label_may_not_call_two_scenarios_alike(write_experiment, tmp_path):
    # east_pilot has no Chinese label and no built-in name: a Chinese report calls it by its English one.
    from tests.conftest import SCENARIOS

    (tmp_path / "east_pilot.toml").write_text(f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\n', encoding="utf-8")
    text = experiment_text(scenarios=("baseline", "burden_reduction")).replace(
        "burden_reduction.toml\"]", f'burden_reduction.toml", "{(tmp_path / "east_pilot.toml").as_posix()}"]')
    fine = write_experiment(text.replace("days = 20", 'days = 20\nlabels = { east_pilot = "Pilot" }\nlabels_zh = { burden_reduction = "准入清单" }'))
    assert [e.name for e in build_plan(fine).scenarios] == ["baseline", "burden_reduction", "east_pilot"]
    clash = write_experiment(text.replace("days = 20", 'days = 20\nlabels = { east_pilot = "Pilot" }\nlabels_zh = { burden_reduction = "Pilot" }'))
    with pytest.raises(ExperimentError, match=r"'burden_reduction' is called 'Pilot' too in a Chinese report"):
        build_plan(clash)
    unlabelled = write_experiment(text.replace("days = 20", 'days = 20\nlabels = { baseline = "East pilot" }'))
    with pytest.raises(ExperimentError, match=r"experiment.labels.\"baseline\"': 'east_pilot' is called 'east pilot' too"):
        build_plan(unlabelled)
