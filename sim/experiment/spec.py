"""Experiment files (TOML): what to run, checked before anything runs.

An experiment file is told apart from a scenario file by its ``[experiment]``
table (a scenario file never has one)::

    [experiment]
    name = "mechanism_comparison"
    scenarios = ["../scenarios/baseline.toml", "../scenarios/{mechanism}.toml"]
    baseline = "baseline"
    replications = 30
    base_seed = 20240601
    days = 365
    metrics = ["participation_rate", "resolution_rate"]

    [overrides]                 # applied to every scenario
    "world.residents" = 3000

    [sweep]
    method = "grid"             # grid | lhs | sobol | morris
    [sweep.parameters]
    "gridworkers.admin_share" = [0.2, 0.45]           # grid: a list of values
    # "gridworkers.admin_share" = { low = 0.2, high = 0.6 }   # lhs/sobol/morris
    # "gridworkers.admin_share" = {}                          # registry range

This module only reads and checks the file's own shape (unknown keys, types,
ranges); :mod:`sim.experiment.plan` checks what needs the model (scenario
files, parameter paths, metric names) and expands the file into runs.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from sim.scenario import error_text

EXPERIMENT_TABLE = "experiment"
"""The table that makes a TOML file an experiment file."""

MECHANISM_PLACEHOLDER = "{mechanism}"
"""In a scenario path, stands for every installed mechanism in turn."""

BOUND_KEYS = frozenset({"low", "high"})

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
"""A scenario's name in the report: short enough for a chart's axis."""

AUTO = "auto"
"""``replications = "auto"``: replicate until the precision targets are met."""


class ExperimentError(ValueError):
    """An experiment that cannot be run; the message names file and key."""

    def __init__(self, message: str, file: str | Path | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.file, self.key = (str(file) if file else None), key


class Table(BaseModel):
    # strict: TOML is typed, so "30" where a number belongs is a mistake to report.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PrecisionTable(Table):
    metrics: dict[str, Annotated[float, Field(gt=0)]] = Field(min_length=1, description="Summary metric -> the 95% confidence half-width to reach in every scenario and point (above 0: no finite number of runs reaches 0).")
    min: int = Field(5, ge=2, le=100_000, description="Replications of the first round.")
    max: int = Field(100, ge=2, le=100_000, description="Replications never exceeded, reached or not.")
    step: int = Field(5, ge=1, le=100_000, description="Replications added per round.")


class ExperimentTable(Table):
    name: str | None = Field(None, min_length=1, max_length=120, description="Results go to <results root>/<name>/; by default the file name.")
    description: str = Field("", description="What the experiment asks.")
    description_zh: str = Field("", description="The same in Chinese, for reports in Chinese (the English one stands in where empty).")
    scenarios: list[str] = Field(min_length=1, description="Scenario files, relative to this file; '{mechanism}' expands to every mechanism.")
    baseline: str | None = Field(None, description="Scenario (name or path as written) the others are compared with; by default the first.")
    replications: Any = Field(description="Runs per scenario and sweep point, each with its own seed (1 to 100,000); \"auto\": in rounds until [experiment.precision] is met.")
    base_seed: int = Field(ge=0, le=2**63 - 1, description="Run seeds derive from this and the replication index only.")
    days: int = Field(ge=1, le=36_500, description="Days to simulate in every run.")
    metrics: list[str] = Field(default_factory=list, description="Summary metrics of interest, shown at the end.")
    precision: PrecisionTable | None = Field(None, description="With replications = \"auto\": target half-widths, first round, cap and step.")
    matters: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(
        default_factory=dict,
        description="Summary metric -> the smallest change that matters to the decision, in the metric's stored unit (a share for rates: "
                    "0.02 is 2 percentage points); a clear change whose whole 95% interval is smaller is reported as small. "
                    "Replaces the report's default for that metric (1 percentage point for rates, 1 point of satisfaction, half a day, "
                    "0.01 for indices; assumption). Report only: runs are not affected.")
    labels: dict[str, Label] = Field(
        default_factory=dict,
        description="Scenario name -> what the report calls it (1 to 60 characters), e.g. { east_pilot = \"East district pilot\" }; "
                    "replaces the built-in name of a shipped scenario. Report only: runs are not affected.")
    labels_zh: dict[str, Label] = Field(
        default_factory=dict,
        description="The same for reports in Chinese, e.g. { east_pilot = \"东区试点\" }; where a scenario has none, the built-in Chinese "
                    "name of a shipped scenario stands in, then its English label.")

    @field_validator("replications")
    @classmethod
    def _count_or_auto(cls, value: Any) -> int | str:
        if value == AUTO:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f'must be a whole number or "{AUTO}"')
        if not 1 <= value <= 100_000:
            raise ValueError("must be greater than or equal to 1 and at most 100000")
        return value

    @model_validator(mode="after")
    def _precision_with_auto(self) -> "ExperimentTable":
        if (self.replications == AUTO) != (self.precision is not None):
            raise ValueError(f'replications = "{AUTO}" and an [experiment.precision] table go together: write both or neither')
        if self.precision is not None and self.precision.min > self.precision.max:
            raise ValueError(f"precision.min ({self.precision.min}) is above precision.max ({self.precision.max})")
        return self


class SweepTable(Table):
    method: Literal["grid", "lhs", "sobol", "morris"]
    samples: int | None = Field(None, ge=1, le=10_000_000, description="lhs: points; sobol: N, giving N(2D+2) points (N(D+2) without second order); morris: trajectories N, giving N(D+1) points.")
    second_order: bool = Field(True, description="sobol: sample for second-order indices too.")
    levels: int = Field(4, ge=2, le=1000, description="morris: grid levels.")
    parameters: dict[str, Any] = Field(min_length=1, description="Dotted parameter path -> list of values (grid) or {low, high} bounds (others).")


class ExperimentFile(Table):
    experiment: ExperimentTable
    overrides: dict[str, Any] = Field(default_factory=dict, description="Dotted parameter path -> value, applied to every scenario.")
    sweep: SweepTable | None = None


# ---------------------------------------------------------------------- reading
def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed file and its text; errors name the file."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark (Windows Notepad) is not TOML
    except FileNotFoundError:
        raise ExperimentError(f"{path}: file not found", path) from None
    except IsADirectoryError:
        raise ExperimentError(f"{path}: is a folder, not a file", path) from None
    except UnicodeDecodeError:
        raise ExperimentError(f"{path}: not a text file (UTF-8 expected)", path) from None
    except OSError as exc:
        raise ExperimentError(f"{path}: cannot be read: {exc.strerror}", path) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{path}: not valid TOML: {exc}", path) from None


def is_experiment_file(path: str | Path) -> bool:
    """True if ``path`` has an ``[experiment]`` table (raises ExperimentError if unreadable)."""
    data, _ = read_toml(Path(path))
    return isinstance(data.get(EXPERIMENT_TABLE), dict)


def dotted(loc: tuple) -> str:
    """A pydantic error location as a key a user can find in the file."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in str(part):
            out += f'."{part}"' if out else f'"{part}"'
        else:
            out += f".{part}" if out else str(part)
    return out


def _fields_at(loc: tuple) -> list[str]:
    model: type[BaseModel] = ExperimentFile
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        candidates = [a for a in (annotation, *getattr(annotation, "__args__", ())) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not candidates:
            return []
        model = candidates[0]
    return list(model.model_fields)


def closest(word: str, options) -> str | None:
    """The option a misspelt ``word`` most likely meant, if any is close."""
    guess = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return guess[0] if guess else None


def did_you_mean(word: str, options) -> str:
    guess = closest(word, options)
    return f"; did you mean '{guess}'?" if guess else ""


def parse(data: dict[str, Any], path: Path) -> ExperimentFile:
    """Validate the file's shape; raises ExperimentError naming file and key."""
    try:
        return ExperimentFile.model_validate(data)
    except ValidationError as exc:
        unknown, other, meant = [], [], set()
        for error in exc.errors():
            loc = tuple(error["loc"])
            key = dotted(loc)
            if error["type"] == "extra_forbidden":
                options = _fields_at(loc[:-1])
                guess = closest(str(loc[-1]), options)
                if guess:
                    meant.add(dotted((*loc[:-1], guess)))
                    hint = f"; did you mean '{dotted((*loc[:-1], guess))}'?"
                else:
                    hint = f"; valid keys here: {', '.join(options)}" if options else ""
                unknown.append((key, f"{path}: unknown key '{key}'{hint}"))
            elif error["type"] == "missing":
                other.append((key, f"{path}: missing key '{key}'"))
            else:
                value = error.get("input")
                shown = "" if isinstance(value, dict) else f" (got {value!r})"
                other.append((key, f"{path}: key '{key}': {error_text(error, key)}{shown}"))
        # A misspelt key is also a missing one: say it once, as the misspelling.
        errors = unknown + [(key, text) for key, text in other if key not in meant]
        raise ExperimentError("\n".join(text for _, text in errors), path, errors[0][0]) from None


def flatten(table: dict[str, Any], prefix: str = "", leaf=lambda value: not isinstance(value, dict)) -> dict[str, Any]:
    """``{"world": {"residents": 3}}`` and ``{"world.residents": 3}`` both -> dotted keys."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if leaf(value):
            out[path] = value
        else:
            out.update(flatten(value, path + ".", leaf))
    return out


def is_sweep_leaf(value: Any) -> bool:
    """A sweep entry: a list of values, or a table of bounds (possibly empty)."""
    return not isinstance(value, dict) or set(value) <= BOUND_KEYS


def load(path: str | Path) -> tuple[ExperimentFile, str]:
    """Read and check an experiment file's shape: (validated file, its text)."""
    path = Path(path)
    data, text = read_toml(path)
    if not isinstance(data.get(EXPERIMENT_TABLE), dict):
        raise ExperimentError(f"{path}: not an experiment file (it has no [experiment] table)", path, EXPERIMENT_TABLE)
    return parse(data, path), text
