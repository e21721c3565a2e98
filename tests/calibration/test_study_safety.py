"""A calibration never reuses stale trials, never writes where it must not, and stops cleanly.

Trials are scored by a stand-in for the simulation (monkeypatched
``evaluate``): these tests are about the study and its folder, not the model.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

optuna = pytest.importorskip("optuna")

from sim.calibration import CalibrationError, calibrate, load_calibration
from sim.calibration import study as study_module
from sim.cli import main
from tests.conftest import SCENARIOS

TRIALS = 3


def text(trials: int = TRIALS, **changes: str) -> str:
    base = textwrap.dedent(f"""
        [calibration]
        name = "safety"
        description = "tiny"
        scenario = "{(SCENARIOS / 'baseline.toml').as_posix()}"
        days = 2
        replications = 1
        trials = {trials}
        base_seed = 3

        [overrides]
        "world.residents" = 60
        "world.zones" = 1
        "world.buildings_per_zone" = 2

        [parameters]
        "gridworkers.admin_share" = {{ low = 0.05, high = 0.8 }}

        [targets]
        participation_rate = {{ value = 0.3, tolerance = 0.05, source = "a" }}
    """)
    for old, new in changes.items():
        assert old in base, old
        base = base.replace(old, new)
    return base


def fake_evaluate(calibration, values, map_runs=map):
    """A trial in microseconds: the metric is the parameter itself."""
    return {m: values["gridworkers.admin_share"] for m in calibration.targets}


def interrupted_at(trial: int):
    """``fake_evaluate``, with Ctrl-C pressed during the ``trial``-th call (counting from 1)."""
    calls = []

    def evaluate(calibration, values, map_runs=map):
        calls.append(values)
        if len(calls) == trial:
            raise KeyboardInterrupt
        return fake_evaluate(calibration, values)

    return evaluate


def interrupted_then_resumed(path: Path, out: Path, trial: int, monkeypatch) -> dict:
    """A calibration stopped by Ctrl-C during its ``trial``-th evaluation, then run again to the end: the second run's result."""
    monkeypatch.setattr(study_module, "evaluate", interrupted_at(trial))
    with pytest.raises(KeyboardInterrupt):
        calibrate(load_calibration(path), out, echo=quiet)
    monkeypatch.setattr(study_module, "evaluate", fake_evaluate)
    return calibrate(load_calibration(path), out, echo=quiet)


def no_plot(losses, stem, name, numbers=None, **kw):
    return stem.with_suffix(".png")


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(study_module, "evaluate", fake_evaluate)
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """A finished study of text(), made once: tests copy it."""
    root = tmp_path_factory.mktemp("stored")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(study_module, "evaluate", fake_evaluate)
        patch.setattr(study_module, "convergence_plot", no_plot)
        calibrate(load_calibration(write(root, text())), root / "out", echo=quiet)
    return root / "out"


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(content, encoding="utf-8")
    return path


def quiet(line: str) -> None:
    pass


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ 1. stale trials
@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"value = 0.3": "value = 0.5"}, ["targets.participation_rate.value 0.3 -> 0.5"]),
        ({"tolerance = 0.05": "tolerance = 0.1"}, ["targets.participation_rate.tolerance 0.05 -> 0.1"]),
        ({"high = 0.8": "high = 0.7"}, ["parameters.gridworkers.admin_share.high 0.8 -> 0.7"]),
        ({"days = 2": "days = 3"}, ["calibration.days 2 -> 3"]),
        ({"replications = 1": "replications = 2"}, ["calibration.replications 1 -> 2"]),
        ({"base_seed = 3": "base_seed = 4"}, ["calibration.base_seed 3 -> 4"]),
        ({'"world.residents" = 60': '"world.residents" = 70'}, ["the scenario"]),
        ({"baseline.toml": "burden_reduction.toml"}, ["the scenario"]),
        ({'"gridworkers.admin_share" = {': '"residents.logit_intercept" = { low = -7.0, high = -2.0 }\n"gridworkers.admin_share" = {'}, ["parameters.residents.logit_intercept added"]),
        ({"[targets]": "[targets]\nresolution_rate = { value = 0.5 }"}, ["targets.resolution_rate added"]),
    ],
)
def test_edited_file_refuses_the_stored_trials(tmp_path, fast, stored, changes, expected):
    shutil.copytree(stored, tmp_path / "out")
    folder = tmp_path / "out" / "safety"
    before = snapshot(folder)
    path = write(tmp_path, text(**changes))
    with pytest.raises(CalibrationError) as caught:
        calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
    message = str(caught.value)
    for part in expected:
        assert part in message
    assert str(path) in message and f"{folder}/ holds {TRIALS} trials" in message
    assert f"Delete {folder}/ to start afresh" in message and "calibration.name" in message
    assert snapshot(folder) == before  # nothing rewritten from stale losses
    # the dry run says so too, as the run will (it exited 0 and promised a run)
    from click.testing import CliRunner

    from sim.cli import main

    dry = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "out"), "--dry-run"])
    assert dry.exit_code == 2 and expected[0] in dry.output, dry.output
    assert snapshot(folder) == before


def test_a_dry_run_counts_the_stored_trials(tmp_path, stored):
    from click.testing import CliRunner

    from sim.cli import main

    shutil.copytree(stored, tmp_path / "out")
    before = snapshot(tmp_path / "out" / "safety")
    dry = CliRunner().invoke(main, ["calibrate", str(write(tmp_path, text(trials=TRIALS + 2))), "--out", str(tmp_path / "out"), "--dry-run"])
    assert dry.exit_code == 0 and f"stored        {TRIALS} finished trials; 2 to run" in dry.output, dry.output
    assert snapshot(tmp_path / "out" / "safety") == before


def test_changes_that_keep_the_losses_resume(tmp_path, fast, stored):
    """More trials, another sampler, source or description: the stored trials still count."""
    shutil.copytree(stored, tmp_path / "out")
    path = write(tmp_path, text(trials=TRIALS + 2, **{'source = "a"': 'source = "b"', 'description = "tiny"': 'description = "other"\nsampler = "random"'}))
    lines: list[str] = []
    result = calibrate(load_calibration(path), tmp_path / "out", echo=lines.append)
    assert f"{TRIALS} trials stored, 2 to run" in lines[0]
    assert result["trials"] == TRIALS + 2


# ------------------------------------------------------------------ 2. a folder that is not ours
def test_refuses_a_folder_that_is_not_a_calibration(tmp_path, fast):
    folder = tmp_path / "out" / "safety"
    folder.mkdir(parents=True)
    (folder / "calibrated.toml").write_text("mine", encoding="utf-8")
    path = write(tmp_path, text())
    with pytest.raises(CalibrationError, match="is not a govsim calibration folder"):
        calibrate(load_calibration(path), tmp_path / "out", echo=quiet)
    assert snapshot(folder) == {"calibrated.toml": b"mine"}


def test_an_empty_folder_is_used(tmp_path, fast):
    (tmp_path / "out" / "safety").mkdir(parents=True)
    result = calibrate(load_calibration(write(tmp_path, text())), tmp_path / "out", echo=quiet)
    assert result["trials"] == TRIALS


# ------------------------------------------------------------------ 3. unwritable output
def unwritable(tmp_path: Path) -> list[Path]:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    roots = [blocker / "sub"]
    if os.path.isdir("/sys"):  # sysfs: no one may create a folder there, not even root
        roots.append(Path("/sys/govsim_calibration_test"))
    return roots


def test_unwritable_output_is_refused_before_any_trial(tmp_path, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("a trial ran")

    monkeypatch.setattr(study_module, "evaluate", must_not_run)
    calibration = load_calibration(write(tmp_path, text()))
    for root in unwritable(tmp_path):
        with pytest.raises(CalibrationError) as caught:
            calibrate(calibration, root, echo=quiet)
        assert str(root / "safety") in str(caught.value) and "--out" in str(caught.value)
        assert not (root / "safety").exists()


# ------------------------------------------------------------------ 4. Ctrl-C
def test_ctrl_c_stops_cleanly_and_resumes(tmp_path, monkeypatch):
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logging.getLogger("optuna").addHandler(handler)
    monkeypatch.setattr(study_module, "evaluate", interrupted_at(3))
    path = write(tmp_path, text(trials=5))
    try:
        result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "out")])
    finally:
        logging.getLogger("optuna").removeHandler(handler)
    assert result.exit_code == 130, result.output
    assert result.output.count("interrupted") == 1, result.output
    assert "Traceback" not in result.output
    assert not [r for r in records if r.levelno >= logging.WARNING], [r.getMessage() for r in records]
    # The two finished trials are kept and the study goes on from there.
    monkeypatch.setattr(study_module, "evaluate", fake_evaluate)
    monkeypatch.setattr(study_module, "convergence_plot", no_plot)
    lines: list[str] = []
    again = calibrate(load_calibration(path), tmp_path / "out", echo=lines.append)
    assert "2 trials stored, 3 to run" in lines[0]
    assert again["trials"] == 5
    stored = optuna.load_study(study_name="safety", storage=f"sqlite:///{tmp_path / 'out' / 'safety' / 'study.sqlite'}")
    assert [t.state.name for t in stored.trials].count("RUNNING") == 0


# ------------------------------------------------------------------ 5. metric names, valid JSON
@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"baseline.toml": "burden_reduction.toml", "participation_rate = {": '"burden_reduction.cost_yuan_per_yer" = {'},
            ["key 'targets.\"burden_reduction.cost_yuan_per_yer\"'", "did you mean 'burden_reduction.cost_yuan_per_year'?"],
        ),
        (
            {"baseline.toml": "micro_venture.toml", "participation_rate = {": '"micro_venture.proposal" = {'},
            ["no summary metric 'micro_venture.proposal'", "did you mean 'micro_venture.proposals'?"],
        ),
        (
            {"participation_rate = {": '"burden_reduction.cost_yuan_per_year" = {'},
            ["mechanism 'burden_reduction' is switched off", '"mechanisms.burden_reduction.enabled" = true'],
        ),
        ({"participation_rate = {": '"nosuch.metric" = {'}, ["no summary metric 'nosuch.metric'"]),
    ],
)
def test_target_metrics_are_checked_exactly(tmp_path, changes, expected):
    path = write(tmp_path, text(**changes))
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    for part in expected:
        assert part in result.output
    assert str(path) in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_mechanism_metric_that_exists_is_accepted(tmp_path):
    path = write(tmp_path, text(**{"baseline.toml": "burden_reduction.toml", "participation_rate = {": '"burden_reduction.cost_yuan_per_year" = {'}))
    assert list(load_calibration(path).targets) == ["burden_reduction.cost_yuan_per_year"]


def test_calibration_json_is_valid_when_a_metric_has_no_value(tmp_path, monkeypatch):
    monkeypatch.setattr(study_module, "evaluate", lambda calibration, values, map_runs=map: {m: math.nan for m in calibration.targets})
    lines: list[str] = []
    result = calibrate(load_calibration(write(tmp_path, text())), tmp_path / "out", echo=lines.append)
    assert result["best_loss"] == math.inf
    assert any(line.startswith("warning: no trial gave every target a value (a NaN mean for participation_rate)") for line in lines)

    def invalid(constant):
        raise AssertionError(f"calibration.json holds {constant}")

    data = json.loads((tmp_path / "out" / "safety" / "calibration.json").read_text(), parse_constant=invalid)
    assert data["best_loss"] is None and data["best_metrics"] == {"participation_rate": None}


def test_no_finished_trial_writes_nothing(tmp_path, monkeypatch):
    def failing(calibration, values, map_runs=map):
        raise RuntimeError("a run failed with ...:\nTraceback ...\nValueError: boom")

    monkeypatch.setattr(study_module, "evaluate", failing)
    lines: list[str] = []
    with pytest.raises(CalibrationError, match="no trial of calibration 'safety' finished"):
        calibrate(load_calibration(write(tmp_path, text())), tmp_path / "out", echo=lines.append)
    assert "failed, skipped (ValueError: boom)" in lines[1]
    assert sorted(p.name for p in (tmp_path / "out" / "safety").iterdir() if p.name != study_module.LOCK_FILE) == ["study.sqlite"]


# ------------------------------------------------------------------ 6. the name key
def test_a_bad_name_is_reported_as_calibration_name(tmp_path):
    path = write(tmp_path, text(**{'name = "safety"': 'name = "a/b"'}))
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "key 'calibration.name'" in result.output and "experiment.name" not in result.output
    with pytest.raises(CalibrationError) as caught:
        load_calibration(path)
    assert caught.value.key == "calibration.name"
    assert not (tmp_path / "out").exists()


def test_a_bounds_error_names_the_calibration_key(tmp_path):
    path = write(tmp_path, text(**{"high = 0.8": "high = 1.5"}))
    with pytest.raises(CalibrationError) as caught:
        load_calibration(path)
    assert caught.value.key == 'parameters."gridworkers.admin_share"'
    assert "sweep." not in str(caught.value)
