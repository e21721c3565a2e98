"""Resume draws on, outputs are usable, and more bad files are refused clearly.

Each test here failed before its fix: a resumed study drew its first points
again; the chart numbered trials by position; a point the scenario refuses
crashed the study; calibrated.toml broke on top-level overrides; integer
bounds were truncated; and some files were accepted or explained poorly.
Trials are scored by stand-ins, as in test_study_safety.py.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

optuna = pytest.importorskip("optuna")

from sim.calibration import CalibrationError, calibrate, load_calibration
from sim.calibration import study as study_module
from sim.cli import main
from sim.experiment.worker import RunOutcome
from sim.scenario import load_scenario
from tests.calibration.test_study_safety import fake_evaluate, interrupted_then_resumed, quiet, write
from tests.conftest import SCENARIOS


def text(trials: int = 4, sampler: str = "tpe", parameters: str = "", overrides: str = "", **changes: str) -> str:
    base = textwrap.dedent(f"""
        [calibration]
        name = "review"
        scenario = "{(SCENARIOS / 'baseline.toml').as_posix()}"
        days = 2
        replications = 1
        trials = {trials}
        base_seed = 3
        sampler = "{sampler}"

        [overrides]
        "world.residents" = 60
        "world.zones" = 1
        "world.buildings_per_zone" = 2
        {{overrides}}

        [parameters]
        {{parameters}}

        [targets]
        participation_rate = {{ value = 0.3, tolerance = 0.05 }}
    """)
    base = base.replace("{overrides}", overrides).replace("{parameters}", parameters or '"gridworkers.admin_share" = { low = 0.05, high = 0.8 }')
    for old, new in changes.items():
        assert old in base, old
        base = base.replace(old, new)
    return base


def stored(folder: Path, name: str = "review") -> list:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{folder / name / 'study.sqlite'}").trials


def drawn(folder: Path) -> list[float]:
    return [t.params["gridworkers.admin_share"] for t in stored(folder) if t.state.name == "COMPLETE"]


@pytest.fixture
def fast(monkeypatch):
    plots = []
    monkeypatch.setattr(study_module, "evaluate", fake_evaluate)
    monkeypatch.setattr(study_module, "convergence_plot", lambda losses, stem, name, numbers=None, **kw: plots.append((losses, numbers)))
    return plots


# ------------------------------------------------------------------ resume
@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_a_resumed_study_draws_new_points(tmp_path, fast, sampler):
    """Before: the sampler restarted from its seed, so a second session repeated the first one's points."""
    path = write(tmp_path, text(trials=4, sampler=sampler))
    calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
    path.write_text(text(trials=8, sampler=sampler), encoding="utf-8")
    calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
    points = drawn(tmp_path / "out")
    assert len(points) == 8 and len(set(points)) == 8, points
    # ... and the same points as one session of 8 trials.
    calibrate(load_calibration(path), tmp_path / "straight", echo=quiet)
    assert drawn(tmp_path / "straight") == points


def test_interrupted_and_resumed_draws_what_one_session_draws(tmp_path, monkeypatch, fast):
    """Past TPE's 10 random start-up trials too; the chart is told the trials' numbers."""
    path = write(tmp_path, text(trials=13))
    result = interrupted_then_resumed(path, tmp_path / "out", 4, monkeypatch)
    calibrate(load_calibration(path), tmp_path / "straight", echo=quiet)
    assert drawn(tmp_path / "out") == drawn(tmp_path / "straight")
    numbers = [t.number for t in stored(tmp_path / "out") if t.state.name == "COMPLETE"]
    assert numbers == [0, 1, 2, *range(4, 14)]  # trial 3 was interrupted
    losses, plotted = fast[0]
    assert plotted == numbers and len(losses) == 13
    assert result["best_trial"] in plotted


def test_a_killed_session_is_drawn_again(tmp_path, fast):
    """A trial left 'running' by a killed process (no Ctrl-C handler ran) does not shift the draws."""
    path = write(tmp_path, text(trials=2))
    calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
    study = optuna.load_study(study_name="review", storage=f"sqlite:///{tmp_path / 'out' / 'review' / 'study.sqlite'}")
    study.ask()  # as a session killed in the middle of its third trial leaves it
    path.write_text(text(trials=5), encoding="utf-8")
    calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
    calibrate(load_calibration(path), tmp_path / "straight", echo=quiet)
    assert drawn(tmp_path / "out") == drawn(tmp_path / "straight")


# ------------------------------------------------------------------ the chart
def test_the_chart_plots_trials_at_their_numbers():
    from sim.calibration.outputs import convergence_figure

    fig = convergence_figure([3.0, 1.0, 2.0], "x", numbers=[0, 2, 5])
    try:
        dots, line, star = fig.axes[0].lines[:3]
        assert list(dots.get_xdata()) == [0, 2, 5] and list(line.get_xdata()) == [0, 2, 5]
        assert list(line.get_ydata()) == [3.0, 1.0, 1.0]
        assert list(star.get_xdata()) == [2] and "trial 2" in star.get_label()
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_the_chart_file_is_written_with_gaps_and_inf(tmp_path):
    png = study_module.convergence_plot([math.inf, 4.0, 0.5], tmp_path / "figures" / "convergence", "x", numbers=[1, 3, 4])
    assert png.is_file() and png.with_suffix(".svg").is_file()


# ------------------------------------------------------------------ points the scenario refuses
def test_a_point_the_scenario_refuses_is_a_skipped_trial(tmp_path, monkeypatch):
    """Bounds whose corners pass can combine into a refused point (zones < communities): skip it, go on."""

    def fake_simulate(task):
        return RunOutcome(task.key, True, {"participation_rate": 0.1})

    monkeypatch.setattr(study_module, "simulate", fake_simulate)
    monkeypatch.setattr(study_module, "convergence_plot", lambda losses, stem, name, numbers=None, **kw: None)
    parameters = '"world.zones" = { low = 1, high = 4 }\n"world.communities" = { low = 1, high = 4 }'
    path = write(tmp_path, text(trials=12, sampler="random", parameters=parameters, **{'"world.zones" = 1\n': ""}))
    lines: list[str] = []
    result = calibrate(load_calibration(path), tmp_path / "out", echo=lines.append)
    skipped = [line for line in lines if "failed, skipped" in line]
    assert skipped and all("must be at least communities" in line for line in skipped)
    assert result["best_parameters"]["world.zones"] >= result["best_parameters"]["world.communities"]
    assert [t.state.name for t in stored(tmp_path / "out")].count("RUNNING") == 0


# ------------------------------------------------------------------ integers
def test_integer_bounds_are_kept(tmp_path, monkeypatch):
    """Before: suggest_int(int(1.5), int(3.5)) also drew 1, below the file's low bound."""
    monkeypatch.setattr(study_module, "evaluate", lambda calibration, values, map_runs=map: {"participation_rate": values["world.buildings_per_zone"] / 10})
    monkeypatch.setattr(study_module, "convergence_plot", lambda losses, stem, name, numbers=None, **kw: None)
    path = write(tmp_path, text(trials=20, sampler="random", parameters='"world.buildings_per_zone" = { low = 1.5, high = 3.5 }', **{'"world.buildings_per_zone" = 2\n': ""}))
    calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
    values = {t.params["world.buildings_per_zone"] for t in stored(tmp_path / "out")}
    assert values == {2, 3}


# ------------------------------------------------------------------ calibrated.toml
def test_calibrated_toml_resolves_to_the_best_trials_configuration(tmp_path, fast):
    """Top-level overrides (name, description, shocks) used to land in the last [table] or crash the writer."""
    overrides = textwrap.dedent("""
        "name" = "mine"
        "description" = "my community"
        "problems.abandonment" = false
        shocks = [{ kind = "flood", day = 1, duration_days = 3, kinds = ["safety"] }]
    """)
    path = write(tmp_path, text(trials=3, overrides=overrides))
    calibration = load_calibration(path)
    result = calibrate(calibration, tmp_path / "out", echo=quiet)
    written = tmp_path / "out" / "review" / "calibrated.toml"
    got = load_scenario(written).model_dump(mode="json")
    ran = load_scenario(calibration.scenario_file, {**calibration.overrides, **result["best_parameters"]}).model_dump(mode="json")
    assert got.pop("name") == "mine_calibrated" and got.pop("description") == "Calibrated: my community"
    for key in ("name", "description"):
        ran.pop(key)
    assert got == ran
    assert "2 days from base_seed 3" in written.read_text(encoding="utf-8")


# ------------------------------------------------------------------ bad files
def refused(tmp_path: Path, content: str) -> str:
    path = write(tmp_path, content)
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    with pytest.raises(CalibrationError):
        load_calibration(path)
    return result.output


def test_a_switched_off_mechanisms_parameter_is_refused(tmp_path):
    output = refused(tmp_path, text(parameters='"mechanisms.points_incentive.points_per_report" = { low = 0.5, high = 5 }'))
    assert "key 'parameters.\"mechanisms.points_incentive.points_per_report\"'" in output
    assert "mechanism 'points_incentive' is switched off" in output and '"mechanisms.points_incentive.enabled" = true' in output


def test_a_switched_on_mechanisms_parameter_is_accepted(tmp_path):
    path = write(tmp_path, text(parameters='"mechanisms.points_incentive.points_per_report" = { low = 0.5, high = 5 }', overrides='"mechanisms.points_incentive.enabled" = true'))
    assert [d.path for d in load_calibration(path).dimensions] == ["mechanisms.points_incentive.points_per_report"]


def test_a_parameter_that_is_also_an_override_is_refused(tmp_path):
    output = refused(tmp_path, text(parameters='"world.buildings_per_zone" = { low = 1, high = 3 }'))
    assert "key 'parameters.\"world.buildings_per_zone\"'" in output and "also fixed under [overrides]" in output


def test_a_misspelt_required_key_is_one_message(tmp_path):
    output = refused(tmp_path, text(**{"days = 2": "dayz = 2"}))
    assert "unknown key 'calibration.dayz'; did you mean 'calibration.days'?" in output
    assert "missing key" not in output


def test_an_empty_parameters_table_says_what_to_write(tmp_path):
    content = text().replace('"gridworkers.admin_share" = { low = 0.05, high = 0.8 }', "")
    output = refused(tmp_path, content)
    assert "table [parameters] is empty" in output and "Dictionary should have" not in output


def test_an_unknown_sampler_names_the_choices(tmp_path):
    output = refused(tmp_path, text(sampler="cmaes"))
    assert "calibration.sampler" in output and "'tpe' or 'random'" in output and "pattern" not in output


def test_a_share_target_outside_0_to_1_is_refused(tmp_path):
    output = refused(tmp_path, text(**{"value = 0.3": "value = 30"}))
    assert "key 'targets.\"participation_rate\".value' = 30" in output and "share from 0 to 1" in output


def test_a_switch_is_not_a_free_parameter(tmp_path):
    output = refused(tmp_path, text(parameters='"problems.abandonment" = { low = 0, high = 1 }'))
    assert "only numbers can be calibrated" in output and "grid method" not in output


def test_trials_too_short_to_see_a_mechanism_are_warned(tmp_path):
    """A fit through a mechanism that has not acted yet is no fit: say so before any trial runs."""
    on = '"mechanisms.micro_venture.enabled" = true\n"mechanisms.micro_venture.contest_day" = 1'
    assert load_calibration(write(tmp_path, text(overrides=on))).warnings == []  # the contest on day 1 is seen in 2 days
    # Free, the contest day may fall after the trials at the upper bound.
    path = write(tmp_path, text(overrides=on.splitlines()[0], parameters='"mechanisms.micro_venture.contest_day" = { low = 0, high = 30 }'))
    [warning] = load_calibration(path).warnings
    assert "mechanism 'micro_venture' first acts on day 30, after the trials' 2 days" in warning and "calibration.days = 31" in warning
    for command in (["validate", str(path)], ["calibrate", str(path), "--dry-run", "--out", str(tmp_path / "out")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0 and "warning:" in result.output and "micro_venture" in result.output, result.output
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ reading the fit
def test_fit_warnings_name_a_missed_target_and_a_value_at_a_bound(tmp_path):
    from sim.calibration.study import fit_warnings

    calibration = load_calibration(write(tmp_path, text()))
    assert fit_warnings(calibration, {"gridworkers.admin_share": 0.3}, {"participation_rate": 0.32}) == []
    warnings = fit_warnings(calibration, {"gridworkers.admin_share": 0.799}, {"participation_rate": 0.5})
    assert len(warnings) == 2
    assert "misses participation_rate: 0.5 against a target of 0.3, 4 x its tolerance" in warnings[0]
    assert "gridworkers.admin_share = 0.799 lies at its high bound 0.8" in warnings[1]


def test_fit_warnings_reach_the_user_and_calibration_json(tmp_path, fast):
    import json

    path = write(tmp_path, text(**{"value = 0.3": "value = 0.95"}))  # above the bounds of the stand-in's metric
    lines: list[str] = []
    result = calibrate(load_calibration(path), tmp_path / "out", echo=lines.append)
    assert any(line.startswith("warning: the best trial misses participation_rate") for line in lines)
    stored_json = json.loads((tmp_path / "out" / "review" / "calibration.json").read_text())
    assert stored_json["warnings"] == result["warnings"] and result["warnings"]


def test_a_second_session_on_the_same_study_is_refused(tmp_path, fast):
    """Two sessions would each run every missing trial and overshoot the study's count."""
    from sim.experiment.store import FolderLock

    path = write(tmp_path, text(trials=2))
    calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
    path.write_text(text(trials=4), encoding="utf-8")
    held = FolderLock(tmp_path / "out" / "review" / study_module.LOCK_FILE, tmp_path / "out" / "review")  # the other session
    try:
        with pytest.raises(CalibrationError, match="another govsim calibrate is running"):
            calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
        assert len(drawn(tmp_path / "out")) == 2  # nothing ran
    finally:
        held.release()
    calibrate(load_calibration(path), tmp_path / "out", echo=quiet)  # once it is done, the study goes on
    assert len(drawn(tmp_path / "out")) == 4


def test_the_legend_sits_beside_the_chart_so_it_covers_no_trial():
    from sim.calibration.outputs import convergence_figure

    fig = convergence_figure([9.0, 8.5, 9.2, 8.8, 0.5], "x", one_off=2.0)  # trials crowd the upper corners, where a legend went
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        (legend,) = fig.legends
        assert fig.axes[0].get_legend() is None
        assert not legend.get_window_extent(renderer).overlaps(fig.axes[0].get_window_extent(renderer))
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_calibrated_toml_names_the_experiment_key_that_takes_it(tmp_path, fast):
    """Its header told planners to name it in an experiment's [[scenarios]], a table experiment files refuse."""
    from sim.experiment.plan import build_plan

    calibrate(load_calibration(write(tmp_path, text(trials=2))), tmp_path / "out", echo=quiet)
    written = tmp_path / "out" / "review" / "calibrated.toml"
    header = written.read_text(encoding="utf-8")
    assert "[[scenarios]]" not in header and "[experiment] scenarios = [" in header
    experiment = tmp_path / "uses_it.toml"
    experiment.write_text(f'[experiment]\nscenarios = ["{written.as_posix()}"]\nreplications = 1\nbase_seed = 1\ndays = 2\n', encoding="utf-8")
    assert [entry.name for entry in build_plan(experiment).scenarios] == ["baseline_calibrated"]
