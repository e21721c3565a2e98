"""The calibration study: optuna in SQLite, so an interrupted study resumes.

Every trial runs the scenario ``replications`` times with the seeds an
experiment would use (common random numbers: trials differ by their
parameters, not by their draws) and scores the mean of each target metric.
At the end ``calibrated.toml`` (a scenario file that ``extends`` the
calibrated one) and ``figures/convergence.png``/``.svg`` are written.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.experiment.plan import seed_for
from sim.experiment.store import now, write_atomic, write_json
from sim.experiment.worker import RunTask, simulate

from .spec import Calibration


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ImportError("calibration needs optuna, an optional dependency: pip install 'govsim[calibration]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def evaluate(calibration: Calibration, values: dict[str, Any], map_runs: Callable = map) -> dict[str, float]:
    """Mean of every target metric over the replications of one parameter set."""
    from sim.scenario import load_scenario

    config = load_scenario(calibration.scenario_file, {**calibration.overrides, **values}).model_dump(mode="json")
    settings = calibration.settings
    tasks = [RunTask(f"trial-{r}", config, seed_for(settings.base_seed, r), settings.days) for r in range(settings.replications)]
    outcomes = list(map_runs(simulate, tasks))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise RuntimeError(f"a run failed with {values}:\n{failed[0].error}")
    return {m: sum(o.summary.get(m, math.nan) for o in outcomes) / len(outcomes) for m in calibration.targets}


def calibrate(calibration: Calibration, root: Path, workers: int = 1, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the missing trials of the study, then write calibrated.toml and the plot."""
    optuna = _optuna()
    folder = Path(root) / calibration.name
    folder.mkdir(parents=True, exist_ok=True)
    settings = calibration.settings
    sampler = optuna.samplers.TPESampler(seed=settings.base_seed) if settings.sampler == "tpe" else optuna.samplers.RandomSampler(seed=settings.base_seed)
    study = optuna.create_study(
        study_name=calibration.name,
        storage=f"sqlite:///{(folder / 'study.sqlite').resolve()}",
        load_if_exists=True,
        direction="minimize",
        sampler=sampler,
    )
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    todo = max(0, settings.trials - len(finished))
    echo(f"calibration {calibration.name}: {len(finished)} trials stored, {todo} to run ({settings.replications} runs of {settings.days} days each)")

    def objective(trial) -> float:
        values = {}
        for d in calibration.dimensions:
            values[d.path] = trial.suggest_int(d.path, int(d.low), int(d.high)) if d.integer else trial.suggest_float(d.path, d.low, d.high)
        means = evaluate(calibration, values, map_runs)
        for metric, mean in means.items():
            trial.set_user_attr(metric, mean)
        loss = calibration.loss(means)
        echo(f"  trial {trial.number}: loss {loss:.4g}  " + ", ".join(f"{m} {v:.4g}" for m, v in means.items()))
        return loss

    pool = None
    map_runs: Callable = map
    if workers > 1 and settings.replications > 1:
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing

        pool = ProcessPoolExecutor(min(workers, settings.replications), mp_context=multiprocessing.get_context("spawn"))
        map_runs = pool.map
    try:
        if todo:
            study.optimize(objective, n_trials=todo, catch=(RuntimeError,))
    except KeyboardInterrupt:
        echo("interrupted; finished trials are stored in study.sqlite. Run the same command again to continue")
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    best = study.best_trial
    result = {
        "calibration": calibration.name,
        "file": str(calibration.file),
        "scenario": str(calibration.scenario_file),
        "trials": len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]),
        "best_trial": best.number,
        "best_loss": best.value,
        "best_parameters": best.params,
        "best_metrics": {m: best.user_attrs.get(m) for m in calibration.targets},
        "targets": {m: t.model_dump() for m, t in calibration.targets.items()},
        "finished": now(),
    }
    write_json(folder / "calibration.json", result)
    write_scenario(calibration, best.params, folder / "calibrated.toml", result)
    convergence_plot([t.value for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE], folder / "figures" / "convergence", calibration.name)
    return result


# ---------------------------------------------------------------- outputs
def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_scenario(calibration: Calibration, best: dict[str, Any], path: Path, result: dict[str, Any]) -> None:
    """A scenario file that extends the calibrated one with the overrides and the best values."""
    from sim.scenario import load_scenario

    base = load_scenario(calibration.scenario_file)
    extends = os.path.relpath(calibration.scenario_file, path.parent.resolve()).replace(os.sep, "/")
    lines = [
        f"# Written by `govsim calibrate {calibration.file}` on {result['finished']}:",
        f"# best of {result['trials']} trials (trial {result['best_trial']}, loss {result['best_loss']:.4g}).",
    ]
    for metric, target in calibration.targets.items():
        got = result["best_metrics"].get(metric)
        shown = f"{got:.4g}" if isinstance(got, float) else "n/a"
        lines.append(f"# {metric}: target {target.value:g}, simulated {shown}" + (f"  ({target.source})" if target.source else ""))
    lines += [f"extends = {toml_value(extends)}", f"name = {toml_value(base.name + '_calibrated')}", f"description = {toml_value('Calibrated: ' + base.description)}", ""]
    values = {**calibration.overrides, **best}
    tables: dict[str, list[str]] = {}
    for dotted_path, value in values.items():
        table, _, key = dotted_path.rpartition(".")
        note = "  # calibrated" if dotted_path in best else "  # from the calibration's [overrides]"
        tables.setdefault(table, []).append(f"{key} = {toml_value(value)}{note}")
    for table, entries in tables.items():
        lines.append(f"[{table}]" if table else "")
        lines.extend(entries)
        lines.append("")
    text = "\n".join(lines)
    write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def convergence_plot(losses: list[float], stem: Path, name: str) -> Path:
    """Loss of every trial (dots) and the best so far (line), log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best, running = [], math.inf
    for value in losses:
        running = min(running, value)
        best.append(running)
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    ax.plot(range(len(losses)), losses, "o", ms=3.5, color="#9ecae1", label="trial")
    ax.step(range(len(best)), best, where="post", color="#1f77b4", label="best so far")
    if all(v > 0 for v in losses if math.isfinite(v)) and losses:
        ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("loss: Σ weight × ((simulated − target) / tolerance)²")
    ax.set_title(f"Calibration {name}: convergence")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=130)
    fig.savefig(stem.with_suffix(".svg"))
    plt.close(fig)
    return png
