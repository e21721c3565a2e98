"""The calibration study: optuna in SQLite, so an interrupted study resumes.

Every trial runs the scenario ``replications`` times with the seeds an
experiment would use (common random numbers: trials differ by their
parameters, not by their draws) and scores the mean of each target metric.
At the end ``calibrated.toml`` (a scenario file that ``extends`` the
calibrated one), ``calibration.json``, ``trials.csv`` (every trial, for
readers without optuna) and ``figures/<lang>/convergence.png``/``.svg`` are
written.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.experiment.plan import seed_for
from sim.experiment.store import FolderLock, StoreError, now, write_atomic, write_json
from sim.experiment.worker import RunTask, simulate

from .spec import Calibration, CalibrationError


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ImportError("calibration needs optuna, an optional dependency: pip install 'govsim[calibration]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def evaluate(calibration: Calibration, values: dict[str, Any], map_runs: Callable = map) -> dict[str, float]:
    """Mean of every target metric over the replications of one parameter set.

    Raises RuntimeError if a run fails, or if the scenario refuses the
    values together (a rule across parameters, such as zones >= communities,
    that the bounds' corners passed): the study skips that trial.
    """
    from sim.scenario import ScenarioError, load_scenario

    try:
        config = load_scenario(calibration.scenario_file, {**calibration.overrides, **values}).model_dump(mode="json")
    except ScenarioError as exc:  # bounds that each pass can still combine into a point the scenario refuses
        raise RuntimeError(f"the scenario refuses {values}:\n{exc}") from None
    settings = calibration.settings
    tasks = [RunTask(f"trial-{r}", config, seed_for(settings.base_seed, r), settings.days) for r in range(settings.replications)]
    outcomes = list(map_runs(simulate, tasks))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise RuntimeError(f"a run failed with {values}:\n{failed[0].error}")
    return {m: sum(o.summary.get(m, math.nan) for o in outcomes) / len(outcomes) for m in calibration.targets}


def calibrate(calibration: Calibration, root: Path, workers: int = 1, echo: Callable[[str], None] = print, lang: str = "zh") -> dict[str, Any]:
    """Run the missing trials of the study, then write calibrated.toml, trials.csv and the plot
    (``figures/<lang>/convergence.png``, in Chinese or English as the reports).

    Raises CalibrationError, before any trial runs, if the results folder
    cannot be used: not writable, not a calibration folder, holding trials
    scored under other settings (see :func:`fingerprint`), or in use by
    another session.
    """
    optuna = _optuna()
    folder = Path(root) / calibration.name
    with ctrl_c_held():  # reads and writes the study (see ctrl_c_held)
        study = open_study(optuna, calibration, folder)
    try:  # two sessions on one study would each run every missing trial, overshooting `trials`
        lock = FolderLock(folder / LOCK_FILE, folder)
    except StoreError:
        raise CalibrationError(f"{calibration.file}: another govsim calibrate is running on {folder}/ right now; wait for it, or choose another --out", calibration.file) from None
    try:
        return _run_trials(optuna, calibration, folder, study, workers, echo, lang)
    finally:
        lock.release()


def _run_trials(optuna, calibration: Calibration, folder: Path, study, workers: int, echo: Callable[[str], None], lang: str) -> dict[str, Any]:
    settings = calibration.settings
    complete = optuna.trial.TrialState.COMPLETE
    finished = [t for t in study.trials if t.state == complete]
    todo = max(0, settings.trials - len(finished))
    drawn = sum(1 for t in study.trials if counts_for_sampler(optuna, t))
    echo(f"calibration {calibration.name}: {len(finished)} trials stored, {todo} to run ({settings.replications} runs of {settings.days} days each)")

    def suggest(trial) -> dict[str, Any]:
        values = {}
        for d in calibration.dimensions:
            values[d.path] = trial.suggest_int(d.path, math.ceil(d.low), math.floor(d.high)) if d.integer else trial.suggest_float(d.path, d.low, d.high)
        return values

    pool = _start_pool(workers, settings.replications)
    map_runs: Callable = pool.map if pool is not None else map
    interrupted = False
    try:
        # Ask and tell, not study.optimize: optuna logs a trial that raises
        # (Ctrl-C included) with its traceback; here a run's failure is one
        # line and Ctrl-C reaches the caller untouched. Every write to the
        # study holds Ctrl-C until it is done (ctrl_c_held).
        for _ in range(todo):
            with ctrl_c_held():
                # A sampler seeded afresh for every trial, from the base seed and the
                # trials drawn before it: a resumed study goes on where it stopped
                # instead of drawing its first points again (a sampler's random
                # state is not stored in the study), and an interrupted and resumed
                # study draws the same points as one that ran straight through.
                study.sampler = make_sampler(optuna, settings.sampler, sampler_seed(settings.base_seed, drawn))
                trial = study.ask()
                values = suggest(trial)
            try:
                means = evaluate(calibration, values, map_runs)
            except RuntimeError as exc:  # a run failed: skip this trial, keep its error in the study
                drawn += 1
                with ctrl_c_held():
                    _tell_failed(optuna, study, trial, str(exc))
                last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
                echo(f"  trial {trial.number}: failed, skipped ({last}); the error is stored in study.sqlite")
                continue
            except BaseException:  # Ctrl-C (or a bug): no trial is left 'running' in the study
                interrupted = True
                with ctrl_c_held():
                    _tell_failed(optuna, study, trial, INTERRUPTED)
                raise
            loss = calibration.loss(means)
            with ctrl_c_held():
                for metric, mean in means.items():
                    trial.set_user_attr(metric, mean)
                study.tell(trial, loss)
            drawn += 1
            echo(f"  trial {trial.number}: loss {loss:.4g}  " + ", ".join(f"{m} {v:.4g}" for m, v in means.items())
                 + "  at " + ", ".join(f"{k} = {v:.4g}" for k, v in values.items()))
    finally:
        _stop_pool(pool, interrupted)
    finished = [t for t in study.trials if t.state == complete]
    if not finished:
        raise CalibrationError(f"{calibration.file}: no trial of calibration {calibration.name!r} finished (every one had a failed run, or values the scenario refuses; see above); nothing was written")
    best = min(finished, key=lambda t: (t.value, t.number))
    if not math.isfinite(best.value):
        missing = [m for m in calibration.targets if not math.isfinite(best.user_attrs.get(m, math.nan))]
        why = f"no trial gave every target a value (a NaN mean for {', '.join(missing)})" if missing else "every trial's loss overflowed"
        warnings = [f"{why}; the best loss is inf, so the 'best' parameters mean nothing"]
    else:
        warnings = fit_warnings(calibration, best.params, {m: best.user_attrs.get(m, math.nan) for m in calibration.targets})
    for warning in warnings:
        echo(f"warning: {warning}")
    lang = figure_lang(lang, echo)
    figure = Path("figures") / lang / "convergence.png"
    result = {
        "calibration": calibration.name,
        "file": str(calibration.file),
        "scenario": str(calibration.scenario_file),
        "days": settings.days,
        "replications": settings.replications,
        "base_seed": settings.base_seed,
        "bounds": {d.path: {"low": d.low, "high": d.high} for d in calibration.dimensions},
        "trials": len(finished),
        "best_trial": best.number,
        "best_loss": best.value,
        "best_parameters": best.params,
        "best_metrics": {m: best.user_attrs.get(m, math.nan) for m in calibration.targets},
        "targets": {m: t.model_dump() for m, t in calibration.targets.items()},
        "warnings": warnings,
        "figure": figure.as_posix(),  # relative to the results folder
        "finished": now(),
    }
    write_json(folder / "calibration.json", result)
    write_trials(calibration, study.trials, folder / TRIALS_FILE)
    write_scenario(calibration, best.params, folder / "calibrated.toml", result)
    convergence_plot([t.value for t in finished], folder / figure.with_suffix(""), calibration.name,
                     numbers=[t.number for t in finished], lang=lang, notes=fit_notes(calibration, result, lang),
                     one_off=sum(t.weight for t in calibration.targets.values()))
    return result


EDGE = 0.01  # a best value within this share of its range from a bound is "at the bound"


def fit_warnings(calibration: Calibration, params: dict[str, Any], metrics: dict[str, float]) -> list[str]:
    """What a reader of the best fit must know: targets it misses by more than their tolerance, values at a bound."""
    out = []
    for metric, target in calibration.targets.items():
        if target.weight == 0:  # watched, not fitted
            continue
        miss = abs(metrics[metric] - target.value) / calibration.scale(metric)
        if miss > 1:
            scale = "tolerance" if target.tolerance is not None else "|target| (no tolerance given)"
            out.append(f"the best trial misses {metric}: {metrics[metric]:.4g} against a target of {target.value:g}, {miss:.3g} x its {scale}")
    for d in calibration.dimensions:
        value, margin = params[d.path], EDGE * (d.high - d.low)
        for end, bound in (("low", d.low), ("high", d.high)):
            if abs(value - bound) <= margin:
                out.append(f"the best {d.path} = {value:.4g} lies at its {end} bound {bound:g}: the best fit may lie beyond it (widen parameters.\"{d.path}\" if its valid range allows)")
    return out


INTERRUPTED = "interrupted"


@contextmanager
def ctrl_c_held():
    """Hold Ctrl-C until the block (a write to the study) is done, then deliver it.

    Ctrl-C inside SQLAlchemy's reading or writing of study.sqlite made it
    print tracebacks of its own ('Error closing cursor') and could leave a
    finished trial untold (*measured*: 3 of 60 Ctrl-Cs at random moments of
    a study of fast trials). The runs, which take nearly all the time, stay
    interruptible at once.
    """
    if threading.current_thread() is not threading.main_thread():  # signal handlers live in the main thread
        yield
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        if callable(previous):
            previous(signal.SIGINT, None)  # Python's own handler raises KeyboardInterrupt
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt


def counts_for_sampler(optuna, trial) -> bool:
    """Whether a stored trial counts among the draws of the study's sampler.

    Finished trials and those a run failed in count; a trial interrupted
    (Ctrl-C) or left running by a killed session does not: it is drawn again.
    """
    state = optuna.trial.TrialState
    return trial.state == state.COMPLETE or (trial.state == state.FAIL and trial.user_attrs.get("error") != INTERRUPTED)


def sampler_seed(base_seed: int, drawn: int) -> int:
    """The seed of the sampler that draws the study's next trial, after ``drawn`` trials."""
    import numpy as np

    return int(np.random.SeedSequence(base_seed, spawn_key=(SAMPLER_STREAM, drawn)).generate_state(1, dtype=np.uint32)[0])


SAMPLER_STREAM = 0x5A4D  # keeps the samplers' seeds apart from the runs' (seed_for)


def make_sampler(optuna, kind: str, seed: int):
    return optuna.samplers.TPESampler(seed=seed) if kind == "tpe" else optuna.samplers.RandomSampler(seed=seed)


def _tell_failed(optuna, study, trial, why: str) -> None:
    try:
        trial.set_user_attr("error", why)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    except Exception:  # noqa: BLE001 - best effort; a trial left 'running' is ignored on resume
        pass


def _start_pool(workers: int, replications: int):
    """Processes for the replications of a trial, or None to run them here.

    The workers ignore Ctrl-C (the main process stops them), as in batches,
    from the moment they start (QuietSpawnContext); otherwise every one of
    them would print its own traceback.
    """
    if workers <= 1 or replications <= 1:
        return None
    from concurrent.futures import ProcessPoolExecutor

    from sim.experiment.executors import QuietSpawnContext, _init_worker

    return ProcessPoolExecutor(min(workers, replications), mp_context=QuietSpawnContext(), initializer=_init_worker, initargs=(os.getpid(),))


def _stop_pool(pool, interrupted: bool) -> None:
    if pool is None:
        return
    if interrupted:  # stop the runs in flight now rather than wait for them
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.exitcode is None:
                process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- the study and its folder
STUDY_FILE = "study.sqlite"
LOCK_FILE = ".lock"  # held while a session runs trials (see calibrate)
FINGERPRINT = "govsim_fingerprint"


def fingerprint(calibration: Calibration) -> dict[str, Any]:
    """Everything that decides a trial's loss, as stored with the study.

    The resolved scenario (overrides included; the calibrated parameters, its
    name and description left out) enters as a hash, and so does the model's
    code, as in a batch's run keys. The trial budget and the sampler are left
    out: they decide which trials run, not what a trial's loss is.
    """
    from sim import model_version
    from sim.scenario import load_scenario

    config = load_scenario(calibration.scenario_file, calibration.overrides).model_dump(mode="json")
    for key in ("name", "description"):
        config.pop(key, None)
    for d in calibration.dimensions:
        *parents, last = d.path.split(".")
        table = config
        for part in parents:
            table = table.get(part, {})
        table.pop(last, None)
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    settings = calibration.settings
    data = {
        "model": model_version(),
        "scenario": hashlib.sha256(text.encode()).hexdigest()[:16],
        "days": settings.days,
        "replications": settings.replications,
        "base_seed": settings.base_seed,
        "parameters": {d.path: {"low": d.low, "high": d.high, "integer": d.integer} for d in calibration.dimensions},
        "targets": {m: {"value": t.value, "tolerance": t.tolerance, "weight": t.weight} for m, t in calibration.targets.items()},
    }
    return json.loads(json.dumps(data))  # as it reads back from the study


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def differences(stored: dict[str, Any], current: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, words) for every setting that changed, in the file's terms."""
    old, new = _flat(stored), _flat(current)
    out = []
    for key in [*new, *(k for k in old if k not in new)]:
        if old.get(key, ...) == new.get(key, ...):
            continue
        if key == "scenario":
            out.append(("calibration.scenario", "the scenario (its file, the files it extends, or [overrides])"))
        elif key == "model":
            out.append(("model", f"the model's code (govsim {old.get(key)} -> {new.get(key)})"))
        elif key not in old or key not in new:
            head = key.rsplit(".", 1)[0] if key.startswith(("targets.", "parameters.")) else key
            word = "added" if key not in old else "removed"
            if (head, f"{head} {word}") not in out:
                out.append((head, f"{head} {word}"))
        else:
            name = key if key.startswith(("targets.", "parameters.")) else f"calibration.{key}"
            out.append((name, f"{name} {old[key]!r} -> {new[key]!r}"))
    return out


def _check_folder(calibration: Calibration, folder: Path) -> None:
    """The results folder can be written and is ours (or new, or empty); creates it."""
    file = calibration.file
    choose = "choose another --out or calibration name (key 'calibration.name')"
    try:
        if folder.exists() and not folder.is_dir():
            raise CalibrationError(f"{file}: cannot write the results to {folder}/: it is a file, not a folder; {choose}", file)
        if folder.is_dir() and not (folder / STUDY_FILE).is_file() and any(folder.iterdir()):
            raise CalibrationError(f"{file}: {folder}/ exists and is not a govsim calibration folder (it has no {STUDY_FILE}); {choose}", file)
        blocker = next((p for p in folder.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise CalibrationError(f"{file}: cannot create the results folder {folder}/: {blocker} is a file, not a folder; choose another --out", file)
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise CalibrationError(f"{file}: cannot write the results to {folder}/ ({why}); choose another --out", file) from None


def open_study(optuna, calibration: Calibration, folder: Path):
    """The study in ``folder``, new or resumed; refuses one scored under other settings."""
    _check_folder(calibration, folder)
    settings = calibration.settings
    sampler = make_sampler(optuna, settings.sampler, settings.base_seed)  # replaced before each trial (see calibrate)
    path = folder / STUDY_FILE
    try:
        study = optuna.create_study(study_name=calibration.name, storage=f"sqlite:///{path.resolve()}", load_if_exists=True, direction="minimize", sampler=sampler)
        trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        stored = study.user_attrs.get(FINGERPRINT)
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file; say which
        raise _unreadable(calibration, folder, exc) from None
    current = fingerprint(calibration)
    _refuse_other_settings(calibration, folder, len(trials), stored, current)
    if stored != current:  # a new study, or one without a finished trial
        study.set_user_attr(FINGERPRINT, current)
    return study


def stored_trials(optuna, calibration: Calibration, folder: Path) -> int:
    """For a dry run: the finished trials stored in ``folder`` (0 if none), refusing, as the run
    would, a study scored under other settings; writes nothing."""
    path = folder / STUDY_FILE
    if not path.is_file():
        return 0
    try:
        study = optuna.load_study(study_name=calibration.name, storage=f"sqlite:///{path.resolve()}")
        trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        stored = study.user_attrs.get(FINGERPRINT)
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file; say which
        raise _unreadable(calibration, folder, exc) from None
    _refuse_other_settings(calibration, folder, len(trials), stored, fingerprint(calibration))
    return len(trials)


def _unreadable(calibration: Calibration, folder: Path, exc: Exception) -> CalibrationError:
    """The error for a study file that cannot be opened (damaged, or not optuna's)."""
    why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return CalibrationError(f"{calibration.file}: {folder / STUDY_FILE} cannot be opened as a calibration study ({why}); "
                            f"delete {folder}/ to start afresh, or choose another --out", calibration.file)


def _refuse_other_settings(calibration: Calibration, folder: Path, trials: int, stored: dict | None, current: dict) -> None:
    """CalibrationError if ``trials`` finished trials were scored under settings other than ``current``."""
    if trials and stored != current:
        fresh = f"Delete {folder}/ to start afresh, or give this calibration another name (key 'calibration.name') or another --out to keep both."
        if stored is None:
            raise CalibrationError(
                f"{calibration.file}: {folder}/ holds {trials} trials from an earlier govsim that did not record the settings they were scored under, "
                f"so they cannot be checked against this file. {fresh}",
                calibration.file,
            )
        changes = differences(stored, current)
        shown = "; ".join(words for _, words in changes[:6]) + ("; ..." if len(changes) > 6 else "")
        raise CalibrationError(
            f"{calibration.file}: {folder}/ holds {trials} trials scored under other settings ({shown}): "
            f"their losses do not apply to this file. {fresh}",
            calibration.file,
            changes[0][0] if changes else None,
        )


# ---------------------------------------------------------------- outputs
TRIALS_FILE = "trials.csv"


def trial_rows(calibration: Calibration, trials: list) -> list[dict[str, Any]]:
    """One row per stored trial, numbered as printed: its state, loss, values and simulated means.

    The same table as study.sqlite, for a reader without optuna: a spreadsheet,
    pandas or R. The state is finished, failed (a run failed or the scenario
    refused the values; error says why), interrupted (Ctrl-C) or running (a
    session killed mid-trial).
    """
    rows = []
    for t in trials:
        error = str(t.user_attrs.get("error", ""))
        state = {"COMPLETE": "finished", "RUNNING": "running"}.get(t.state.name, "interrupted" if error == INTERRUPTED else "failed")
        row: dict[str, Any] = {"trial": t.number, "state": state, "loss": t.value if state == "finished" else ""}
        row.update({d.path: t.params.get(d.path, "") for d in calibration.dimensions})
        row.update({m: t.user_attrs.get(m, "") for m in calibration.targets})
        lines = error.strip().splitlines()
        row["error"] = lines[-1] if lines and state == "failed" else ""
        rows.append(row)
    return rows


def write_trials(calibration: Calibration, trials: list, path: Path) -> None:
    import csv
    import io

    columns = ["trial", "state", "loss", *(d.path for d in calibration.dimensions), *calibration.targets, "error"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(trial_rows(calibration, trials))
    write_atomic(path, lambda fh: fh.write(buffer.getvalue().encode("utf-8")))


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table, e.g. one of [overrides]' shocks = [{ kind = "flood", ... }]
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key) else json.dumps(key, ensure_ascii=False)


NAMED = ("name", "description")  # top-level keys that calibrated.toml sets itself


def write_scenario(calibration: Calibration, best: dict[str, Any], path: Path, result: dict[str, Any]) -> None:
    """A scenario file that extends the calibrated one with the overrides and the best values.

    It resolves to the configuration the best trial ran (name and
    description aside). Top-level keys (``shocks``) come before any table, or
    TOML would read them as the last table's.
    """
    from sim.scenario import load_scenario

    base = load_scenario(calibration.scenario_file, {k: v for k, v in calibration.overrides.items() if k in NAMED})
    extends = os.path.relpath(calibration.scenario_file, path.parent.resolve()).replace(os.sep, "/")
    settings = calibration.settings
    lines = [
        f"# Written by `govsim calibrate {calibration.file}` on {result['finished']}:",
        f"# best of {result['trials']} trials (trial {result['best_trial']}, loss {result['best_loss']:.4g}),",
        f"# each {settings.replications} run(s) of {settings.days} days from base_seed {settings.base_seed}.",
    ]
    for metric, target in calibration.targets.items():
        got = result["best_metrics"].get(metric)
        shown = f"{got:.4g}" if isinstance(got, float) else "n/a"
        lines.append(f"# {metric}: target {target.value:g}, simulated {shown}" + (f"  ({target.source})" if target.source else ""))
    # The file travels without calibration.json: what the run warned stays with the values.
    lines += [f"# WARNING: {warning}" for warning in result["warnings"]]
    lines.append(f"# Use it: govsim run {path.as_posix()} --days {settings.days} (one run; each trial averaged {settings.replications}), or name it in an experiment's [[scenarios]].")
    lines += [f"extends = {toml_value(extends)}", f"name = {toml_value(base.name + '_calibrated')}", f"description = {toml_value('Calibrated: ' + base.description)}"]
    values = {k: v for k, v in {**calibration.overrides, **best}.items() if k not in NAMED}
    tables: dict[str, list[str]] = {}
    for dotted_path, value in values.items():
        table, _, key = dotted_path.rpartition(".")
        note = "  # calibrated" if dotted_path in best else "  # from the calibration's [overrides]"
        tables.setdefault(table, []).append(f"{toml_key(key)} = {toml_value(value)}{note}")
    lines.extend(tables.pop("", []))  # before the first [table]
    lines.append("")
    for table, entries in tables.items():
        lines.append(f"[{table}]")
        lines.extend(entries)
        lines.append("")
    text = "\n".join(lines)
    write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def figure_lang(lang: str, echo: Callable[[str], None]) -> str:
    """``lang``, or English where Chinese was asked for and no Chinese font is installed (as the report does)."""
    from sim.analysis.fonts import chinese_family

    if lang == "zh" and chinese_family() is None:
        echo("warning: no Chinese font was found (govsim's dependency pylopdf-fonts-zh-cn is not installed), so the chart is in English")
        return "en"
    return lang


# The chart's words, Chinese first, as in sim.analysis.text.WORDS.
WORDS: dict[str, tuple[str, str]] = {
    "title": ("校准 {name}：收敛过程（已完成 {n} 次试验{skipped}）", "Calibration {name}: convergence ({n} finished trials{skipped})"),
    "skipped": ("；{k} 次失败或中断，未显示", "; {k} failed or interrupted, not shown"),
    "trial": ("试验", "trial"),
    "x": ("试验序号", "trial"),
    "y": ("损失：Σ 权重 × ((模拟值 − 目标值) / 容差)²", "loss: Σ weight × ((simulated − target) / tolerance)²"),
    "best_so_far": ("当前最佳", "best so far"),
    "best": ("最佳：试验 {number}，损失 {loss}", "best: trial {number}, loss {loss}"),
    "one_off": ("各目标均偏离一个容差（损失 {loss}）", "every target one tolerance off (loss {loss})"),
    "values": ("最佳试验 {number} 的参数：{values}", "Best trial {number}: {values}"),
    "runs": ("每次试验：情景 {scenario} 运行 {n} 次 × {days} 天，取均值", "Each trial: the mean of {n} run(s) of {days} days of scenario {scenario}"),
    "target": ("{label}：模拟 {got}，目标 {value}{scale}", "{label}: simulated {got}, target {value}{scale}"),
    "tolerance": ("（容差 {tolerance}，偏离 {miss} 个容差）", " (tolerance {tolerance}; off by {miss} tolerances)"),
    "no_tolerance": ("（未给容差，偏离目标值的 {miss} 倍）", " (no tolerance; off by {miss} × |target|)"),
    "watched": ("（权重 0：仅观察，不参与拟合）", " (weight 0: watched, not fitted)"),
}


def word(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return zh if lang == "zh" else en


def fit_notes(calibration: Calibration, result: dict[str, Any], lang: str) -> list[str]:
    """The chart's footer: what was fitted, to what, and how close the best trial came."""
    from sim.analysis import text as T

    settings = calibration.settings
    values = "，".join if lang == "zh" else ", ".join
    notes = [
        word("values", lang).format(number=result["best_trial"], values=values(f"{k} = {v:.4g}" for k, v in result["best_parameters"].items())),
        word("runs", lang).format(scenario=calibration.scenario_file.stem, n=settings.replications, days=settings.days),
    ]
    for metric, target in calibration.targets.items():
        got = result["best_metrics"].get(metric, math.nan)
        miss = abs(got - target.value) / calibration.scale(metric) if math.isfinite(got) else math.nan
        if target.weight == 0:
            scale = word("watched", lang)
        elif not math.isfinite(miss):  # no value to measure the miss by
            scale = ""
        elif target.tolerance is not None:
            scale = word("tolerance", lang).format(tolerance=T.value_text(metric, target.tolerance, lang), miss=f"{miss:.2g}")
        else:
            scale = word("no_tolerance", lang).format(miss=f"{miss:.2g}")
        label = T.capital(T.metric_label(metric, lang)) if lang == "en" else T.metric_label(metric, lang)
        shown = T.value_text(metric, got, lang) if math.isfinite(got) else "–"
        notes.append(word("target", lang).format(label=label, got=shown, value=T.value_text(metric, target.value, lang), scale=scale))
    return notes


def convergence_figure(losses: list[float], name: str, numbers: list[int] | None = None, lang: str = "en", notes: list[str] = (), one_off: float | None = None):
    """The figure of :func:`convergence_plot`; x is the trial's number, as printed and in calibration.json.

    ``notes`` go under the chart (fit_notes); ``one_off`` is the loss of a
    trial that misses every target by one tolerance (the sum of the weights),
    drawn as a dashed line so that a loss reads as near or far.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from sim.analysis.fonts import rc_for

    numbers = list(range(len(losses))) if numbers is None else list(numbers)
    best, running = [], math.inf
    for value in losses:
        running = min(running, value)
        best.append(running)
    with plt.rc_context(rc_for(lang)):
        fig, ax = plt.subplots(figsize=(8, 4.2 + 0.2 * len(notes)), layout="constrained")
        ax.plot(numbers, losses, "o", ms=3.5, color="#9ecae1", label=word("trial", lang))
        ax.step(numbers, best, where="post", color="#1f77b4", label=word("best_so_far", lang))
        finite = [(v, n) for v, n in zip(losses, numbers) if math.isfinite(v)]
        if finite:
            value, number = min(finite)
            ax.plot([number], [value], "*", ms=11, color="#d62728", label=word("best", lang).format(number=number, loss=f"{value:.3g}"))
        if one_off is not None and finite:
            ax.axhline(one_off, color="#555555", ls="--", lw=1, label=word("one_off", lang).format(loss=f"{one_off:g}"))
        # Log scale only where the losses span a decade or more: over a narrow span its ticks read '5.4×10¹'.
        if finite and min(v for v, _ in finite) > 0 and max(v for v, _ in finite) / min(v for v, _ in finite) >= 10:
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # trials are whole numbers
        ax.set_xlabel(word("x", lang))
        ax.set_ylabel(word("y", lang), fontsize=9)
        skipped = (numbers[-1] + 1 - len(numbers)) if numbers else 0
        ax.set_title(word("title", lang).format(name=name, n=len(losses), skipped=word("skipped", lang).format(k=skipped) if skipped else ""))
        ax.legend(frameon=False, fontsize=9)
        ax.grid(alpha=0.3)
        if notes:
            fig.supxlabel("\n".join(notes), fontsize=8, color="#333333", x=0.005, ha="left")
    return fig


def convergence_plot(losses: list[float], stem: Path, name: str, numbers: list[int] | None = None, lang: str = "en",
                     notes: list[str] = (), one_off: float | None = None) -> Path:
    """Loss of every finished trial (dots), the best so far (line) and the best (star), by trial number."""
    import matplotlib.pyplot as plt

    from sim.analysis.fonts import rc_for

    fig = convergence_figure(losses, name, numbers, lang, notes, one_off)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_suffix(".png")
    with plt.rc_context(rc_for(lang)):  # the SVG keeps its text as paths, drawn in the same font
        fig.savefig(png, dpi=130)
        fig.savefig(stem.with_suffix(".svg"))
    plt.close(fig)
    return png
