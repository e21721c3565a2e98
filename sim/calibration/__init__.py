"""Calibration: fit free parameters to target statistics with an optuna study.

- :mod:`.spec`     the calibration file (TOML) and its validation
- :mod:`.study`    the objective and the resumable study (SQLite)
- :mod:`.outputs`  what it writes for its reader: trials.csv, calibrated.toml and the convergence chart
"""

from .spec import CalibrationError, load_calibration
from .study import calibrate

__all__ = ["CalibrationError", "calibrate", "load_calibration"]
