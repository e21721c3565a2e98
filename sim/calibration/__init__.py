"""Calibration: fit free parameters to target statistics with an optuna study.

- :mod:`.spec`   the calibration file (TOML) and its validation
- :mod:`.study`  the objective, the resumable study (SQLite), calibrated.toml and the convergence plot
"""

from .spec import CalibrationError, load_calibration
from .study import calibrate

__all__ = ["CalibrationError", "calibrate", "load_calibration"]
