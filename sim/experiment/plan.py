"""An experiment file expanded into a plan of runs, each with a key and a seed.

Everything that can be wrong with an experiment is found here, before any run
starts or any file is written: scenario files, parameter paths (checked
against the registry, with a "did you mean"), values (every resolved
configuration is validated like a scenario), metric names and the results
folder name.

Seeds derive from the base seed and the replication index only, so
replication *r* uses the same seed in every scenario and at every sweep point
(common random numbers: differences between scenarios are not noise from
different draws). A run's key hashes its fully resolved configuration, seed,
days and the model version; the result store is keyed by it, so a finished
run is never run twice.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim import model_version
from sim.scenario import Scenario, ScenarioError, load_scenario, unseen_text, with_overrides

from . import sampling
from .spec import MECHANISM_PLACEHOLDER, ExperimentError, PrecisionTable, ExperimentFile, closest, did_you_mean, flatten, is_sweep_leaf, load
from .worker import RunTask

# Keys left out of the run key: they do not change what a run computes.
NOT_HASHED = ("description",)


# ------------------------------------------------------------------ seeds, keys
def seed_for(base_seed: int, replication: int) -> int:
    """The seed of replication ``replication``: the same in every scenario and point."""
    child = np.random.SeedSequence(base_seed, spawn_key=(replication,))
    return int(child.generate_state(1, dtype=np.uint32)[0])


def run_key(config: dict[str, Any], seed: int, days: int) -> str:
    """Hash of the fully resolved configuration, the seed, the days and the model version."""
    hashed = {k: v for k, v in config.items() if k not in NOT_HASHED}
    text = json.dumps({"config": hashed, "seed": seed, "days": days, "model": model_version()}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# ------------------------------------------------------------------ the plan
@dataclass(frozen=True)
class ScenarioEntry:
    name: str
    written: str  # the path as the experiment file wrote it (after {mechanism} expansion)
    file: Path
    config: Scenario  # with the experiment's overrides, before any sweep point
    own_size: tuple[int, int] | None = None  # (residents, communities) of the file's own world, where [overrides] change them


@dataclass(frozen=True)
class PlannedRun:
    key: str
    scenario: str
    point: int
    replication: int
    seed: int


@dataclass
class Plan:
    file: Path
    text: str
    spec: ExperimentFile
    name: str  # the results folder name (sanitised)
    scenarios: list[ScenarioEntry]
    baseline: str
    overrides: dict[str, Any]
    sweep: dict[str, Any] | None  # method, parameters, design settings, SALib problem
    points: list[dict[str, Any]]  # [{}] without a sweep
    runs: list[PlannedRun]
    configs: dict[tuple[str, int], dict[str, Any]]  # (scenario, point) -> resolved config
    metrics: list[str]
    warnings: list[str] = field(default_factory=list)
    count: int | None = None  # replications planned, if not the file's number (replications = "auto")
    unseen: list[dict[str, Any]] = field(default_factory=list)  # what runs end too soon to see (see unseen_in)
    scheduled: list[dict[str, Any]] = field(default_factory=list)  # days on which series may step (see scheduled_in)
    model: str = field(default_factory=model_version)  # the code the runs are planned with; workers must run the same

    @property
    def days(self) -> int:
        return self.spec.experiment.days

    @property
    def replications(self) -> int:
        return self.count if self.count is not None else self.spec.experiment.replications

    @property
    def precision(self) -> PrecisionTable | None:
        """The precision targets of ``replications = "auto"``, else None."""
        return self.spec.experiment.precision

    def reports(self, scenario: str, point: int, metric: str) -> bool:
        """Whether runs of the arm (scenario, point) report ``metric``."""
        return reports(self.configs[(scenario, point)], metric)

    def keys_it_may_hold(self) -> set[str]:
        """Keys a results folder of this plan may hold: with ``replications = "auto"``,
        those of every round up to the cap (a round stopped by a crash is in the ledger
        before the manifest records its count)."""
        grown = self.with_replications(self.precision.max) if self.precision is not None else self
        return {r.key for r in grown.runs}

    def arms(self) -> list[tuple[str, int]]:
        """Every (scenario, point) of the plan."""
        return [(s.name, p) for s in self.scenarios for p in range(len(self.points))]

    def with_replications(self, n: int) -> "Plan":
        """The same plan with ``n`` replications (a grown plan keeps every earlier run's key)."""
        runs = planned_runs(self.scenarios, self.points, self.configs, self.spec.experiment.base_seed, self.days, n)
        return replace(self, runs=runs, count=n)

    @property
    def swept(self) -> list[str]:
        return list(self.points[0]) if self.points else []

    def unique_runs(self) -> list[PlannedRun]:
        """One planned run per key, in plan order (rounded designs may repeat a point)."""
        seen: dict[str, PlannedRun] = {}
        for run in self.runs:
            seen.setdefault(run.key, run)
        return list(seen.values())

    def task(self, run: PlannedRun) -> RunTask:
        return RunTask(run.key, self.configs[(run.scenario, run.point)], run.seed, self.days, self.model)

    def describe(self, done: int = 0, folder: Path | None = None) -> str:
        """The plan in words, for ``--dry-run`` and the start of a batch."""
        lines = [f"experiment    {self.name}  ({self.file})"]
        if self.spec.experiment.description:
            lines.append(f"              {self.spec.experiment.description}")
        width = max([24] + [len(entry.name) for entry in self.scenarios])  # a planner's own names run longer
        for entry in self.scenarios:
            on = ", ".join(entry.config.enabled_mechanisms()) or "no mechanism"
            mark = "  <- baseline" if entry.name == self.baseline else ""
            own = f" by [overrides]; the file has {entry.own_size[0]:,} in {entry.own_size[1]} communit{'y' if entry.own_size[1] == 1 else 'ies'}" if entry.own_size else ""
            lines.append(f"scenario      {entry.name:<{width}} {entry.written}  ({entry.config.world.residents:,} residents{own}; {on}){mark}")
            if called := self.report_names(entry.name):
                lines.append(f"              {'':<{width}} in the report: {called}")
        if self.overrides:
            lines.append("overrides     " + ", ".join(f"{k} = {v!r}" for k, v in self.overrides.items()))
        if self.sweep:
            lines.append(f"sweep         {self.sweep['method']} over {', '.join(self.swept)}: {len(self.points)} point{'s' * (len(self.points) != 1)}")
        seeds = [seed_for(self.spec.experiment.base_seed, r) for r in range(min(3, self.replications))]
        more = ", ..." if self.replications > 3 else ""
        auto = f" for now; auto up to {self.precision.max}, in steps of {self.precision.step}, until the 95% half-width of {', '.join(f'{m} <= {w:g}' for m, w in self.precision.metrics.items())}" if self.precision else ""
        lines.append(f"replications  {self.replications}{auto}  (base seed {self.spec.experiment.base_seed}; seeds {', '.join(map(str, seeds))}{more})")
        lines.append(f"days          {self.days}")
        unique = len(self.unique_runs())
        repeat = f" ({len(self.runs) - unique} repeat a configuration)" if unique < len(self.runs) else ""
        factors = " x ".join(plural(n, word) for n, word in ((len(self.scenarios), "scenario"), (len(self.points), "point"), (self.replications, "replication")))
        lines.append(f"runs          {len(self.runs)} = {factors}{repeat}")
        if folder is not None:
            lines.append(f"results       {folder}/" + (f"  ({done} of {unique} already done)" if done else ""))
        if self.metrics:
            lines.append(f"metrics       {', '.join(self.metrics)}")
        lines.extend(f"warning       {w}" for w in self.warnings)
        return "\n".join(lines)

    def report_names(self, name: str) -> str:
        """What the Chinese and the English report call scenario ``name``, where this file labels it; else ""."""
        from sim.analysis import text as T  # words only: no model, no plotting

        exp = self.spec.experiment
        if name not in exp.labels and name not in exp.labels_zh:
            return ""
        with T.for_experiment({"labels": exp.labels, "labels_zh": exp.labels_zh}):
            zh, en = T.scenario_label(name, "zh"), T.scenario_label(name, "en")
        return zh if zh == en else f"{zh} / {en}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# ------------------------------------------------------------------ building it
def build_plan(path: str | Path) -> Plan:
    """Read, check and expand an experiment file; raises ExperimentError."""
    path = Path(path)
    spec, text = load(path)
    exp = spec.experiment
    name = results_name(exp.name if exp.name is not None else path.stem, path)
    overrides = _check_overrides(spec, path)
    scenarios = _load_scenarios(spec, path, overrides)
    baseline = _baseline(spec, path, scenarios)
    sweep, points = _sweep(spec, path)
    for dotted_path in points[0] if points else ():
        if dotted_path in overrides:
            key = f'sweep.parameters."{dotted_path}"'
            raise ExperimentError(f"{path}: key '{key}': '{dotted_path}' is also fixed under [overrides] (= {overrides[dotted_path]!r}); "
                                  "the sweep would replace it in every run: remove one of the two", path, key)
    warnings = _sweep_warnings(points, scenarios, path)
    if sweep and sweep["method"] == "sobol" and (small := sampling.small_sobol_warning(sweep["samples"])):
        warnings.append(f"sweep.samples = {sweep['samples']}: {small}")
    resolved = _resolve(path, scenarios, points)
    configs = {key: config.model_dump(mode="json") for key, config in resolved.items()}
    metrics = _check_metrics(exp.metrics, path)
    _check_metrics(list(exp.matters), path, "experiment.matters")
    _check_labels(exp.labels, exp.labels_zh, path, scenarios)
    count = None
    if exp.precision is not None:
        _check_metrics(list(exp.precision.metrics), path, "experiment.precision.metrics")
        for metric in exp.precision.metrics:
            if not any(reports(config, metric) for config in configs.values()):
                key = f'experiment.precision.metrics."{metric}"'
                raise ExperimentError(f"{path}: key '{key}': no scenario of this experiment reports {metric!r}: mechanism '{metric.split('.')[0]}' is off in all of them", path, key)
        count = exp.precision.min
    runs = planned_runs(scenarios, points, configs, exp.base_seed, exp.days, count or exp.replications)
    unseen = unseen_in(resolved, exp.days)
    for item in unseen:
        where = item["scenario"] if len(points) == 1 else f"{item['scenario']} (at {len(item['points'])} of {len(points)} sweep points)"
        warnings.append(f"{where}: {unseen_text(item, exp.days)}")
    return Plan(path, text, spec, name, scenarios, baseline, overrides, sweep, points, runs, configs, metrics, warnings, count,
                unseen=unseen, scheduled=scheduled_in(resolved, exp.days))


def unseen_in(configs: dict[tuple[str, int], Scenario], days: int) -> list[dict[str, Any]]:
    """``Scenario.unseen_within`` of every run configuration (a sweep may move a schedule or
    switch a mechanism on), one entry per scenario and finding with the sweep points it holds at."""
    return by_scenario(configs, lambda config: config.unseen_within(days))


def scheduled_in(configs: dict[tuple[str, int], Scenario], days: int) -> list[dict[str, Any]]:
    """``Scenario.scheduled_within`` of every run configuration, one entry per scenario and
    schedule with the sweep points it holds at (for the report's daily series)."""
    return by_scenario(configs, lambda config: config.scheduled_within(days))


def by_scenario(configs: dict[tuple[str, int], Scenario], findings) -> list[dict[str, Any]]:
    """``findings(config)`` (a list of dicts) of every run configuration, each finding once per
    scenario with ``points``, the sweep points it holds at."""
    found: dict[tuple, dict[str, Any]] = {}
    for (scenario, point), config in configs.items():
        for item in findings(config):
            key = (scenario, repr(sorted(item.items())))
            found.setdefault(key, {"scenario": scenario, **item, "points": []})["points"].append(point)
    return list(found.values())


def planned_runs(scenarios: list[ScenarioEntry], points: list, configs: dict, base_seed: int, days: int, replications: int) -> list[PlannedRun]:
    """Replication-major: a plan grown by more replications keeps its earlier runs in front."""
    return [
        PlannedRun(run_key(configs[(s.name, p)], seed, days), s.name, p, r, seed)
        for r, seed in ((r, seed_for(base_seed, r)) for r in range(replications))
        for s in scenarios
        for p in range(len(points))
    ]


def results_name(name: str, path: Path) -> str:
    """A folder name that stays inside the results root whatever the file says."""
    if Path(name).is_absolute() or re.search(r"[/\\]", name) or name.strip() in ("", ".", ".."):
        raise ExperimentError(
            f"{path}: key 'experiment.name' = {name!r} must be a plain name, not a path (results go to <results root>/<name>/)",
            path,
            "experiment.name",
        )
    safe = re.sub(r"[^\w.-]+", "_", name.strip()).strip("._")
    if not safe:
        raise ExperimentError(f"{path}: key 'experiment.name' = {name!r} has no letters or digits to name a folder with", path, "experiment.name")
    return safe


@cache
def _field_paths() -> tuple[str, ...]:
    """Every dotted path a scenario can set (registry parameters and plain fields)."""

    def walk(model: type[BaseModel], prefix: str) -> list[str]:
        out = []
        for name, info in model.model_fields.items():
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                out.extend(walk(annotation, f"{prefix}{name}."))
            else:
                out.append(f"{prefix}{name}")
        return out

    return tuple(walk(Scenario, ""))


@cache
def _registry() -> dict:
    from sim.registry import by_path

    return by_path()


def _unknown_path(path: str, options, file: Path, key: str) -> ExperimentError:
    head, _, tail = path.rpartition(".")
    if head in options and key.startswith("overrides."):  # { value = 300 }: an override is one value
        return ExperimentError(f"{file}: key 'overrides.\"{head}\"': an override is one value, e.g. \"{head}\" = 300, not a table", file, f'overrides."{head}"')
    if head in options:  # a table of bounds with a misspelt key: { lo = 0.2, ... }
        return ExperimentError(f"{file}: key '{key}': '{head}' is a parameter; give its bounds as {{ low = ..., high = ... }}, not '{tail}'", file, key)
    guess = closest(path, options)
    if guess is None:  # a misspelt last part under a right prefix
        siblings = [p.rpartition(".")[2] for p in options if p.rpartition(".")[0] == head]
        last = closest(tail, siblings)
        guess = f"{head}.{last}" if last else None
    hint = f"; did you mean '{guess}'?" if guess else " (see `govsim params` for every parameter)"
    return ExperimentError(f"{file}: key '{key}': no parameter '{path}'{hint}", file, key)


def _check_overrides(spec: ExperimentFile, path: Path) -> dict[str, Any]:
    overrides = flatten(spec.overrides)
    for dotted_path in overrides:
        if dotted_path not in _field_paths():
            raise _unknown_path(dotted_path, _field_paths(), path, f'overrides."{dotted_path}"')
    return overrides


def _scenario_files(spec: ExperimentFile, path: Path) -> list[tuple[str, Path]]:
    from sim.mechanisms import available

    out = []
    for index, written in enumerate(spec.experiment.scenarios):
        names = available() if MECHANISM_PLACEHOLDER in written else [None]
        for mechanism in names:
            entry = written.replace(MECHANISM_PLACEHOLDER, mechanism) if mechanism else written
            target = (path.parent / entry).resolve()
            if not target.is_file():
                folder = target.parent
                others = sorted(p.name for p in folder.glob("*.toml")) if folder.is_dir() else []
                hint = did_you_mean(target.name, others)
                why = f" (the scenario of mechanism '{mechanism}')" if mechanism else ""
                key = f"experiment.scenarios[{index}]"
                raise ExperimentError(f"{path}: key '{key}' names {entry!r}{why}, which does not exist (looked for {target}){hint}", path, key)
            out.append((entry, target))
    return out


def _scenario_problem(exc: ScenarioError, path: Path, entry: str, values: dict[str, Any], table: str) -> ExperimentError:
    """A scenario error caused by the experiment's own values, blamed on the experiment file."""
    reason = "\n".join(line.removeprefix("<override>: ") for line in str(exc).splitlines())
    # The key itself, or a key inside the table whose check failed (world.communities for a rule on [world]).
    culprit = exc.key if exc.key in values else next((k for k in values if exc.key and k.startswith(exc.key + ".")), None)
    if culprit is not None:
        key = f'{table}."{culprit}"'
        return ExperimentError(f"{path}: key '{key}' = {values[culprit]!r} does not fit scenario {entry!r}: {reason}", path, key)
    return ExperimentError(f"{path}: scenario {entry!r}: {reason}", exc.file or path, exc.key)


def _load_scenarios(spec: ExperimentFile, path: Path, overrides: dict[str, Any]) -> list[ScenarioEntry]:
    entries: list[ScenarioEntry] = []
    for written, target in _scenario_files(spec, path):
        try:
            config = load_scenario(target, overrides)
        except ScenarioError as exc:
            raise _scenario_problem(exc, path, written, overrides, "overrides") from None
        clash = next((e for e in entries if e.name == config.name), None)
        if clash:
            raise ExperimentError(
                f"{path}: key 'experiment.scenarios': {written!r} and {clash.written!r} are both named {config.name!r}; results are grouped by scenario name, so give one another 'name'",
                path,
                "experiment.scenarios",
            )
        entries.append(ScenarioEntry(config.name, written, target, config, _own_size(target, config, overrides)))
    return entries


def _own_size(file: Path, config: Scenario, overrides: dict[str, Any]) -> tuple[int, int] | None:
    """The file's own (residents, communities) where the experiment's [overrides] changed them:
    a smaller world for speed is a choice the report must state."""
    if not any(key == "world" or key.startswith("world.") for key in overrides):
        return None
    own = load_scenario(file).world
    size = (own.residents, own.communities)
    return size if size != (config.world.residents, config.world.communities) else None


def _baseline(spec: ExperimentFile, path: Path, scenarios: list[ScenarioEntry]) -> str:
    wanted = spec.experiment.baseline
    if wanted is None:
        return scenarios[0].name
    for entry in scenarios:
        if wanted in (entry.name, entry.written, entry.file.stem):
            return entry.name
    names = [e.name for e in scenarios]
    raise ExperimentError(
        f"{path}: key 'experiment.baseline' = {wanted!r} is not one of the scenarios{did_you_mean(wanted, names)} (scenarios: {', '.join(names)})",
        path,
        "experiment.baseline",
    )


# ------------------------------------------------------------------ sweeps
def _sweep(spec: ExperimentFile, path: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    sweep = spec.sweep
    if sweep is None:
        return None, [{}]
    registry = _registry()
    entries = flatten(sweep.parameters, leaf=is_sweep_leaf)
    for dotted_path in entries:
        if dotted_path not in registry:
            raise _unknown_path(dotted_path, list(registry), path, f'sweep.parameters."{dotted_path}"')
    given = sweep.model_fields_set
    if sweep.method == "grid":
        for setting in ("samples", "second_order", "levels"):
            if setting in given:
                raise ExperimentError(f"{path}: key 'sweep.{setting}' does not apply to the grid method (a grid runs every combination of the listed values)", path, f"sweep.{setting}")
        values = {p: _grid_values(p, v, path) for p, v in entries.items()}
        return {"method": "grid", "parameters": values}, sampling.grid(values)
    if sweep.samples is None:
        raise ExperimentError(f"{path}: missing key 'sweep.samples' (the {sweep.method} method needs it)", path, "sweep.samples")
    if "second_order" in given and sweep.method != "sobol" or "levels" in given and sweep.method != "morris":
        setting = "second_order" if "second_order" in given else "levels"
        raise ExperimentError(f"{path}: key 'sweep.{setting}' does not apply to the {sweep.method} method", path, f"sweep.{setting}")
    dims = [_dimension(p, v, registry[p], path) for p, v in entries.items()]
    n = sweep.samples
    if sweep.method in ("morris", "sobol") and n < 2:
        what = "trajectories" if sweep.method == "morris" else "base samples"
        raise ExperimentError(f"{path}: key 'sweep.samples' = {n}: {sweep.method.capitalize()} needs at least 2 {what}: with one, the spread of effects and the confidence intervals cannot be estimated (10 or more is usual)", path, "sweep.samples")
    if sweep.method == "morris" and sweep.levels % 2:
        raise ExperimentError(f"{path}: key 'sweep.levels' = {sweep.levels}: a Morris design needs an even number of levels; with an odd number its steps never reach the top of each range (try {sweep.levels + 1})", path, "sweep.levels")
    if sweep.method == "sobol" and n & (n - 1):
        low = 1 << (n.bit_length() - 1)
        raise ExperimentError(f"{path}: key 'sweep.samples' = {n}: Sobol' sampling needs a power of 2 (try {low} or {low * 2})", path, "sweep.samples")
    seed = spec.experiment.base_seed
    try:
        if sweep.method == "lhs":
            points = sampling.lhs(dims, n, seed)
        elif sweep.method == "sobol":
            points = sampling.sobol(dims, n, sweep.second_order, seed)
        else:
            for d in dims:
                why = sampling.morris_grid_problem(d, sweep.levels)
                if why:
                    key = f'sweep.parameters."{d.path}"'
                    raise ExperimentError(f"{path}: key '{key}': {why}", path, key)
            points = sampling.morris(dims, n, sweep.levels, seed)
    except sampling.MissingSALib as exc:
        raise ExperimentError(f"{path}: key 'sweep.method' = {sweep.method!r}: {exc}", path, "sweep.method") from None
    info = {
        "method": sweep.method,
        "samples": n,
        "parameters": {d.path: {"low": d.low, "high": d.high, "integer": d.integer} for d in dims},
        "problem": sampling.salib_problem(dims, widen_integers=sweep.method != "morris"),
    }
    if sweep.method == "sobol":
        info["second_order"] = sweep.second_order
    if sweep.method == "morris":
        info["levels"] = sweep.levels
    return info, points


def _grid_values(dotted_path: str, value: Any, path: Path) -> list:
    key = f'sweep.parameters."{dotted_path}"'
    if not isinstance(value, list):
        raise ExperimentError(f"{path}: key '{key}': the grid method takes a list of values, e.g. [0.1, 0.2] (got {value!r})", path, key)
    if not value:
        raise ExperimentError(f"{path}: key '{key}': the list of values is empty", path, key)
    repeated = [v for i, v in enumerate(value) if v in value[:i]]
    if repeated:
        raise ExperimentError(f"{path}: key '{key}': {repeated[0]!r} is listed twice", path, key)
    return value


def _dimension(dotted_path: str, value: Any, info, path: Path) -> sampling.Dimension:
    key = f'sweep.parameters."{dotted_path}"'
    if not isinstance(value, dict):
        raise ExperimentError(f"{path}: key '{key}': sampled designs take bounds, e.g. {{ low = 0.1, high = 0.5 }}, or {{}} for the registry's range (got {value!r})", path, key)
    if info.kind not in ("int", "float"):
        raise ExperimentError(f"{path}: key '{key}': '{dotted_path}' is a {info.kind} parameter; only numbers can be sampled (use the grid method)", path, key)
    bounds = {}
    for end, registry_value in (("low", info.low), ("high", info.high)):
        given = value.get(end)
        if given is not None and (isinstance(given, bool) or not isinstance(given, (int, float))):
            raise ExperimentError(f"{path}: key '{key}.{end}' must be a number (got {given!r})", path, f"{key}.{end}")
        if given is None and registry_value is None:
            raise ExperimentError(f"{path}: key '{key}': the registry gives no {end} bound for '{dotted_path}'; write one, e.g. {{ {end} = ... }}", path, key)
        bounds[end] = float(registry_value if given is None else given)
    lo_ok = info.low is None or bounds["low"] >= info.low
    hi_ok = info.high is None or bounds["high"] <= info.high
    if not (lo_ok and hi_ok):
        raise ExperimentError(f"{path}: key '{key}': bounds [{bounds['low']:g}, {bounds['high']:g}] leave the parameter's valid range {info.range_text}", path, key)
    if not bounds["low"] < bounds["high"]:
        raise ExperimentError(f"{path}: key '{key}': low ({bounds['low']:g}) must be below high ({bounds['high']:g})", path, key)
    if info.kind == "int" and math.ceil(bounds["low"]) > math.floor(bounds["high"]):
        raise ExperimentError(f"{path}: key '{key}': '{dotted_path}' takes whole numbers and none lies in [{bounds['low']:g}, {bounds['high']:g}]", path, key)
    return sampling.Dimension(dotted_path, bounds["low"], bounds["high"], integer=info.kind == "int")


def _sweep_warnings(points: list[dict[str, Any]], scenarios: list[ScenarioEntry], path: Path) -> list[str]:
    """Sweeping a switched-off mechanism's parameters changes nothing: an error where it
    is off in every scenario (the sweep would measure noise), else a warning."""
    out = []
    for dotted_path in points[0]:
        off = [(s.name, owner) for s in scenarios if (owner := s.config.switched_off_owner(dotted_path))]
        if not off or f"mechanisms.{off[0][1]}.enabled" in points[0]:
            continue  # nothing switched off, or the sweep itself switches the mechanism
        owner = off[0][1]
        if len(off) == len(scenarios):
            key = f'sweep.parameters."{dotted_path}"'
            raise ExperimentError(f"{path}: key '{key}': mechanism '{owner}' is off in every scenario of this experiment, so '{dotted_path}' changes nothing; "
                                  f"switch it on (mechanisms.{owner}.enabled = true under [overrides]) or sweep another parameter", path, key)
        out.append(f"'{dotted_path}' changes nothing in {', '.join(name for name, _ in off)}: mechanism '{owner}' is off there")
    return out


def _resolve(path: Path, scenarios: list[ScenarioEntry], points: list[dict[str, Any]]) -> dict[tuple[str, int], Scenario]:
    """Every (scenario, point) as a validated, fully resolved scenario."""
    configs = {}
    for entry in scenarios:
        for index, point in enumerate(points):
            try:
                config = with_overrides(entry.config, point) if point else entry.config
            except ScenarioError as exc:
                raise _scenario_problem(exc, path, entry.written, point, "sweep.parameters") from None
            configs[(entry.name, index)] = config
    return configs


# ------------------------------------------------------------------ metrics
TINY_WORLD = {"world.communities": 1, "world.zones": 1, "world.buildings_per_zone": 2, "world.residents": 50}
"""Small enough that building it and running a day takes milliseconds."""


def summary_metrics(scenario) -> tuple[str, ...] | None:
    """Every summary metric a run of ``scenario`` reports (the core's and its enabled mechanisms').

    Rather than keep a second list, the scenario is built on a tiny world and
    run for a day: the names are those of a real run by construction. None if
    it cannot be built there (the runs themselves will say what is wrong).
    """
    from sim.governance import GovernanceModel
    from sim.scenario import with_overrides

    try:
        model = GovernanceModel(scenario=with_overrides(scenario, TINY_WORLD), rng=0)
        model.step()
        return tuple(model.summary())
    except Exception:  # noqa: BLE001 - a probe only; a real run reports its own errors
        return None


@cache
def known_metrics() -> tuple[str, ...]:
    """Summary metric names of the core and of every mechanism."""
    from sim.mechanisms import available
    from sim.scenario import Scenario, with_overrides

    every = with_overrides(Scenario(), {f"mechanisms.{name}.enabled": True for name in available()})
    return summary_metrics(every)


def reports(config: dict[str, Any], metric: str) -> bool:
    """Whether a run of the resolved ``config`` reports ``metric``: a mechanism's metrics need it switched on."""
    from sim.mechanisms import available

    owner = metric.split(".")[0] if "." in metric else None
    return owner not in available() or bool(config["mechanisms"][owner]["enabled"])


def _check_metrics(metrics: list[str], path: Path, table: str = "experiment.metrics") -> list[str]:
    known = known_metrics()
    for index, metric in enumerate(metrics):
        if metric in known:
            continue
        key = f"{table}[{index}]" if table == "experiment.metrics" else f'{table}."{metric}"'
        raise ExperimentError(f"{path}: key '{key}': no summary metric {metric!r}{did_you_mean(metric, known)}", path, key)
    return list(metrics)


def _check_labels(labels: dict[str, str], labels_zh: dict[str, str], path: Path, scenarios: list[ScenarioEntry]) -> None:
    """Each label names a scenario of this experiment, and no label makes two scenarios look alike
    in either language's report, counting what the report calls an unlabelled one (a shipped
    scenario's built-in name, its own name with spaces) and a Chinese report's fall-back to ``labels``."""
    from sim.analysis import text as T  # words only: no model, no plotting

    names = [entry.name for entry in scenarios]
    for table, own in (("experiment.labels", labels), ("experiment.labels_zh", labels_zh)):
        for name in own:
            if name not in names:
                key = f'{table}."{name}"'
                raise ExperimentError(f"{path}: key '{key}': no scenario of this experiment is called {name!r}{did_you_mean(name, names)} "
                                      f"(scenarios: {', '.join(names)})", path, key)

    def given(name: str, lang: str) -> str | None:
        """The key that names ``name`` in a report in ``lang``; None where the report uses a name of its own."""
        if lang == "zh" and name in labels_zh:
            return f'experiment.labels_zh."{name}"'
        return f'experiment.labels."{name}"' if name in labels and labels[name] == T.scenario_label(name, lang) else None

    with T.for_experiment({"labels": labels, "labels_zh": labels_zh}):
        for lang in ("en", "zh"):
            called: dict[str, str] = {}
            for name in names:
                label = T.scenario_label(name, lang)
                other = called.setdefault(label.casefold(), name)
                if other == name:
                    continue
                ours, theirs = (name, other) if given(name, lang) else (other, name)
                key = given(ours, lang)
                if key is None:  # two scenarios called alike by no label of this file
                    continue
                raise ExperimentError(f"{path}: key '{key}': {theirs!r} is called {label!r} too"
                                      f"{' in a Chinese report' if lang == 'zh' else ''}; the report could not tell the two apart", path, key)


# ------------------------------------------------------------------ estimate
def estimate_seconds(plan: Plan, sample_days: int = 5, only: set[str] | None = None) -> dict[str, float]:
    """Seconds one run of each scenario (of those named in ``only``) takes: its build plus ``days`` x a timed model-day.

    Only the first point of each scenario is timed; later days can cost more
    than the first few as problems pile up, so read it as a rough guide.
    ``only`` spares the scenarios with nothing left to run: at district
    scale each one timed costs seconds of building its world.
    """
    from sim.governance import GovernanceModel

    per_run = {}
    for entry in plan.scenarios:
        if only is not None and entry.name not in only:
            continue
        config = Scenario.model_validate(plan.configs[(entry.name, 0)])
        started = time.perf_counter()
        model = GovernanceModel(scenario=config, rng=plan.runs[0].seed)
        built = time.perf_counter()
        model.step()  # the first day pays for one-off set-up work: leave it out
        days = max(1, min(sample_days, plan.days - 1))
        timed = time.perf_counter()
        for _ in range(days):
            model.step()
        per_day = (time.perf_counter() - timed) / days
        per_run[entry.name] = (built - started) + per_day * plan.days
    return per_run
