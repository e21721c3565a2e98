"""Bad experiment files: a clear message naming file and key, exit status 2, nothing written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

from .conftest import experiment_text


def govsim_run(path: Path, out: Path, *args: str):
    return CliRunner().invoke(main, ["run", str(path), "--out", str(out), "--executor", "serial", *args])


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(lambda t: t.replace("replications =", "replicatons ="), ["unknown key 'experiment.replicatons'", "did you mean 'experiment.replications'?"], id="unknown-key"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "grid"\n[sweep.parameters]\n"mechanisms.burden_reduction.admin_cutt" = [0.1]\n', ["sweep.parameters.\"mechanisms.burden_reduction.admin_cutt\"", "did you mean 'mechanisms.burden_reduction.admin_cut'?"], id="sweep-path"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "grid"\n[sweep.parameters]\n"mechanisms.burden_reduction.admin_cut" = [0.2, 1.5]\n', ["sweep.parameters.\"mechanisms.burden_reduction.admin_cut\"", "1.5", "less than or equal to 1"], id="sweep-value-out-of-range"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "lhs"\nsamples = 4\n[sweep.parameters]\n"gridworkers.admin_share" = { low = 0.1, high = 0.99 }\n', ["gridworkers.admin_share", "valid range"], id="sweep-bounds-out-of-range"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "lhs"\nsamples = 4\n[sweep.parameters]\n"gridworkers.admin_share" = { lo = 0.2, high = 0.5 }\n', ["'gridworkers.admin_share' is a parameter; give its bounds as { low = ..., high = ... }, not 'lo'"], id="bounds-key"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "grid"\n[sweep.parameters]\n"world.residents" = [300, 400]\n', ["sweep.parameters.\"world.residents\"", "also fixed under [overrides]"], id="sweep-of-an-override"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "grid"\n[sweep.parameters]\n"world.communities" = [1, 9]\n', ["sweep.parameters.\"world.communities\"", "= 9", "key 'world': zones", "(9)"], id="sweep-value-breaks-a-table-rule"),
        pytest.param(lambda t: t.replace('"world.residents" = 300', '"world.residents" = { value = 300 }'), ["overrides.\"world.residents\"", "an override is one value"], id="override-as-table"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "lhs"\nsamples = 3\n[sweep.parameters]\n"departments.count" = { low = 1.5, high = 1.9 }\n', ["departments.count", "whole numbers and none lies in [1.5, 1.9]"], id="integer-bounds-without-an-integer"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "morris"\nsamples = 1\n[sweep.parameters]\n"gridworkers.admin_share" = { low = 0.2, high = 0.6 }\n', ["key 'sweep.samples' = 1", "at least 2 trajectories"], id="morris-one-trajectory"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "sobol"\nsamples = 1\n[sweep.parameters]\n"gridworkers.admin_share" = { low = 0.2, high = 0.6 }\n', ["key 'sweep.samples' = 1", "at least 2 base samples"], id="sobol-one-sample"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "morris"\nsamples = 4\nlevels = 3\n[sweep.parameters]\n"gridworkers.admin_share" = { low = 0.2, high = 0.6 }\n', ["key 'sweep.levels' = 3", "even number of levels"], id="morris-odd-levels"),
        pytest.param(lambda t: t + '\n[sweep]\nmethod = "lhs"\nsamples = 4\n[sweep.parameters]\n"mechanisms.points_incentive.yuan_per_point" = { low = 0.2, high = 0.6 }\n', ["sweep.parameters.\"mechanisms.points_incentive.yuan_per_point\"", "off in every scenario"], id="sweep-of-a-mechanism-off-everywhere"),
        pytest.param(lambda t: t.replace("replications = 3", 'replications = "auto"') + '\n[experiment.precision]\nmetrics = { participation_rate = 0 }\n', ["experiment.precision.metrics.participation_rate", "greater than 0"], id="precision-target-zero"),
        pytest.param(lambda t: t.replace("replications = 3", "replications = 0"), ["key 'experiment.replications'", "greater than or equal to 1"], id="out-of-range"),
        pytest.param(lambda t: t.replace("replications = 3", 'replications = "many"'), ["key 'experiment.replications': must be a whole number"], id="our-own-rule"),
        pytest.param(lambda t: t.replace('"world.residents" = 300', '"world.residents" = 10'), ["overrides.\"world.residents\"", "greater than or equal to 50"], id="override-out-of-range"),
        pytest.param(lambda t: t.replace('"world.residents" = 300', '"world.resident" = 300'), ["overrides.\"world.resident\"", "did you mean 'world.residents'?"], id="override-path"),
        pytest.param(lambda t: t.replace("baseline.toml", "baselin.toml"), ["experiment.scenarios[0]", "does not exist", "did you mean 'baseline.toml'?"], id="missing-scenario"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nmetrics = [\"participaton_rate\"]"), ["experiment.metrics[0]", "did you mean 'participation_rate'?"], id="metric"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nmetrics = [\"burden_reduction.cost_yuan_per_yer\"]"), ["experiment.metrics[0]", "did you mean 'burden_reduction.cost_yuan_per_year'?"], id="mechanism-metric"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nmatters = { participaton_rate = 0.02 }"), ["experiment.matters.\"participaton_rate\"", "did you mean 'participation_rate'?"], id="matters-metric"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nmatters = { participation_rate = -0.02 }"), ["experiment.matters.participation_rate", "greater than 0"], id="matters-negative"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nlabels_zh = { burden_reducton = \"减负\" }"), ["experiment.labels_zh.\"burden_reducton\"", "no scenario of this experiment is called", "did you mean 'burden_reduction'?"], id="label-of-no-scenario"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nlabels = { baseline = \"Status quo\", burden_reduction = \"status quo\" }"), ["experiment.labels.\"burden_reduction\"", "'baseline' is called 'status quo' too"], id="two-scenarios-one-label"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nlabels = { burden_reduction = \"Baseline\" }"), ["experiment.labels.\"burden_reduction\"", "'baseline' is called 'Baseline' too"], id="label-is-another-scenarios-own-name"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nlabels_zh = { burden_reduction = \"基线\" }"), ["experiment.labels_zh.\"burden_reduction\"", "'baseline' is called '基线' too in a Chinese report"], id="chinese-label-is-another-scenarios-own-name"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nlabels = { baseline = \"  \" }"), ["experiment.labels.baseline", "at least 1 character"], id="blank-label"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20\nbaseline = \"basline\""), ["experiment.baseline", "did you mean 'baseline'?"], id="baseline"),
        pytest.param(lambda t: t.replace('name = "tiny"', 'name = "../../escape"'), ["experiment.name", "plain name"], id="name-is-a-path"),
        pytest.param(lambda t: t.replace("days = 20", "days = 20 20"), ["not valid TOML"], id="toml-syntax"),
        pytest.param(lambda t: t.replace("days = 20", 'days = "20"'), ["key 'experiment.days'", "valid integer"], id="wrong-type"),
    ],
)
def test_bad_experiment_file_names_file_and_key_and_writes_nothing(edit, expected, write_experiment, tmp_path):
    path = write_experiment(edit(experiment_text()))
    out = tmp_path / "results"
    result = govsim_run(path, out)
    assert result.exit_code == 2, result.output
    assert str(path) in result.output
    for text in expected:
        assert text in result.output
    assert "Traceback" not in result.output and "Value error" not in result.output  # pydantic's prefix for our own rules
    assert not out.exists()


def test_dry_run_of_a_bad_file_fails_the_same_way(write_experiment, tmp_path):
    path = write_experiment(experiment_text().replace("replications =", "replicatons ="))
    result = govsim_run(path, tmp_path / "results", "--dry-run")
    assert result.exit_code == 2 and "did you mean 'experiment.replications'?" in result.output


def test_scenario_options_are_refused_for_an_experiment(write_experiment, tmp_path):
    result = govsim_run(write_experiment(), tmp_path / "results", "--days", "5")
    assert result.exit_code == 2 and "--days only applies to a scenario file" in result.output
    assert not (tmp_path / "results").exists()


def test_a_scenario_file_still_runs_once(tmp_path, scenarios_dir):
    out = tmp_path / "one"
    mask = os.umask(0o022)
    try:
        result = CliRunner().invoke(main, ["run", str(scenarios_dir / "baseline.toml"), "--days", "3", "--out", str(out), "--set", "world.residents=300"])
    finally:
        os.umask(mask)
    assert result.exit_code == 0, result.output
    assert (out / "series.parquet").is_file() and (out / "summary.json").is_file()
    assert "building the world (300 residents) ..." in result.output  # a district's build takes seconds: say so
    if os.name == "posix":  # readable by others like any folder mkdir makes, not owner-only as a temporary folder is
        assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_the_summary_table_gives_turnover_and_mechanism_costs_their_units():
    from sim.cli import format_value

    assert format_value("gridworker_turnover", 0.13).strip() == "13.0 %"  # not 0.13: the report's 13.0% a year
    assert format_value("points_incentive.cost_yuan_per_year", 10000.0).strip() == "10,000 yuan"
    assert format_value("points_incentive.points_earned", 1880.0).strip() == "1,880"


def test_experiment_options_are_refused_for_a_scenario(tmp_path, scenarios_dir):
    result = CliRunner().invoke(main, ["run", str(scenarios_dir / "baseline.toml"), "--workers", "2", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--workers only applies to an experiment file" in result.output


def test_an_edit_that_drops_stored_runs_is_refused_and_the_dry_run_says_so(write_experiment, tmp_path):
    out = tmp_path / "results"
    assert govsim_run(write_experiment(scenarios=("baseline",), replications=2, days=3), out).exit_code == 0
    fewer = write_experiment(scenarios=("baseline",), replications=1, days=3)
    dry = govsim_run(fewer, out, "--dry-run")
    assert dry.exit_code == 2 and "1 runs that are not in this plan: the run will be refused" in dry.output
    assert "estimate      nothing left to run" in dry.output  # the plan is still shown whole; its one run is stored
    result = govsim_run(fewer, out)
    assert result.exit_code == 2 and "not in this plan" in result.output
    more = write_experiment(scenarios=("baseline",), replications=3, days=3)  # grows: no warning, runs the new one
    assert "not in this plan" not in govsim_run(more, out, "--dry-run").output
    assert govsim_run(more, out).exit_code == 0


def test_workers_are_no_more_than_the_runs_and_too_many_for_the_cores_are_flagged(write_experiment, tmp_path, monkeypatch):
    monkeypatch.setattr("sim.experiment.executors.default_workers", lambda: 2)
    path = write_experiment(replications=3)  # 6 runs
    many = govsim_run(path, tmp_path / "results", "--dry-run", "--executor", "processes", "--workers", "500")
    assert many.exit_code == 0 and "for 6 runs on 6 workers" in many.output
    assert "warning: --workers 500 on 2 cores: the runs will take turns" in many.output
    default = govsim_run(path, tmp_path / "results", "--dry-run", "--executor", "processes")
    assert "for 6 runs on 2 workers" in default.output and "warning" not in default.output
