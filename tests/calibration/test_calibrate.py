"""Calibration recovers the parameters of a run of the model itself; bad files are refused."""

from __future__ import annotations

import textwrap
from dataclasses import replace
import tomllib

import pytest
from click.testing import CliRunner

pytest.importorskip("optuna")

from sim.calibration import CalibrationError, calibrate, load_calibration
from sim.calibration.study import evaluate
from sim.cli import main
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

TINY = {"world.residents": 200, "world.zones": 1, "world.buildings_per_zone": 4}
TRUE = {"gridworkers.admin_share": 0.3, "residents.logit_intercept": -4.0}


def calibration_text(targets: str = "", trials: int = 30, extra: str = "") -> str:
    overrides = "\n".join(f'"{k}" = {v}' for k, v in TINY.items())
    return textwrap.dedent(f"""
        [calibration]
        name = "recover"
        scenario = "{(SCENARIOS / 'baseline.toml').as_posix()}"
        days = 20
        replications = 1
        trials = {trials}
        base_seed = 3
        {extra}

        [overrides]
        {{overrides}}

        [parameters]
        "gridworkers.admin_share" = {{ low = 0.05, high = 0.8 }}
        "residents.logit_intercept" = {{ low = -7.0, high = -2.0 }}

        [targets]
    """).replace("{overrides}", overrides) + targets


TARGET = 'participation_rate = { value = 0.3, tolerance = 0.05 }\n'


def test_recovers_known_parameters(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(calibration_text(TARGET), encoding="utf-8")
    probe = load_calibration(path)
    # Targets: the outputs of a run at known values, with the seeds the study uses.
    truth = evaluate(replace(probe, targets={m: None for m in ("patrol_hours_per_gridworker_day", "participation_rate")}), TRUE)
    targets = "\n".join(f"{m} = {{ value = {v!r}, tolerance = {0.02 * abs(v) + 1e-3!r} }}" for m, v in truth.items())
    path.write_text(calibration_text(targets), encoding="utf-8")
    calibration = load_calibration(path)
    result = calibrate(calibration, tmp_path / "results", echo=lambda line: None)
    best = result["best_parameters"]
    assert best["gridworkers.admin_share"] == pytest.approx(TRUE["gridworkers.admin_share"], abs=0.05)
    assert best["residents.logit_intercept"] == pytest.approx(TRUE["residents.logit_intercept"], abs=0.6)
    folder = tmp_path / "results" / "recover"
    assert (folder / "study.sqlite").is_file() and (folder / "figures" / "zh" / "convergence.png").is_file()
    # calibrated.toml is a valid scenario extending the original, with the best values.
    scenario = load_scenario(folder / "calibrated.toml")
    assert tomllib.loads((folder / "calibrated.toml").read_text())["extends"].endswith("baseline.toml")
    assert scenario.gridworkers.admin_share == pytest.approx(best["gridworkers.admin_share"])
    assert scenario.world.residents == TINY["world.residents"]
    # Resumable: a second session with a bigger budget runs only the new trials.
    path.write_text(calibration_text(targets, trials=32), encoding="utf-8")
    again = calibrate(load_calibration(path), tmp_path / "results", echo=lambda line: None)
    assert again["trials"] == 32


TARGET = 'participation_rate = { value = 0.3, tolerance = 0.05 }\n'


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda t: t.replace("replications =", "replicatons ="), ["unknown key 'calibration.replicatons'", "did you mean 'calibration.replications'?"]),
        (lambda t: t.replace("tolerance", "tolerence"), ["unknown key 'targets.participation_rate.tolerence'", "did you mean 'targets.participation_rate.tolerance'?"]),
        (lambda t: t.replace("participation_rate =", "participaton_rate ="), ["targets", "did you mean 'participation_rate'?"]),
        (lambda t: t.replace('"gridworkers.admin_share"', '"gridworkers.admin_shar"'), ["parameters.\"gridworkers.admin_shar\"", "did you mean 'gridworkers.admin_share'?"]),
        (lambda t: t.replace("baseline.toml", "baselin.toml"), ["calibration.scenario", "did you mean 'baseline.toml'?"]),
        (lambda t: t.replace("high = 0.8", "high = 1.5"), ["gridworkers.admin_share", "valid range"]),
    ],
)
def test_invalid_files_exit_2_and_write_nothing(tmp_path, change, expected):
    path = tmp_path / "bad.toml"
    path.write_text(change(calibration_text(TARGET)), encoding="utf-8")
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "results")])
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.output
    assert str(path) in result.output
    assert not (tmp_path / "results").exists()
    with pytest.raises(CalibrationError):
        load_calibration(path)
