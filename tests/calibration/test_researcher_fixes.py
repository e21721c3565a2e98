"""What a researcher running `govsim calibrate` tripped on, each fixed and checked here.

A file whose target weights are all 0 (or infinite) ran, every loss 0; the
outputs did not say which values each trial tried, nor, away from the
terminal, how close the best came or that it missed; trials could be read only
through optuna; the chart was English only; Ctrl-C could print tracebacks
(workers still starting, SQLAlchemy mid-write) and did not say what was kept.
Trials are scored by stand-ins, as in test_study_safety.py.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import warnings

import pytest
from click.testing import CliRunner

optuna = pytest.importorskip("optuna")

from sim.calibration import calibrate, load_calibration
from sim.calibration import outputs
from sim.calibration import study as study_module
from sim.cli import main
from tests.calibration.test_review_fixes import refused
from tests.calibration.test_study_safety import fake_evaluate, interrupted_at, interrupted_then_resumed, no_plot, quiet, text, write

ONE_TARGET = 'participation_rate = { value = 0.3, tolerance = 0.05, source = "a" }'


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(study_module, "evaluate", fake_evaluate)


# ------------------------------------------------------------------ weights
def test_a_single_target_of_weight_0_is_refused(tmp_path):
    output = refused(tmp_path, text(**{'source = "a" }': 'source = "a", weight = 0 }'}))
    assert "key 'targets.\"participation_rate\".weight'" in output and "every trial's loss is 0" in output


def test_all_targets_of_weight_0_are_refused(tmp_path):
    two = ONE_TARGET.replace(' }', ', weight = 0 }') + "\nresolution_rate = { value = 0.5, weight = 0 }"
    output = refused(tmp_path, text(**{ONE_TARGET: two}))
    assert "key 'targets': all 2 targets have weight 0" in output


def test_a_watched_target_beside_a_fitted_one_is_accepted(tmp_path):
    both = ONE_TARGET + "\nresolution_rate = { value = 0.5, weight = 0 }"
    assert list(load_calibration(write(tmp_path, text(**{ONE_TARGET: both}))).targets) == ["participation_rate", "resolution_rate"]


@pytest.mark.parametrize("key", ["weight", "tolerance"])
def test_an_infinite_weight_or_tolerance_is_refused(tmp_path, key):
    """inf tolerance made every loss 0, inf weight every loss inf."""
    content = text(**{'source = "a" }': f'source = "a", {key} = inf }}'}) if key == "weight" else text(**{"tolerance = 0.05": "tolerance = inf"})
    output = refused(tmp_path, content)
    assert f"targets.participation_rate.{key}" in output and "finite" in output


# ------------------------------------------------------------------ what the outputs say
def test_each_trial_line_names_its_values(tmp_path, fast, monkeypatch):
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    lines: list[str] = []
    calibrate(load_calibration(write(tmp_path, text(trials=2))), tmp_path / "out", echo=lines.append)
    trial_lines = [line for line in lines if line.startswith("  trial ")]
    assert len(trial_lines) == 2 and all("at gridworkers.admin_share = 0." in line for line in trial_lines), trial_lines


def test_trials_csv_lists_every_trial_with_its_state(tmp_path, monkeypatch):
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    path = write(tmp_path, text(trials=3))
    result = interrupted_then_resumed(path, tmp_path / "out", 2, monkeypatch)
    with open(tmp_path / "out" / "safety" / "trials.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["trial"], r["state"]) for r in rows] == [("0", "finished"), ("1", "interrupted"), ("2", "finished"), ("3", "finished")]
    best = rows[result["best_trial"]]  # a row per trial number
    assert float(best["loss"]) == pytest.approx(result["best_loss"])
    assert float(best["gridworkers.admin_share"]) == pytest.approx(result["best_parameters"]["gridworkers.admin_share"])
    assert float(best["participation_rate"]) == pytest.approx(result["best_metrics"]["participation_rate"])
    assert rows[1]["loss"] == ""


def test_a_missed_target_is_written_into_calibrated_toml(tmp_path, fast, monkeypatch):
    """calibrated.toml travels without calibration.json: the warning and how to run it go with it."""
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    calibrate(load_calibration(write(tmp_path, text(trials=2, **{"value = 0.3": "value = 0.95"}))), tmp_path / "out", echo=quiet)
    written = (tmp_path / "out" / "safety" / "calibrated.toml").read_text(encoding="utf-8")
    assert "# WARNING: the best trial misses participation_rate" in written
    assert "# Use it: govsim run " in written and "calibrated.toml --days 2" in written


def test_calibration_json_names_settings_bounds_and_figure(tmp_path, fast, monkeypatch):
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    calibrate(load_calibration(write(tmp_path, text(trials=2))), tmp_path / "out", echo=quiet, lang="en")
    data = json.loads((tmp_path / "out" / "safety" / "calibration.json").read_text(encoding="utf-8"))
    assert (data["days"], data["replications"], data["base_seed"]) == (2, 1, 3)
    assert data["bounds"] == {"gridworkers.admin_share": {"low": 0.05, "high": 0.8}}
    assert data["figure"] == "figures/en/convergence.png"


def test_the_cli_says_the_tolerance_and_how_to_use_the_result(tmp_path, fast, monkeypatch):
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    path = write(tmp_path, text(trials=2))
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "out"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "target 0.3 (tolerance 0.05)" in result.output
    assert f"use it: govsim run {tmp_path / 'out' / 'safety'}/calibrated.toml --days 2" in result.output
    assert "figures/en/convergence.png" in result.output


# ------------------------------------------------------------------ the chart, in both languages
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_chart_is_drawn_in_the_language_asked_for(tmp_path, fast, lang):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calibrate(load_calibration(write(tmp_path, text(trials=2))), tmp_path / "out", echo=quiet, lang=lang)
    assert not [w for w in caught if "missing from" in str(w.message)], [str(w.message) for w in caught]  # no boxes for 汉字
    folder = tmp_path / "out" / "safety" / "figures" / lang
    assert (folder / "convergence.png").is_file() and (folder / "convergence.svg").is_file()
    assert not (tmp_path / "out" / "safety" / "figures" / ("en" if lang == "zh" else "zh")).exists()


@pytest.mark.parametrize("lang, title, parts", [
    ("zh", "校准 x：收敛过程", ["最佳试验 0 的参数：gridworkers.admin_share = 0.3", "居民参与率：模拟 40.0%，目标 30.0%（容差 5.0%，偏离 2 个容差）", "仅观察"]),
    ("en", "Calibration x: convergence", ["Best trial 0: gridworkers.admin_share = 0.3", "Participation: simulated 40.0%, target 30.0% (tolerance 5.0%; off by 2 tolerances)", "watched, not fitted"]),
])
def test_the_chart_names_the_best_values_and_each_targets_miss(tmp_path, lang, title, parts):
    import matplotlib.pyplot as plt

    watched = ONE_TARGET + "\nresolution_rate = { value = 0.5, weight = 0 }"
    calibration = load_calibration(write(tmp_path, text(**{ONE_TARGET: watched})))
    result = {"best_trial": 0, "best_parameters": {"gridworkers.admin_share": 0.3}, "best_metrics": {"participation_rate": 0.4, "resolution_rate": 0.6}}
    fig = outputs.convergence_figure([4.0, 9.0], "x", lang=lang, notes=outputs.fit_notes(calibration, result, lang), one_off=1.0)
    try:
        footer = fig.get_supxlabel()
        assert fig.axes[0].get_title().startswith(title)
        for part in parts:
            assert part in footer, footer
        dashed = [line for line in fig.axes[0].lines if line.get_linestyle() == "--"]
        assert len(dashed) == 1 and list(dashed[0].get_ydata()) == [1.0, 1.0]
    finally:
        plt.close(fig)


# ------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_says_how_many_trials_were_kept_and_how_to_write_them(tmp_path, monkeypatch):
    monkeypatch.setattr(study_module, "evaluate", interrupted_at(3))
    path = write(tmp_path, text(trials=5))
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 130, result.output
    assert "2 of 5 trials finished and are stored" in result.output
    assert f"set trials = 2 under [calibration] in {path}" in result.output
    # ... and doing so writes the results of those two without running a trial.
    monkeypatch.setattr(study_module, "evaluate", lambda *a, **k: pytest.fail("a trial ran"))
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    path.write_text(text(trials=2), encoding="utf-8")
    assert calibrate(load_calibration(path), tmp_path / "out", echo=quiet)["trials"] == 2
    assert (tmp_path / "out" / "safety" / "calibrated.toml").is_file()


def test_ctrl_c_during_a_write_to_the_study_waits_for_it(tmp_path, fast, monkeypatch):
    """Before: Ctrl-C inside study.tell left the finished trial untold (and SQLAlchemy printing tracebacks)."""
    tell = optuna.study.Study.tell

    def pressed_during(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return tell(self, *args, **kwargs)

    monkeypatch.setattr(optuna.study.Study, "tell", pressed_during)
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    with pytest.raises(KeyboardInterrupt):
        calibrate(load_calibration(write(tmp_path, text(trials=3))), tmp_path / "out", echo=quiet)
    monkeypatch.setattr(optuna.study.Study, "tell", tell)
    study = optuna.load_study(study_name="safety", storage=f"sqlite:///{tmp_path / 'out' / 'safety' / 'study.sqlite'}")
    assert [t.state.name for t in study.trials] == ["COMPLETE"]


def test_ctrl_c_held_delivers_the_press_after_the_block():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with study_module.ctrl_c_held():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("finished")
    assert done == ["finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_workers_start_deaf_to_ctrl_c():
    """Before: a Ctrl-C while the workers were still importing printed a traceback per worker."""
    from sim.experiment.executors import QuietSpawnContext

    process = QuietSpawnContext().Process(target=signal.raise_signal, args=(signal.SIGINT,))
    process.start()
    process.join(60)
    assert process.exitcode == 0  # the signal was ignored; with Python's handler the child dies of KeyboardInterrupt (1)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the parent's handler is back


def test_a_meaningless_best_is_said_in_calibration_json_and_calibrated_toml(tmp_path, monkeypatch):
    """Before: 'the best parameters mean nothing' was printed only, not stored with them."""
    import math

    monkeypatch.setattr(study_module, "evaluate", lambda calibration, values, map_runs=map: {m: math.nan for m in calibration.targets})
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    calibrate(load_calibration(write(tmp_path, text(trials=2))), tmp_path / "out", echo=quiet)
    folder = tmp_path / "out" / "safety"
    [warning] = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))["warnings"]
    assert "the 'best' parameters mean nothing" in warning
    assert f"# WARNING: {warning}" in (folder / "calibrated.toml").read_text(encoding="utf-8")
