"""Calibration files (TOML), checked before anything runs::

    [calibration]
    name = "licheng_response"          # results/<name>/; by default the file name
    scenario = "../scenarios/licheng.toml"
    days = 365
    replications = 3                   # runs per evaluation (seeds as in experiments)
    trials = 40                        # evaluations in all (a rerun adds only the missing)
    base_seed = 1

    [overrides]                        # applied to every run, e.g. a smaller world
    "world.residents" = 3000

    [parameters]                       # free parameters: bounds, or {} for the registry's range;
                                       # numbers only, not also under [overrides], and a mechanism's
                                       # only where the scenario (or [overrides]) switches it on
    "gridworkers.admin_share" = { low = 0.2, high = 0.7 }

    [targets]                          # summary metric -> value, tolerance or weight, source
    resolved_within_1_day = { value = 0.8, tolerance = 0.1, source = "our reading of seed 004 §一.3" }

The loss of a trial is the sum over targets of weight x ((simulated mean -
value) / tolerance)^2; without a tolerance, the scale is |value| (or 1 for a
zero target).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from sim.experiment.sampling import Dimension
from sim.experiment.spec import ExperimentError, Table, closest, dotted, flatten, is_sweep_leaf, read_toml
from sim.scenario import error_text


class CalibrationError(ValueError):
    """A calibration that cannot be run; the message names file and key."""

    def __init__(self, message: str, file: str | Path | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.file, self.key = (str(file) if file else None), key


class CalibrationTable(Table):
    name: str | None = Field(None, min_length=1, max_length=120, description="Results go to <results root>/<name>/; by default the file name.")
    description: str = ""
    scenario: str = Field(description="The scenario file to calibrate, relative to this file.")
    days: int = Field(ge=1, le=36_500)
    replications: int = Field(3, ge=1, le=1000, description="Runs per evaluation, averaged.")
    trials: int = Field(ge=1, le=100_000, description="Evaluations in all, counting those of earlier sessions.")
    base_seed: int = Field(0, ge=0, le=2**63 - 1)
    sampler: Literal["tpe", "random"] = Field("tpe", description="optuna sampler: tpe or random.")


class Target(Table):
    value: float = Field(allow_inf_nan=False)
    # Finite: an infinite tolerance scores every trial 0, an infinite weight every trial inf.
    tolerance: float | None = Field(None, gt=0, allow_inf_nan=False, description="Scale of an acceptable miss (same unit as the metric).")
    weight: float = Field(1.0, ge=0, allow_inf_nan=False, description="0 keeps a target as watched, not fitted.")
    source: str = Field("", description="Where the figure comes from.")


class CalibrationFile(Table):
    calibration: CalibrationTable
    overrides: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(min_length=1)
    targets: dict[str, Target] = Field(min_length=1)


@dataclass(frozen=True)
class Calibration:
    file: Path
    text: str
    spec: CalibrationFile
    name: str
    scenario_file: Path
    overrides: dict[str, Any]
    dimensions: list[Dimension]
    targets: dict[str, Target]
    warnings: list[str] = field(default_factory=list)  # what trials end too soon to see (short_run_warnings)

    @property
    def settings(self) -> CalibrationTable:
        return self.spec.calibration

    def scale(self, metric: str) -> float:
        target = self.targets[metric]
        return target.tolerance if target.tolerance is not None else (abs(target.value) or 1.0)

    def loss(self, means: dict[str, float]) -> float:
        total = 0.0
        for metric, target in self.targets.items():
            value = means.get(metric, math.nan)
            if not math.isfinite(value):
                return math.inf
            total += target.weight * ((value - target.value) / self.scale(metric)) ** 2
        return total if math.isfinite(total) else math.inf  # never NaN (a zero weight times an overflow)


def _fields_at(loc: tuple) -> list[str]:
    model: Any = CalibrationFile
    for part in loc:
        field = model.model_fields.get(str(part)) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            if model is CalibrationFile or not loc:
                return []
            return list(Target.model_fields) if loc[0] == "targets" else []
        annotation = field.annotation
        found = [a for a in (annotation, *getattr(annotation, "__args__", ())) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not found:
            return list(Target.model_fields) if loc[0] == "targets" and len(loc) == 2 else []
        model = found[0]
    return list(model.model_fields)


def parse(data: dict[str, Any], path: Path) -> CalibrationFile:
    """Validate the file's shape; raises CalibrationError naming file and key."""
    try:
        return CalibrationFile.model_validate(data)
    except ValidationError as exc:
        unknown, other, meant = [], [], set()
        for error in exc.errors():
            loc = tuple(error["loc"])
            key = dotted(loc)
            if error["type"] == "extra_forbidden":
                options = list(Target.model_fields) if loc[0] == "targets" and len(loc) == 3 else _fields_at(loc[:-1])
                guess = closest(str(loc[-1]), options)
                if guess:
                    meant.add(dotted((*loc[:-1], guess)))
                hint = f"; did you mean '{dotted((*loc[:-1], guess))}'?" if guess else (f"; valid keys here: {', '.join(options)}" if options else "")
                unknown.append((key, f"{path}: unknown key '{key}'{hint}"))
            elif error["type"] == "missing":
                other.append((key, f"{path}: missing key '{key}'"))
            elif error["type"] == "too_short" and loc in (("parameters",), ("targets",)):
                example = '"gridworkers.admin_share" = { low = 0.2, high = 0.7 }' if loc[0] == "parameters" else "participation_rate = { value = 0.3, tolerance = 0.05 }"
                other.append((key, f"{path}: table [{key}] is empty; a calibration needs at least one entry, e.g. {example}"))
            else:
                value = error.get("input")
                shown = "" if isinstance(value, dict) else f" (got {value!r})"
                other.append((key, f"{path}: key '{key}': {error_text(error, key)}{shown}"))
        # A misspelt key is also a missing one: say it once, as the misspelling.
        errors = unknown + [(key, text) for key, text in other if key not in meant]
        raise CalibrationError("\n".join(text for _, text in errors), path, errors[0][0]) from None


def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration file completely (scenario, parameters, metrics)."""
    from sim.experiment.plan import _check_overrides, _dimension, _registry, _unknown_path, results_name
    from sim.scenario import ScenarioError, load_scenario, with_overrides

    path = Path(path)
    try:
        data, text = read_toml(path)
        if not isinstance(data.get("calibration"), dict):
            raise CalibrationError(f"{path}: not a calibration file (it has no [calibration] table)", path, "calibration")
        spec = parse(data, path)
        settings = spec.calibration
        name = results_name(settings.name if settings.name is not None else path.stem, path)
        overrides = _check_overrides(spec, path)
        scenario_file = (path.parent / settings.scenario).resolve()
        if not scenario_file.is_file():
            others = sorted(p.name for p in scenario_file.parent.glob("*.toml")) if scenario_file.parent.is_dir() else []
            guess = closest(scenario_file.name, others)
            hint = f"; did you mean '{guess}'?" if guess else ""
            raise CalibrationError(f"{path}: key 'calibration.scenario' names {settings.scenario!r}, which does not exist (looked for {scenario_file}){hint}", path, "calibration.scenario")
        registry = _registry()
        dims = []
        for dotted_path, bounds in flatten(spec.parameters, leaf=is_sweep_leaf).items():
            if dotted_path not in registry:
                raise _unknown_path(dotted_path, list(registry), path, f'parameters."{dotted_path}"')
            dims.append(_dimension(dotted_path, bounds, registry[dotted_path], path))
            if dotted_path in overrides:
                key = f'parameters."{dotted_path}"'
                raise CalibrationError(
                    f"{path}: key '{key}': '{dotted_path}' is also fixed under [overrides] (= {overrides[dotted_path]!r}); "
                    "a parameter is either free or fixed: remove one of the two",
                    path,
                    key,
                )
        try:
            base = load_scenario(scenario_file, overrides)
            corners = [with_overrides(base, {d.path: d.value(getattr(d, corner)) for d in dims}) for corner in ("low", "high")]
        except ScenarioError as exc:
            raise CalibrationError(f"{path}: scenario {settings.scenario!r} with these overrides and parameter bounds: {exc}", path, exc.key) from None
        _check_mechanisms_on(dims, base, path)
        _check_targets(list(spec.targets), base, path)
        _check_target_values(spec.targets, path)
        _check_weights(spec.targets, path)
    except ExperimentError as exc:  # the checks shared with experiment files
        raise CalibrationError(_as_calibration(str(exc)), exc.file or path, _as_calibration(exc.key) if exc.key else None) from None
    return Calibration(path, text, spec, name, scenario_file, overrides, dims, dict(spec.targets), short_run_warnings(corners, settings.days))


def short_run_warnings(corners: list, days: int) -> list[str]:
    """What trials of ``days`` days would not see (``Scenario.unseen_within``) at either corner of
    the bounds: the fit cannot see a mechanism that has not acted yet, nor a shock to come."""
    out = []
    for item in {tuple(i.items()): i for config in corners for i in config.unseen_within(days)}.values():
        if item["kind"] == "shock":
            what = f"the {item['name']} on day {item['day']} begins after the trials' {days} days"
        elif item["day"] is None:
            what = f"mechanism '{item['name']}' never acts with these settings"
        else:
            what = f"mechanism '{item['name']}' first acts on day {item['day']}, after the trials' {days} days"
        later = f" (calibration.days = {item['day'] + 1} or more if it matters for the targets)" if item["day"] is not None else ""
        out.append(f"{what}: the fit does not see it{later}")
    return out


def _as_calibration(text: str) -> str:
    """An experiment file's key names, in a message or key, as a calibration file spells them."""
    text = text.replace("sweep.parameters.", "parameters.").replace("'sweep.parameters", "'parameters").replace("experiment.name", "calibration.name")
    return text.replace("sampled designs take bounds", "free parameters take bounds").replace("can be sampled (use the grid method)", "can be calibrated")


def _check_mechanisms_on(dims: list[Dimension], scenario, path: Path) -> None:
    """A switched-off mechanism's parameter changes nothing: fitting it would report noise as a value."""
    for d in dims:
        owner = scenario.switched_off_owner(d.path)
        if owner:
            key = f'parameters."{d.path}"'
            raise CalibrationError(
                f"{path}: key '{key}': mechanism '{owner}' is switched off in scenario {scenario.name!r}, so '{d.path}' changes nothing "
                f'(switch it on with "mechanisms.{owner}.enabled" = true under [overrides])',
                path,
                key,
            )


def _check_targets(metrics: list[str], scenario, path: Path) -> None:
    """Every target must be a summary metric that runs of this scenario report.

    A misspelt metric would score every trial inf (its mean is missing), so
    the names are checked exactly, against a one-day run of the scenario on a
    tiny world (``summary_metrics``).
    """
    from sim.experiment.plan import _check_metrics, summary_metrics

    names = summary_metrics(scenario)
    if names is None:  # the scenario does not build on a tiny world: the coarser shared check
        _check_metrics(metrics, path, "targets")
        return
    for metric in metrics:
        problem = _metric_problem(metric, names, scenario)
        if problem is not None:
            key = f'targets."{metric}"'
            raise CalibrationError(f"{path}: key '{key}': no summary metric {metric!r} {problem}", path, key)


def _check_target_values(targets: dict[str, Target], path: Path) -> None:
    """A target the metric can never reach (a share of 0.8 written as 80) scores every trial as a miss."""
    from sim.analysis.text import possible_range

    for metric, target in targets.items():
        low, high = possible_range(metric)
        if not low <= target.value <= high:
            key = f'targets."{metric}".value'
            what = "a share from 0 to 1 (write 0.8 for 80%)" if (low, high) == (0.0, 1.0) else f"never below {low:g}"
            raise CalibrationError(f"{path}: key '{key}' = {target.value:g}: {metric} is {what}", path, key)


def _check_weights(targets: dict[str, Target], path: Path) -> None:
    """With every weight 0 every trial's loss is 0: the study would run and 'find' its first trial."""
    if any(target.weight > 0 for target in targets.values()):
        return
    first = next(iter(targets))
    key = f'targets."{first}".weight' if len(targets) == 1 else "targets"
    every = f"target {first!r} has" if len(targets) == 1 else f"all {len(targets)} targets have"
    raise CalibrationError(
        f"{path}: key '{key}': {every} weight 0, so every trial's loss is 0 and nothing is fitted; "
        "give at least one target a weight above 0 (weight 0 keeps a target as watched only)",
        path,
        key,
    )


def _metric_problem(metric: str, names: tuple[str, ...], scenario) -> str | None:
    """Why ``metric`` is not among ``names`` (the scenario's summary metrics), or None if it is.

    The text reads on from "no summary metric 'x'": it names the mechanism
    that is switched off, or the closest name.
    """
    from sim.mechanisms import available

    if metric in names:
        return None
    prefix, dot, _ = metric.partition(".")
    if dot and prefix in available() and prefix not in scenario.enabled_mechanisms():
        return (
            f"in scenario {scenario.name!r}: mechanism '{prefix}' is switched off there, so its metrics are not computed "
            f'(switch it on with "mechanisms.{prefix}.enabled" = true under [overrides])'
        )
    guess = closest(metric, names)
    if guess is None and dot:  # a misspelt last part under a right prefix
        guess = closest(metric, [n for n in names if n.startswith(prefix + ".")])
    return f"in scenario {scenario.name!r}" + (f"; did you mean '{guess}'?" if guess else "")
