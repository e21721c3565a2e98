"""The ``govsim`` command."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import click

from sim.experiment.executors import EXECUTORS

RESULTS_ROOT = Path("results")
RUN_FILES = frozenset({"series.parquet", "summary.json"})
"""What a single run writes; a folder holding anything else is never replaced."""


def fail(message: str, status: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, object]:
    """``key=value`` pairs; values are read as TOML values (numbers, true, "text")."""
    import tomllib

    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--set expects KEY=VALUE, got {pair!r}")
        if key.strip() in out:  # which one was meant cannot be told
            fail(f"--set {key.strip()} is given twice; give it once")
        try:
            out[key.strip()] = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = raw.strip()
    return out


def format_value(name: str, value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if name == "satisfaction":  # a 0–100 score, as the report gives it, not a share
        return f"{100 * value:6.1f} /100"
    # turnover is quits a year per post, a rate as the report gives it; a mechanism's yearly cost is yuan like the total
    if "rate" in name or name.startswith("share") or name in ("resolved_within_1_day", "gridworker_turnover"):
        return f"{100 * value:6.1f} %"
    if name.endswith("cost") or "yuan" in name:
        return f"{value:,.0f} yuan"
    if isinstance(value, float) and not float(value).is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def summary_table(summary: dict[str, float]) -> str:
    width = max(len(k) for k in summary)
    return "\n".join(f"  {k:<{width}}  {format_value(k, v):>18}" for k, v in summary.items())


class Govsim(click.Group):
    """The command group; a Ctrl-C no command catches itself exits 130, as the commands' own do."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # e.g. while a command imports the model: click would say "Aborted!" and exit 1
            fail("interrupted", 130)


@click.group(cls=Govsim, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govsim")
def main() -> None:
    """govsim: simulate community governance mechanisms (社区治理) on Mesa."""


EXPERIMENT_ONLY = ("dry_run", "executor", "workers", "scheduler", "csv_export", "fresh", "commit_every", "make_report", "lang")
OPTION_NAMES = {"make_report": "--report/--no-report"}  # where the option is not the parameter's name
SCENARIO_ONLY = {"days": ("--days", "days in [experiment]"), "seed": ("--seed", "base_seed in [experiment]"), "overrides": ("--set", "an [overrides] table")}


def given(name: str) -> bool:
    """Whether an option was written on the command line (not just its default)."""
    source = click.get_current_context().get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


@main.command()
@click.argument("target", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 36500), help="Scenario: days to simulate.")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0), help="Scenario: random seed of the run (0 or more).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Scenario: change one parameter, e.g. --set gridworkers.admin_share=0.2 (repeatable).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Scenario: output folder [results/<name>-seed<seed>, <name> as the scenario file gives it]. Experiment: results root [results]; results go to <root>/<experiment name>/.")
@click.option("--dry-run", is_flag=True, help="Experiment: check the file, print the plan and an estimated time; run nothing (exit status 2 if stored runs not in the plan would make the run refuse).")
@click.option("--executor", type=click.Choice(EXECUTORS), default="processes", show_default=True, help="Experiment: where runs are computed.")
@click.option("--workers", type=click.IntRange(1, 100_000), default=None, help="Experiment: worker processes [one per core].")
@click.option("--scheduler", metavar="ADDRESS", default=None, help="Experiment: join a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask).")
@click.option("--csv", "csv_export", is_flag=True, help="Experiment: also write runs.csv and series.csv.")
@click.option("--fresh", is_flag=True, help="Experiment: discard this experiment's stored results first.")
@click.option("--commit-every", type=click.FloatRange(0, 3600), default=15.0, show_default=True, metavar="SECONDS", help="Experiment: commit finished runs at least this often (the most a crash can lose).")
@click.option("--report/--no-report", "make_report", default=True, show_default=True, help="Experiment: write report.html (and the maps it needs) when the batch is done.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Experiment: language of the report.")
def run(target: Path, days: int, seed: int, overrides: tuple[str, ...], out: Path | None, **batch) -> None:
    """Run one scenario file, or a batch from an experiment file.

    FILE is an experiment file if it has an [experiment] table (see
    experiments/); otherwise it is a scenario file and one run is made.
    An interrupted batch continues where it stopped when the same command
    is run again. Exit status: 0 all runs done, 1 some runs failed,
    2 invalid input, 130 interrupted.
    """
    from sim.experiment.spec import ExperimentError, is_experiment_file

    try:
        experiment = is_experiment_file(target)
    except ExperimentError as exc:
        fail(str(exc))
    if experiment:
        wrong = [SCENARIO_ONLY[name] for name in SCENARIO_ONLY if given(name)]
        if wrong:
            verb = "applies" if len(wrong) == 1 else "apply"
            fail(f"{', '.join(o for o, _ in wrong)} only {verb} to a scenario file; {target} is an experiment file: write {' and '.join(h for _, h in wrong)} there")
        run_experiment(target, out, **batch)
        return
    wrong = [OPTION_NAMES.get(name, f"--{name.replace('_export', '').replace('_', '-')}") for name in EXPERIMENT_ONLY if given(name)]
    if wrong:
        fail(f"{', '.join(wrong)} only {'applies' if len(wrong) == 1 else 'apply'} to an experiment file (one with an [experiment] table); {target} is a scenario file")
    run_scenario(target, days, seed, out, overrides)


def run_scenario(scenario: Path, days: int, seed: int, out: Path | None, overrides: tuple[str, ...]) -> None:
    """One run of one scenario: series.parquet and summary.json in ``out``."""
    from sim import GovernanceModel
    from sim.experiment.progress import DayProgress
    from sim.scenario import ScenarioError, load_scenario, unseen_text

    try:
        config = load_scenario(scenario, parse_overrides(overrides), overrides_from="--set")
    except ScenarioError as exc:
        fail(str(exc))
    if out is None:  # the name is the file's text: keep the folder a plain name inside the results root
        plain = re.sub(r"[^\w.-]+", "_", config.name).strip("._") or "scenario"
        out = RESULTS_ROOT / f"{plain}-seed{seed}"
    check_run_folder(out)
    click.echo(f"govsim: {config.name} ({scenario}), {days} days, seed {seed}", err=True)
    for item in config.unseen_within(days):
        click.echo(f"warning: {unseen_text(item, days)}", err=True)
    started = time.perf_counter()
    progress = DayProgress(days)
    try:
        progress.building(f"the world ({config.world.residents:,} residents)")
        model = GovernanceModel(scenario=config, rng=seed)
        progress.start()
        for day in range(1, days + 1):
            model.step()
            progress.update(day)
    except KeyboardInterrupt:
        progress.close()
        fail("interrupted; nothing was written", 130)
    progress.close()
    summary = model.summary()
    elapsed = time.perf_counter() - started
    write_run(out, model, summary, {"scenario": str(scenario), "name": config.name, "seed": seed, "days": days, "overrides": dict(parse_overrides(overrides)), "seconds": round(elapsed, 3)})
    click.echo(summary_table(summary))
    click.echo(f"wrote {out}/ (series.parquet, summary.json) in {elapsed:.1f} s", err=True)


def run_experiment(
    file: Path, root: Path | None, *, dry_run: bool, executor: str, workers: int | None, scheduler: str | None,
    csv_export: bool, fresh: bool, commit_every: float, make_report: bool, lang: str,
) -> None:
    """A batch: every run of the experiment's plan not yet stored under <root>/<name>/."""
    from sim.experiment import ExecutorUnavailable, ExperimentError, StoreError, build_plan, make_executor, report, run_plan
    from sim.experiment.executors import default_workers
    from sim.experiment.store import LEDGER, done_keys, ledger_damage

    try:
        plan = build_plan(file)
    except ExperimentError as exc:
        fail(str(exc))
    except KeyboardInterrupt:  # Ctrl-C while the file is checked: nothing has been written
        fail("interrupted before anything ran; nothing was written", 130)
    root = root or RESULTS_ROOT
    folder = root / plan.name
    done = set() if fresh else done_keys(folder)
    todo = [r for r in plan.unique_runs() if r.key not in done]
    already = len(plan.unique_runs()) - len(todo)
    if executor != "serial" and not scheduler:
        most = len(todo) if plan.precision is None else len(plan.with_replications(plan.precision.max).unique_runs())  # rounds may add runs
        workers = local_workers(workers, most)
    if dry_run:
        click.echo(plan.describe(already, folder))
        damage = ledger_damage(folder)
        if damage:
            click.echo(f"warning       {folder}/store/{LEDGER} is damaged ({damage}): the run will rebuild it from the stored results")
        foreign = done - plan.keys_it_may_hold()
        if foreign:
            click.echo(f"warning       {folder}/ holds {len(foreign)} runs that are not in this plan: the run will be refused (see --fresh)")
        n = 1 if executor == "serial" and not scheduler else workers or default_workers()
        click.echo(estimate_text(plan, todo, n))
        if foreign:  # checked like the run itself: a script sees the refusal coming
            sys.exit(2)
        return
    click.echo(plan.describe(already, folder), err=True)
    try:
        runner = make_executor(executor, workers, scheduler)
        session = run_plan(plan, root, runner, fresh=fresh, csv=csv_export, commit_every=commit_every)
    except (ExecutorUnavailable, StoreError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:  # a second Ctrl-C while finishing up: committed runs are safe
        fail("interrupted; committed runs are stored. Run the same command again to continue", 130)
    click.echo(report(plan, session, fmt=partial(metric_text, lang=lang)))
    if session.interrupted:
        fail(f"interrupted; finished runs are stored. Run the same command again to continue ({session.left} runs left)", 130)
    try:
        if plan.sweep and plan.sweep["method"] in ("morris", "sobol"):
            write_batch_sensitivity(folder, lang)  # first: the report shows its charts
        if make_report:
            write_batch_report(folder, lang, maps=not (plan.sweep and plan.sweep["method"] in ("lhs", "morris", "sobol")))
    except KeyboardInterrupt:  # every run is stored; only the analysis is cut short
        first = f"`govsim sensitivity {folder}`, then " if plan.sweep and plan.sweep["method"] in ("morris", "sobol") else ""
        fail(f"interrupted while writing the report; every run is stored. {first}`govsim report {folder}` writes it", 130)
    if not session.failures.empty:
        fail(f"{len(session.failures)} of {session.planned} runs failed (see above)", 1)


def local_workers(asked: int | None, runs: int) -> int:
    """Worker processes for ``runs`` runs on this machine: no more than there are runs to do
    (a Dask cluster starts them all at once), with a warning for more than there are cores."""
    from sim.experiment.executors import default_workers

    cores = default_workers()
    if asked and asked > cores and runs > cores:
        click.echo(f"warning: --workers {asked} on {cores} core{'s' * (cores > 1)}: the runs will take turns on the cores, and each worker holds its own model in memory", err=True)
    return max(1, min(asked or cores, runs))


def estimate_text(plan, todo: list, workers: int) -> str:
    """The dry run's time estimate, timing only the scenarios with runs left.

    Timing builds each scenario's world (seconds apiece for a district), so
    it says so first, and Ctrl-C there ends like any other interruption.
    """
    from sim.experiment.plan import estimate_seconds
    from sim.experiment.progress import duration

    if not todo:
        return "estimate      nothing left to run"
    left = {r.scenario for r in todo}
    click.echo(f"timing one run of {len(left)} scenario{'s' * (len(left) > 1)} (its build and 5 model-days) for the estimate ...", err=True)
    try:
        per_run = estimate_seconds(plan, only=left)
    except KeyboardInterrupt:
        fail("interrupted while timing the scenarios; nothing was written", 130)
    total = sum(per_run[r.scenario] for r in todo)
    each = ", ".join(f"{name} {seconds:.2g} s" for name, seconds in per_run.items())
    return f"estimate      about {duration(total / workers)} for {len(todo)} runs on {workers} worker{'s' * (workers > 1)} (a run: {each}; timed on 5 model-days)"


def metric_text(metric: str, value: float, lang: str = "en") -> str:
    """A value as the report writes it: 27.3%, 1.56M yuan (156 万元), 4.2 days."""
    from sim.analysis import text as T

    return T.value_text(metric, value, lang)


def write_batch_report(folder: Path, lang: str, maps: bool = True) -> None:
    """The maps and the report after a batch; a failure here never touches stored runs.

    ``maps``: False for a sampled design, whose report has no maps to show.
    """
    from sim.analysis import load, write_report
    from sim.snapshot import snapshot_arms, snapshot_is_current, spatial_snapshot

    try:
        # Said first: at district scale the maps' re-runs and the figures take tens of seconds.
        if maps and snapshot_is_current(results := load(folder), arms := snapshot_arms(results)):
            click.echo("report: the maps' runs are stored already; drawing the figures ...", err=True)
        elif maps:
            click.echo(f"report: re-running {len(arms)} run{'s' * (len(arms) != 1)} for the maps (each as long as a run of the batch), then drawing the figures ...", err=True)
            spatial_snapshot(folder, arms)
        else:
            click.echo("report: drawing the figures ...", err=True)
        path = write_report(folder, lang=lang)
    except Exception as exc:  # noqa: BLE001 - the runs are stored; say what failed and go on
        click.echo(f"warning: the report could not be written ({type(exc).__name__}: {exc}); the runs are stored, try `govsim report {folder}`", err=True)
        return
    click.echo(f"report: {path}", err=True)


def write_batch_sensitivity(folder: Path, lang: str) -> None:
    """Sensitivity indices after a Morris or Sobol' batch; a failure here never touches stored runs."""
    try:
        from sim.analysis.sensitivity import write_sensitivity

        parquet, figures, notes = write_sensitivity(folder, lang=lang)
    except Exception as exc:  # noqa: BLE001 - the runs are stored; say what failed and go on
        click.echo(f"warning: sensitivity indices could not be computed ({type(exc).__name__}: {exc}); the runs are stored, try `govsim sensitivity {folder}`", err=True)
        return
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    click.echo(f"sensitivity: {parquet} (figures in {figures[0].parent if figures else folder}/)", err=True)


@click.command()
@click.argument("results_dir", metavar="RESULTS", type=click.Path(file_okay=False, path_type=Path))
@click.option("--metric", "metrics", multiple=True, help="A summary metric to analyse (repeatable) [the experiment's metrics].")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the figures.")
def sensitivity(results_dir: Path, metrics: tuple[str, ...], lang: str) -> None:
    """Morris or Sobol' indices of a sampled experiment's results folder.

    Writes RESULTS/sensitivity.parquet (Morris: mu_star, mu_star_conf, mu,
    sigma; Sobol': S1, S1_conf, ST, ST_conf; 95% bootstrap intervals), with
    second-order terms RESULTS/sensitivity_s2.parquet (S2, S2_conf per pair),
    and figures under RESULTS/figures/LANG/sensitivity/ (PNG and SVG).
    """
    from sim.analysis.sensitivity import PAIRS_FILE, SensitivityError, write_sensitivity

    try:
        parquet, figures, notes = write_sensitivity(results_dir, lang=lang, metrics=list(metrics) or None)
    except SensitivityError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the sensitivity results in {results_dir}: {exc.strerror or exc}", 1)
    except ImportError:
        fail("sensitivity indices need SALib, an optional dependency: pip install 'govsim[sensitivity]'")
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    table = __import__("pandas").read_parquet(parquet)
    key = "mu_star" if "mu_star" in table else "ST"
    for (scenario, metric), rows in table.groupby(["scenario", "metric"], sort=False):
        top = rows.nlargest(5, key)
        conf = f"{key}_conf"
        click.echo(f"{scenario} / {metric}: " + ", ".join(f"{r['parameter']} {r[key]:.3g}±{r[conf]:.2g}" for _, r in top.iterrows()))
    second = parquet.with_name(PAIRS_FILE)
    also = f", {second}" if second.exists() else ""
    click.echo(f"wrote {parquet}{also} and {len(figures)} figure(s) in {figures[0].parent if figures else results_dir}/")


@click.command()
@click.argument("file", metavar="CALIBRATION", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Results root [results]; results go to <root>/<calibration name>/.")
@click.option("--workers", type=click.IntRange(1, 1024), default=1, show_default=True, help="Processes running the replications of a trial.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what would run; run nothing.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the convergence chart.")
def calibrate(file: Path, out: Path | None, workers: int, dry_run: bool, lang: str) -> None:
    """Fit a scenario's free parameters to target statistics (optuna).

    The study is stored in <root>/<name>/study.sqlite: running the same
    command again continues it up to `trials`. Writes calibrated.toml (a
    scenario that extends the original with the best values),
    calibration.json, trials.csv (every trial) and
    figures/LANG/convergence.png/.svg; warns when the best
    trial misses a target by more than its tolerance or sits at a bound.
    Exit status 2: invalid file (nothing is written); 130: interrupted
    (finished trials are kept).
    """
    from sim.calibration import CalibrationError, calibrate as run_calibration, load_calibration

    try:
        calibration = load_calibration(file)
    except CalibrationError as exc:
        fail(str(exc))
    folder = (out or RESULTS_ROOT) / calibration.name
    s = calibration.settings
    click.echo(f"calibration   {calibration.name}  ({file})\nscenario      {calibration.scenario_file}\n"
               f"parameters    " + ", ".join(f"{d.path} [{d.low:g}, {d.high:g}]" for d in calibration.dimensions) + "\n"
               "targets       " + ", ".join(f"{m} = {t.value:g}" for m, t in calibration.targets.items()) + "\n"
               f"trials        {s.trials} x {s.replications} runs of {s.days} days\nresults       {folder}/", err=True)
    for warning in calibration.warnings:
        click.echo(f"warning: {warning}", err=True)
    if dry_run:
        import importlib.util

        if importlib.util.find_spec("optuna") is None:  # say now what the real run would stop on
            fail("calibration needs optuna, an optional dependency: pip install 'govsim[calibration]'")
        import optuna

        from sim.calibration.study import stored_trials

        try:
            stored = stored_trials(optuna, calibration, folder)
        except CalibrationError as exc:  # what the run would refuse, before it runs
            fail(str(exc))
        click.echo(f"stored        {stored} finished trials; {max(0, s.trials - stored)} to run", err=True)
        return
    try:
        result = run_calibration(calibration, out or RESULTS_ROOT, workers=workers, echo=lambda line: click.echo(line, err=True), lang=lang)
    except (ImportError, CalibrationError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(interrupted_calibration(calibration, folder, file), 130)
    click.echo(f"best: trial {result['best_trial']} (of {result['trials']} finished), loss {result['best_loss']:.4g}: " + ", ".join(f"{k} = {v:.4g}" for k, v in result["best_parameters"].items()))
    for metric, value in result["best_metrics"].items():
        target = result["targets"][metric]
        scale = f" (tolerance {target['tolerance']:g})" if target["tolerance"] is not None else ""
        click.echo(f"  {metric}: simulated {value:.4g}, target {target['value']:g}{scale}")
    click.echo(f"wrote {folder}/calibrated.toml, calibration.json, trials.csv, {result['figure']}")
    click.echo(f"use it: govsim run {folder}/calibrated.toml --days {s.days}" + ("  (read the warnings above first)" if result["warnings"] else ""))


def interrupted_calibration(calibration, folder: Path, file: Path) -> str:
    """What Ctrl-C kept: the finished trials, how to go on, and how to get calibrated.toml from them now."""
    import optuna

    from sim.calibration import CalibrationError
    from sim.calibration.study import stored_trials

    try:
        stored = stored_trials(optuna, calibration, folder)
    except (CalibrationError, KeyboardInterrupt):  # a second Ctrl-C, or a study that cannot be read back
        return f"interrupted; the finished trials are stored in {folder}/study.sqlite. Run the same command again to continue"
    wanted = calibration.settings.trials
    if not stored:
        return f"interrupted before any trial finished; nothing was kept in {folder}/. Run the same command again to start"
    return (f"interrupted; {stored} of {wanted} trials finished and are stored in {folder}/study.sqlite "
            f"(calibrated.toml is written when a session ends). Run the same command again to continue, "
            f"or set trials = {stored} under [calibration] in {file} to write the results of these {stored} now")


def check_run_folder(out: Path) -> None:
    """Refuse, before running, an output folder a run could not use or must not replace.

    A run replaces its folder whole, so the folder must be new, empty or an
    earlier run's (only series.parquet and summary.json); never the current
    folder or one holding it.
    """
    where = out.resolve()
    if where == Path.cwd() or where in Path.cwd().parents:
        fail(f"--out {out} is the current folder or holds it; give a folder for this run's results")
    if out.exists():
        if not out.is_dir():
            fail(f"--out {out} exists and is not a folder")
        other = sorted(p.name for p in out.iterdir() if p.name not in RUN_FILES)
        if other:
            shown = ", ".join(other[:3]) + (", ..." if len(other) > 3 else "")
            fail(f"--out {out} holds files that are not a run's ({shown}); a run replaces its whole folder, so give a new or empty folder")
    parent = where.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        fail(f"cannot write results to {out}: {parent} is not a folder this user can write to")


def folder_mode() -> int:
    """The mode ``mkdir`` gives a new folder under this process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


def write_run(out: Path, model, summary: dict, meta: dict) -> None:
    """Write series and summary into ``out`` atomically: all files or none.

    An earlier run in ``out`` is moved aside first and put back if writing fails.
    """
    from sim.experiment.store import write_json

    series = model.datacollector.get_model_vars_dataframe()
    series.index.name = "day"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        tmp.chmod(folder_mode())  # mkdtemp's owner-only mode would stay with the results, hidden from colleagues
    except OSError as exc:
        fail(f"cannot write results to {out}: {exc.strerror or exc}", 1)
    earlier = None
    try:
        series.reset_index().to_parquet(tmp / "series.parquet", compression="zstd", index=False)
        write_json(tmp / "summary.json", {"meta": meta, "summary": summary})  # a NaN rate is written as null
        if out.exists():
            earlier = tmp.with_name(tmp.name + "-earlier")
            os.replace(out, earlier)
        os.replace(tmp, out)
    except OSError as exc:
        if earlier is not None and not out.exists():
            os.replace(earlier, out)
        shutil.rmtree(tmp, ignore_errors=True)
        fail(f"cannot write results to {out}: {exc.strerror or exc}", 1)
    if earlier is not None:
        shutil.rmtree(earlier, ignore_errors=True)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario, experiment and calibration files; exit status 2 if any is invalid."""
    from sim.calibration.spec import CalibrationError
    from sim.experiment.spec import ExperimentError
    from sim.scenario import ScenarioError

    bad = 0
    for path in files:
        try:
            click.echo(f"ok: {path} ({checked(path)})")
        except (ScenarioError, ExperimentError, CalibrationError) as exc:
            click.echo(f"error: {exc}", err=True)
            bad += 1
    if bad:
        sys.exit(2)


def checked(path: Path) -> str:
    """What a valid file holds, in a few words; raises the file kind's error if it is not valid."""
    kind = file_kind(path)
    if kind == "experiment":
        from sim.experiment import build_plan

        plan = build_plan(path)
        for warning in plan.warnings:
            click.echo(f"warning: {path}: {warning}", err=True)
        return f"experiment: {len(plan.runs):,} runs of {plan.days} days"
    if kind == "calibration":
        from sim.calibration.spec import load_calibration

        calibration = load_calibration(path)
        for warning in calibration.warnings:
            click.echo(f"warning: {path}: {warning}", err=True)
        from sim.experiment.plan import plural

        return f"calibration of {plural(len(calibration.dimensions), 'parameter')}"
    from sim.scenario import load_scenario

    config = load_scenario(path)
    on = ", ".join(config.enabled_mechanisms()) or "none"
    n = config.world.communities
    return f"{n} communit{'y' if n == 1 else 'ies'}, {config.world.residents:,} residents; mechanisms: {on}"


def file_kind(path: Path) -> str:
    """'experiment' or 'calibration' if the TOML file has that table, else 'scenario' (also for a broken file)."""
    from sim.experiment.spec import ExperimentError, read_toml
    from sim.scenario import OTHER_FILES

    try:
        data, _ = read_toml(path)
    except ExperimentError:  # unreadable, not UTF-8, not TOML: load_scenario says which
        return "scenario"
    return next((kind for kind in OTHER_FILES if isinstance(data.get(kind), dict)), "scenario")


@main.command()
@click.argument("prefix", required=False, default="")
def params(prefix: str) -> None:
    """List every parameter (or those whose path starts with PREFIX): default, unit,
    valid range, what it is and its source, one line each, as a scenario file writes it."""
    from sim.registry import parameters

    shown = [p for p in parameters() if p.path.startswith(prefix)]
    if not shown:
        fail(f"no parameter path starts with {prefix!r}; `govsim params` lists them all")
    for p in shown:
        whole = ", whole number" if p.kind == "int" else ""
        click.echo(f"{p.path} = {toml_value(p.default)}  # [{p.unit}{whole}; valid {p.range_text}] {p.description} (source: {p.source})")


def toml_value(value) -> str:
    """A default as a scenario file writes it, so a line of `govsim params` can be pasted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


@main.command("snapshot")
@click.argument("results_dir", metavar="RESULTS", type=click.Path(file_okay=False, path_type=Path))
def snapshot(results_dir: Path) -> None:
    """Re-run representative runs of RESULTS to store per-building maps (spatial.npz) for the report."""
    from sim.analysis.results import ResultsError
    from sim.snapshot import spatial_snapshot

    try:
        path = spatial_snapshot(results_dir)
    except ResultsError as exc:
        fail(str(exc))
    click.echo(f"wrote {path}")


@main.command()
def mechanisms() -> None:
    """List the governance mechanisms with description and sources."""
    from sim.mechanisms import available

    found = available()
    if not found:
        click.echo("no mechanisms installed")
    for name, cls in found.items():
        click.echo(f"{name}  {cls.title}\n    {cls.description}\n    sources: {cls.sources}")


def _register_commands() -> None:
    """Commands that live next to what they drive (analysis, explorer)."""
    from sim.analysis.cli import report
    from sim.app import app

    for command in (report, app, sensitivity, calibrate):
        main.add_command(command)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
