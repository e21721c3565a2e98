"""Scenario files: inheritance, overrides and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import ROOT, SCENARIOS


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_scenario_validates():
    for path in sorted(SCENARIOS.glob("*.toml")):
        load_scenario(path)


def test_district_inherits_from_baseline_and_overrides_world():
    district = load_scenario(SCENARIOS / "district.toml")
    baseline = load_scenario(SCENARIOS / "baseline.toml")
    assert district.world.communities == 81 and district.world.zones == 562
    assert district.gridworkers.admin_share == baseline.gridworkers.admin_share
    assert district.name == "district"


def test_overrides_apply_and_are_validated():
    s = load_scenario(SCENARIOS / "baseline.toml", {"gridworkers.admin_share": 0.2})
    assert s.gridworkers.admin_share == 0.2
    with pytest.raises(ScenarioError, match="gridworkers.admin_share"):
        load_scenario(SCENARIOS / "baseline.toml", {"gridworkers.admin_share": 3})


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("[world]\nzonse = 3\n", "world.zonse", "did you mean 'world.zones'"),
        ("[gridworkers]\nadmin_share = 2.0\n", "gridworkers.admin_share", "less than or equal to 0.95"),
        ('[world]\nresidents = "many"\n', "world.residents", "valid integer"),
        ("[mechanisms.burden_reductoin]\nenabled = true\n", "mechanisms.burden_reductoin", "did you mean 'mechanisms.burden_reduction'"),
        ("[world]\ncommunities = 9\nzones = 3\n", "world", "zones (3) must be at least communities (9)"),
        ('[[shocks]]\nkindz = "flood"\n', "shocks.0.kindz", "did you mean 'shocks.0.kind'"),
        ('[shocks]\nkind = "flood"\n', "shocks", "[[shocks]] table"),
    ],
)
def test_bad_values_name_file_key_and_suggestion(tmp_path, text, key, fragment):
    path = write(tmp_path, "bad.toml", 'extends = "' + str(SCENARIOS / "baseline.toml") + '"\n' + text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message and key in message and fragment in message


def test_missing_parent_and_cycles_and_syntax_errors(tmp_path):
    missing = write(tmp_path, "a.toml", 'extends = "nowhere.toml"\n')
    with pytest.raises(ScenarioError, match="nowhere.toml"):
        load_scenario(missing)
    write(tmp_path, "x.toml", 'extends = "y.toml"\n')
    loop = write(tmp_path, "y.toml", 'extends = "x.toml"\n')
    with pytest.raises(ScenarioError, match="loops back"):
        load_scenario(loop)
    broken = write(tmp_path, "broken.toml", "[world\nresidents = 3\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(broken)


def test_error_in_parent_names_the_parent_file(tmp_path):
    parent = write(tmp_path, "parent.toml", "[world]\nresidnets = 10\n")
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\n[world]\nzones = 8\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert str(parent.resolve()) in str(err.value) and "world.residents" in str(err.value)


def test_cli_bad_scenario_exits_2_without_traceback_and_writes_nothing(tmp_path):
    bad = write(tmp_path, "bad.toml", "[world]\nzonse = 3\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(bad), "--out", str(out), "--days", "3"])
    assert result.exit_code == 2
    assert "did you mean 'world.zones'" in result.output and "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]
    result = CliRunner().invoke(main, ["validate", str(bad), str(SCENARIOS / "baseline.toml")])
    assert result.exit_code == 2 and "ok:" in result.output


def test_cli_run_writes_series_and_summary(tmp_path):
    import json

    import pandas as pd

    out = tmp_path / "run"
    args = ["run", str(SCENARIOS / "baseline.toml"), "--days", "15", "--seed", "3", "--out", str(out), "--set", "world.residents=800"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "participation_rate" in result.output
    series = pd.read_parquet(out / "series.parquet")
    assert len(series) == 15 and "resolution_rate" in series.columns
    summary = json.loads((out / "summary.json").read_text())
    assert summary["meta"]["seed"] == 3 and summary["summary"]["residents"] == 800


def test_cli_run_never_replaces_a_folder_that_is_not_a_run(tmp_path, monkeypatch):
    baseline = str(SCENARIOS / "baseline.toml")
    small = ["--days", "2", "--set", "world.residents=300"]
    precious = tmp_path / "precious"
    (precious / "sub").mkdir(parents=True)
    (precious / "notes.txt").write_text("important")
    result = CliRunner().invoke(main, ["run", baseline, "--out", str(precious), *small])
    assert result.exit_code == 2 and "notes.txt" in result.output and "Traceback" not in result.output
    assert (precious / "notes.txt").read_text() == "important" and (precious / "sub").is_dir()
    monkeypatch.chdir(precious)
    result = CliRunner().invoke(main, ["run", baseline, "--out", ".", *small])
    assert result.exit_code == 2 and "current folder" in result.output
    assert sorted(p.name for p in precious.iterdir()) == ["notes.txt", "sub"]
    # an earlier run's folder is replaced whole
    run = tmp_path / "run"
    assert CliRunner().invoke(main, ["run", baseline, "--out", str(run), *small]).exit_code == 0
    result = CliRunner().invoke(main, ["run", baseline, "--out", str(run), "--seed", "2", *small])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in run.iterdir()) == ["series.parquet", "summary.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious", "run"]  # nothing left aside
    text = (run / "summary.json").read_text()
    assert "NaN" not in text and ": null" in text  # two days resolve no big problem: a rate with no value is null


def test_cli_run_keeps_the_default_folder_inside_the_results_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    escape = write(tmp_path, "escape.toml", f'name = "../../escaped"\nextends = "{(SCENARIOS / "baseline.toml").as_posix()}"\n')
    result = CliRunner().invoke(main, ["run", str(escape), "--days", "2", "--set", "world.residents=300"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["escaped-seed1"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--seed", "-1"], "-1 is not in the range"),
        (["--out", "{tmp}/afile/sub"], "not a folder this user can write to"),
        (["--set", "mechanisms.burden_reduction.enabled=yes"], "--set: key 'mechanisms.burden_reduction.enabled'"),
        (["--set", "world=3"], "error: --set: key 'world'"),  # a whole table replaced: the option, not the file, is at fault
        (["--set", "gridworkers.admin_share=0.2", "--set", " gridworkers.admin_share=0.3"], "--set gridworkers.admin_share is given twice"),
    ],
)
def test_cli_run_refuses_bad_options_before_running(tmp_path, args, fragment):
    (tmp_path / "afile").write_text("")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.toml"), "--days", "2", *args])
    assert result.exit_code == 2 and fragment in result.output, result.output
    assert "Traceback" not in result.output and "govsim: baseline" not in result.output  # nothing ran


def test_validate_checks_scenario_experiment_and_calibration_files(tmp_path):
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "caf\xe9"\n')
    typed = write(tmp_path, "typed.toml", '[mechanisms.burden_reduction]\nenabled = "yes"\n[gridworkers]\nadmin_share = "0.2"\nper_zone = 2\n')
    result = CliRunner().invoke(main, ["validate", str(latin), str(typed), str(ROOT / "experiments" / "seed_systems.toml"), str(SCENARIOS / "baseline.toml")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "not UTF-8 text" in result.output
    assert "key 'mechanisms.burden_reduction.enabled': Input should be a valid boolean" in result.output
    assert "key 'gridworkers.admin_share': Input should be a valid number" in result.output
    assert "per_zone" not in result.output  # a whole number is a valid float
    assert f"ok: {ROOT / 'experiments' / 'seed_systems.toml'} (experiment: 150 runs of 365 days)" in result.output
    assert f"ok: {SCENARIOS / 'baseline.toml'} (1 community" in result.output
    broken = write(tmp_path, "exp.toml", '[experiment]\nscenarios = ["x.toml"]\nreplications = "many"\nbase_seed = 1\ndays = 5\n')
    calibration = ROOT / "calibrations" / "licheng_response.toml"
    result = CliRunner().invoke(main, ["validate", str(broken), str(calibration)])
    assert result.exit_code == 2 and f"{broken}: key 'experiment.replications': must be a whole number" in result.output
    assert f"ok: {calibration} (calibration of 2 parameters)" in result.output


def test_validate_counts_a_single_calibration_parameter_in_the_singular(tmp_path):
    # The user guide's calibration example has one free parameter; validate said "calibration of 1 parameters".
    one = write(tmp_path, "fit.toml", f'''[calibration]
scenario = "{(SCENARIOS / 'baseline.toml').as_posix()}"
days = 5
replications = 1
trials = 2
base_seed = 1
[parameters]
"residents.report_prob" = {{ low = 0.02, high = 1.0 }}
[targets]
resolved_within_1_day = {{ value = 0.8, tolerance = 0.1 }}
''')
    result = CliRunner().invoke(main, ["validate", str(one)])
    assert result.exit_code == 0, result.output
    assert f"ok: {one} (calibration of 1 parameter)" in result.output


def test_a_byte_order_mark_is_read_as_utf8(tmp_path):
    # Windows Notepad writes UTF-8 with a BOM; tomllib calls it "Invalid statement (at line 1, column 1)".
    bom = b"\xef\xbb\xbf"
    scenario = tmp_path / "bom.toml"
    scenario.write_bytes(bom + f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\n[world]\nresidents = 700\n'.encode())
    assert load_scenario(scenario).world.residents == 700
    experiment = tmp_path / "exp.toml"
    experiment.write_bytes(bom + '[experiment]\nscenarios = ["bom.toml"]\nreplications = 2\nbase_seed = 1\ndays = 5\n'.encode())
    result = CliRunner().invoke(main, ["validate", str(scenario), str(experiment)])
    assert result.exit_code == 0, result.output
    assert f"ok: {experiment} (experiment: 2 runs of 5 days)" in result.output


def test_a_value_where_a_table_belongs_says_so_in_the_files_terms(tmp_path):
    path = write(tmp_path, "switch.toml", "[mechanisms]\npoints_incentive = true\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "key 'mechanisms.points_incentive': must be a table" in str(err.value) and "[mechanisms.points_incentive]" in str(err.value)
    assert "PointsIncentiveParams" not in str(err.value)
    calibration = write(tmp_path, "fit.toml", f'[calibration]\nscenario = "{(SCENARIOS / "baseline.toml").as_posix()}"\n'
                        'days = 5\nreplications = 1\ntrials = 1\nbase_seed = 1\n[parameters]\n"residents.report_prob" = {}\n'
                        "[targets]\nparticipation_rate = 0.3\n")
    result = CliRunner().invoke(main, ["validate", str(calibration)])
    assert result.exit_code == 2 and "key 'targets.participation_rate': must be a table" in result.output
    assert "instance of" not in result.output


def test_govsim_params_lines_paste_into_a_scenario_file():
    import tomllib

    from sim.registry import parameters

    result = CliRunner().invoke(main, ["params"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    registry = parameters()
    assert len(lines) == len(registry)
    for line, p in zip(lines, registry):
        path, value = line.split(" = ", 1)  # 'world.residents = 6000  # [people, whole number; valid ...] what it is (source: ...)'
        assert path == p.path
        parsed = tomllib.loads(f"x = {value}")["x"]  # the rest is a TOML comment
        assert parsed == (list(p.default) if isinstance(p.default, tuple) else p.default), line
        assert p.description in line and f"(source: {p.source})" in line and ("whole number" in line) == (p.kind == "int")
    only = CliRunner().invoke(main, ["params", "mechanisms.points_incentive."])
    assert only.exit_code == 0 and only.output.count("\n") == sum(p.path.startswith("mechanisms.points_incentive.") for p in registry)
    none = CliRunner().invoke(main, ["params", "nosuch"])
    assert none.exit_code == 2 and "no parameter path starts with 'nosuch'" in none.output


def test_ctrl_c_where_no_command_catches_it_exits_130_without_a_traceback(monkeypatch):
    import sim.scenario

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.scenario, "load_scenario", interrupted)
    result = CliRunner().invoke(main, ["validate", str(SCENARIOS / "baseline.toml")])
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "Aborted" not in result.output


def test_the_command_starts_without_the_model_or_the_plotting_libraries():
    # `govsim --help` took 3.3 s when these came in at start-up; now each command imports what it uses.
    import subprocess
    import sys

    probe = "import sys, sim.cli; print(sorted(m for m in ('mesa', 'matplotlib', 'scipy', 'pandas', 'pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"
