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
from sim.experiment.store import FolderLock, StoreError, now, write_json
from sim.experiment.worker import RunTask, simulate

from .outputs import INTERRUPTED, TRIALS_FILE, convergence_plot, figure_lang, fit_notes, write_scenario, write_trials
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
