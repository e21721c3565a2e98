"""Sensitivity indices of a Morris or Sobol' experiment, read from its results folder.

The experiment's sampled design is rebuilt from manifest.json (the SALib
problem, the number of trajectories or base samples, the levels or the
second-order switch, and the base seed, exactly as
:mod:`sim.experiment.sampling` drew it) and checked against the stored
points, so the model outputs are fed to SALib in the sampler's order. Each
point's output is the mean over the replications finished at every point
(after an interrupted batch, the others are left out and a warning says so).

Writes ``sensitivity.parquet`` (one row per scenario, metric and parameter)
and, per scenario, a Morris mu*-sigma chart or Sobol' first-order and total
bars under ``figures/<lang>/sensitivity/`` (PNG and SVG); for a Sobol'
design with second-order terms, ``sensitivity_s2.parquet`` (one row per pair).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.sampling import Dimension, small_sobol_warning
from sim.experiment.spec import closest

from .results import RERUN, metric_columns

SAMPLED_METHODS = ("morris", "sobol")
FALLBACK_METRICS = ("participation_rate", "resolution_rate", "satisfaction", "total_cost")
CONF_LEVEL = 0.95


class SensitivityError(ValueError):
    """A results folder whose sensitivity cannot be computed; the message says why."""


# ---------------------------------------------------------------- the design
def design_matrix(sweep: dict[str, Any], base_seed: int) -> np.ndarray:
    """The raw SALib sample (before integer rounding) of a stored sweep, in sampler order."""
    problem = sweep["problem"]
    if sweep["method"] == "morris":
        from SALib.sample import morris

        return morris.sample(problem, sweep["samples"], num_levels=sweep.get("levels", 4), seed=base_seed)
    if sweep["method"] == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, sweep["samples"], calc_second_order=sweep.get("second_order", True), seed=base_seed)
    raise SensitivityError(f"a {sweep['method']} sweep has no sensitivity indices (only {' and '.join(SAMPLED_METHODS)} designs)")


def check_design(X: np.ndarray, sweep: dict[str, Any], points: list[dict[str, Any]]) -> None:
    """The rebuilt design must give the points the runs were made at."""
    dims = [Dimension(path, b["low"], b["high"], b.get("integer", False)) for path, b in sweep["parameters"].items()]
    if len(X) != len(points):
        raise SensitivityError(f"the rebuilt {sweep['method']} design has {len(X)} points but manifest.json lists {len(points)}")
    stored = np.array([[float(p[d.path]) for d in dims] for p in points])
    rebuilt = np.array([[float(d.value(x)) for d, x in zip(dims, row)] for row in X])
    if not np.allclose(stored, rebuilt, rtol=1e-9, atol=1e-12):
        raise SensitivityError("the design rebuilt from manifest.json does not match its points (another SALib version drew them?); indices would be attached to the wrong points")


def balanced_runs(runs: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The finished runs of the replications finished at every point that has any, and how many runs were left out.

    After an interrupted or partly failed batch, a point's mean over fewer
    replications (other seeds) would differ from its neighbours' by noise
    that the indices would report as an effect.
    """
    done = runs[runs["status"] == "done"] if "status" in runs else runs
    if "replication" not in done or done.empty:
        return done, 0
    points = done["point"].nunique()
    per_replication = done.groupby("replication")["point"].nunique()
    complete = per_replication.index[per_replication == points]
    kept = done[done["replication"].isin(complete)] if len(complete) else done
    return kept, len(done) - len(kept)


def point_means(done: pd.DataFrame, metric: str, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``metric`` over the finished runs ``done`` (see :func:`balanced_runs`) at every point (NaN where none), and their counts."""
    grouped = done.groupby("point")[metric]
    means = grouped.mean().reindex(range(n_points)).to_numpy(dtype=float)
    counts = grouped.count().reindex(range(n_points)).fillna(0).to_numpy(dtype=int)
    return means, counts


# ---------------------------------------------------------------- indices
def indices(sweep: dict[str, Any], X: np.ndarray, Y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """SALib indices of one output ``Y`` (one value per design point), one row per parameter.

    Morris: mu_star, mu_star_conf, mu, sigma (trajectories with a missing
    output are left out). Sobol': S1, S1_conf, ST, ST_conf (every point needed).
    """
    problem = sweep["problem"]
    names = problem["names"]
    if sweep["method"] == "morris":
        from SALib.analyze import morris

        size = problem["num_vars"] + 1
        keep = ~np.isnan(Y.reshape(-1, size)).any(axis=1)
        if not keep.any():
            raise SensitivityError("no Morris trajectory has all its points finished")
        rows = np.repeat(keep, size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = morris.analyze(problem, X[rows], Y[rows], conf_level=CONF_LEVEL, num_levels=sweep.get("levels", 4), seed=seed)
        frame = pd.DataFrame({k: np.asarray(result[k], dtype=float) for k in ("mu_star", "mu_star_conf", "mu", "sigma")})
        frame.insert(0, "parameter", names)
        frame["trajectories"] = int(keep.sum())
        return frame
    if sweep["method"] == "sobol":
        from SALib.analyze import sobol

        missing = int(np.isnan(Y).sum())
        if missing:
            raise SensitivityError(f"{missing} of {len(Y)} Sobol' points have no finished run; Sobol' indices need every point (run the batch again to retry them)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # A generator, not the integer: SALib seeds its bootstrap only `if seed`, so 0 would go unseeded.
            result = sobol.analyze(problem, Y, calc_second_order=sweep.get("second_order", True), conf_level=CONF_LEVEL, seed=np.random.default_rng(seed))
        frame = pd.DataFrame({k: np.asarray(result[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")})
        frame.insert(0, "parameter", names)
        if "S2" in result:
            i, j = np.triu_indices(len(names), k=1)
            frame.attrs["S2"] = pd.DataFrame({"parameter": np.asarray(names)[i], "other": np.asarray(names)[j],
                                              "S2": np.asarray(result["S2"], dtype=float)[i, j], "S2_conf": np.asarray(result["S2_conf"], dtype=float)[i, j]})
        return frame
    raise SensitivityError(f"a {sweep['method']} sweep has no sensitivity indices")


def analyse_store(manifest: dict[str, Any], runs: pd.DataFrame, metrics: list[str] | None = None,
                  folder: Path | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Indices for every scenario and metric of a stored experiment: (table, warnings).

    ``metrics`` named explicitly must all be summary metrics of ``runs``
    (else SensitivityError); the manifest's own list only warns about those missing.
    ``folder`` (where the files are) only makes the messages name them in full.
    """
    source = f"{folder}/manifest.json" if folder is not None else "manifest.json"
    runs_file = f"{folder}/runs.parquet" if folder is not None else "runs.parquet"
    sweep = manifest.get("sweep")
    if not sweep or sweep.get("method") not in SAMPLED_METHODS:
        method = sweep.get("method") if sweep else "no"
        also = "; an lhs design's report (govsim report) shows each measure against each parameter, with rank correlations" if method == "lhs" else ""
        raise SensitivityError(f"experiment '{manifest.get('experiment', '?')}' has {method} sweep; sensitivity indices need a morris or sobol sweep{also}")
    base_seed, points = required(manifest, "base_seed", source), required(manifest, "points", source)
    for key in ("problem", "samples", "parameters"):
        required(sweep, key, source, "sweep.")
    try:
        base_seed = int(base_seed)
    except (TypeError, ValueError):
        raise SensitivityError(f"{source}: 'base_seed' must be a whole number, not {base_seed!r}; {REWRITE}") from None
    if not isinstance(points, list) or not all(isinstance(p, dict) and all(k in p for k in sweep["parameters"]) for p in points):
        raise SensitivityError(f"{source}: 'points' must list every design point with a value of each swept parameter; {REWRITE}")
    X = design_matrix(sweep, base_seed)
    check_design(X, sweep, points)
    if metrics:
        wanted = list(dict.fromkeys(metrics))
        valid = metric_columns(runs, sweep.get("parameters") or {})
        unknown = [m for m in wanted if m not in valid]
        if unknown:
            guess = closest(unknown[0], valid) if valid else None
            if guess:
                raise SensitivityError(f"unknown metric {unknown[0]!r}: not a summary metric in {runs_file}; did you mean {guess!r}?")
            listed = ", ".join(valid) if valid else "none (has the batch run?)"
            raise SensitivityError(f"unknown metric {', '.join(repr(m) for m in unknown)}: not a summary metric in {runs_file}; the metrics there are {listed}")
    else:
        wanted = manifest.get("metrics") or list(FALLBACK_METRICS)
    present = [m for m in wanted if m in runs.columns]
    notes = [f"metric '{m}' is not in runs.parquet; skipped" for m in wanted if m not in runs.columns]
    if not present:
        raise SensitivityError("none of the metrics " + ", ".join(wanted) + " is in runs.parquet (has the batch run?)")
    frames, pairs = [], []
    if sweep["method"] == "sobol" and (small := small_sobol_warning(int(sweep["samples"]))):
        notes.append(small)
    planned = manifest.get("replications")
    for scenario, group in runs.groupby("scenario", sort=False):
        finished = int((group["status"] == "done").sum()) if "status" in group else len(group)  # stored now: a later report compares
        group, left_out = balanced_runs(group)
        if left_out:
            notes.append(f"{scenario}: {left_out} finished runs left out: their replications are not finished at every point, "
                         f"and means over unequal replications would mix seeds (run the batch again to finish them)")
        kept = group["replication"].nunique() if "replication" in group else None
        if isinstance(planned, int) and kept is not None and 0 < kept < planned:
            notes.append(f"{scenario}: the indices rest on {kept} of {planned} replications, the ones finished at every point "
                         "(run the batch again to finish the others)")
        for metric in present:
            Y, counts = point_means(group, metric, len(points))
            if np.nanstd(Y) == 0:
                notes.append(f"{scenario}: '{metric}' is the same at every point; its indices are undefined")
            try:
                frame = indices(sweep, X, Y, seed=base_seed)
            except SensitivityError as exc:
                notes.append(f"{scenario}: '{metric}': {exc}")
                continue
            if sweep["method"] == "sobol":
                notes.extend(f"{scenario}: '{metric}': {why}" for why in _impossible_shares(frame))
            elif frame["trajectories"].iloc[0] < int(sweep["samples"]):
                notes.append(f"{scenario}: '{metric}': {frame['trajectories'].iloc[0]} of {sweep['samples']} Morris trajectories have every point finished; "
                             "the indices use only those (run the batch again to finish the others)")
            if "S2" in frame.attrs:
                pairs.append(frame.attrs.pop("S2").assign(scenario=scenario, metric=metric))
            frame.insert(0, "metric", metric)
            frame.insert(0, "scenario", scenario)
            frame.insert(2, "method", sweep["method"])
            frame["replications"] = float(counts[counts > 0].mean()) if (counts > 0).any() else 0.0  # over the points that have runs
            frame["runs"] = len(group)  # those the indices use
            frame["finished_runs"] = finished
            frames.append(frame)
    if not frames:
        raise SensitivityError("no indices could be computed:\n" + "\n".join(notes))
    table = pd.concat(frames, ignore_index=True)
    if pairs:  # second-order indices, one row per pair of parameters (read by write_sensitivity)
        table.attrs["S2"] = pd.concat(pairs, ignore_index=True)[["scenario", "metric", "parameter", "other", "S2", "S2_conf"]]
    return table, notes


def _impossible_shares(frame: pd.DataFrame, slack: float = 0.1) -> list[str]:
    """Sobol' indices are shares of variance: far outside [0, 1], the estimate is noise."""
    out = []
    for column in ("S1", "ST"):
        bad = frame[(frame[column] < -slack) | (frame[column] > 1 + slack)]
        out.extend(f"{column} of '{row.parameter}' is {getattr(row, column):.2f}, not a share of variance: too few samples for the noise in this output "
                   f"(raise 'sweep.samples' or the replications)" for row in bad.itertuples())
    return out


REWRITE = RERUN + ", which writes manifest.json anew"


def required(mapping: dict[str, Any], key: str, source: str = "manifest.json", prefix: str = "") -> Any:
    """``mapping[key]``; a SensitivityError naming the manifest file and the key when it is missing."""
    if key not in mapping:
        raise SensitivityError(f"{source} has no '{prefix}{key}', which the sampled design is rebuilt from; {REWRITE}")
    return mapping[key]


# ---------------------------------------------------------------- files
def read_store(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SensitivityError(f"{folder}/manifest.json is missing or unreadable: is {folder} an experiment's results folder?") from None
    if not isinstance(manifest, dict):
        raise SensitivityError(f"{folder}/manifest.json is not a JSON object; {REWRITE}")
    try:
        runs = pd.read_parquet(folder / "runs.parquet")
    except (OSError, ValueError):
        raise SensitivityError(f"{folder}/runs.parquet is missing or unreadable: has the batch run? (if it has, run it again with the same `govsim run` command, which writes runs.parquet anew)") from None
    missing = [c for c in ("scenario", "point") if c not in runs.columns]
    if missing:
        raise SensitivityError(f"{folder}/runs.parquet has no column {', '.join(repr(c) for c in missing)}; {RERUN}, which writes it anew")
    return manifest, runs


def write_sensitivity(folder: str | Path, lang: str = "en", metrics: list[str] | None = None) -> tuple[Path, list[Path], list[str]]:
    """Compute, write sensitivity.parquet and the figures: (parquet, figures, warnings)."""
    from sim.experiment.store import write_parquet
    import pyarrow as pa

    from . import text as T

    folder = Path(folder)
    manifest, runs = read_store(folder)
    table, notes = analyse_store(manifest, runs, metrics, folder)
    pairs = table.attrs.pop("S2", None)
    out = folder / "sensitivity.parquet"
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), NOTES_KEY: json.dumps(notes, ensure_ascii=False).encode("utf-8")})
    write_parquet(out, arrow)  # the warnings go with the indices, for the report to show
    second = folder / PAIRS_FILE
    if pairs is not None:
        write_parquet(second, pa.Table.from_pandas(pairs, preserve_index=False))
    elif second.exists():
        second.unlink()  # from an earlier analysis of other metrics: it would not match
    with T.for_experiment(manifest):
        figures = plot(table, figure_folder(folder, lang), lang, manifest.get("experiment", folder.name))
    return out, figures, notes


PAIRS_FILE = "sensitivity_s2.parquet"
"""The second-order indices of a Sobol' design with ``second_order``, one row per pair, beside sensitivity.parquet."""

NOTES_KEY = b"govsim.notes"
"""Key of the analysis's warnings in sensitivity.parquet's schema metadata (see :func:`stored_notes`)."""


def stored_notes(path: Path) -> list[str]:
    """The warnings the analysis stored with ``sensitivity.parquet`` (none if the file predates them)."""
    import pyarrow.parquet as pq

    try:
        raw = (pq.read_schema(path).metadata or {}).get(NOTES_KEY)
        return list(json.loads(raw)) if raw else []
    except (OSError, ValueError):
        return []


SUBFOLDER = "sensitivity"
"""The charts' folder inside ``figures/<lang>/``, which the report keeps when it redraws its own."""


def figure_folder(folder: Path, lang: str) -> Path:
    """Where the charts of ``lang`` go: beside the report's own figures of that language."""
    return Path(folder) / "figures" / lang / SUBFOLDER


# ---------------------------------------------------------------- figures
def plot(table: pd.DataFrame, folder: Path, lang: str, experiment: str, label_top: int = 8) -> list[Path]:
    """One figure per scenario: a panel per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import fonts
    from . import text as T
    from .figures import axis_title
    from .text import capital

    paths = []
    with plt.rc_context(fonts.rc_for(lang)):
        for scenario, frame in table.groupby("scenario", sort=False):
            metrics = list(dict.fromkeys(frame["metric"]))
            method = frame["method"].iloc[0]
            ncols = min(2, len(metrics))
            nrows = -(-len(metrics) // ncols)
            n_params = frame["parameter"].nunique()
            height = 4.2 * nrows if method == "morris" else max(3.0, 0.28 * n_params + 1.5) * nrows
            fig, axes = plt.subplots(nrows, ncols, figsize=(11, height), layout="constrained", squeeze=False)
            label = T.scenario_label(scenario, lang)
            if method == "morris":
                title = f"Morris 筛选：{label}" if lang == "zh" else f"Morris screening: {label}"
            else:
                title = f"Sobol' 指数：{label}" if lang == "zh" else f"Sobol' indices: {label}"
            fig.suptitle(title, fontsize=13)
            foot = (f"实验 {experiment}；误差线：95% 置信区间（自助法）；模型输出取每个设计点各次重复的均值" if lang == "zh"
                    else f"experiment {experiment}; error bars: 95% confidence intervals (bootstrap); the model output at each design point is the mean over its replications")
            fig.supxlabel(foot, fontsize=7.5, color="#555555", x=0.005, ha="left")
            for ax, metric in zip(axes.flat, metrics):
                rows = frame[frame["metric"] == metric]
                if method == "morris":
                    # Effects of moving a parameter across its range, in the units the report shows
                    # (percentage points, points of 0-100, thousand yuan): a satisfaction mu* of 0.1 is 10 points.
                    f = T.axis_factor(metric, lang)
                    rows = rows.assign(**{c: rows[c] * f for c in ("mu_star", "mu_star_conf", "mu", "sigma")})
                    _morris_panel(ax, rows, label_top, lang)
                    ax.set_title(axis_title(metric, lang, difference=True), fontsize=10.5)
                else:  # Sobol' indices are shares of variance, whatever the metric's unit
                    _sobol_panel(ax, rows, label_top, lang)
                    ax.set_title(capital(T.metric_label(metric, lang)), fontsize=10.5)
            for ax in list(axes.flat)[len(metrics):]:
                ax.set_visible(False)
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{method}_{scenario}"
            png = folder / f"{name}.png"
            fig.savefig(png, dpi=130)
            fig.savefig(folder / f"{name}.svg")
            plt.close(fig)
            paths.append(png)
    return paths


def _short(path: str) -> str:
    return path.removeprefix("mechanisms.")


def _morris_panel(ax, rows: pd.DataFrame, label_top: int, lang: str) -> None:
    ax.errorbar(rows["mu_star"], rows["sigma"], xerr=rows["mu_star_conf"], fmt="o", ms=4, color="#1f77b4", ecolor="#9ecae1", elinewidth=1, capsize=0)
    # The largest effects are numbered at their dots and named in a list: names written at the
    # dots collide where many parameters have similar effects.
    top = rows[rows["mu_star"] > 0].nlargest(label_top, "mu_star")
    for rank, row in enumerate(top.itertuples(), start=1):
        ax.annotate(str(rank), (row.mu_star, row.sigma), xytext=(3, 3), textcoords="offset points", fontsize=8, color="#08519c")  # no bold: Noto Sans SC ships one weight
    if len(top):
        names = "\n".join(f"{rank}  {_short(p)}" for rank, p in enumerate(top["parameter"], start=1))
        # beside the panel, where it covers no dot (constrained layout makes room for it)
        ax.text(1.02, 1.0, names, transform=ax.transAxes, va="top", ha="left", fontsize=7, linespacing=1.5)
    # SALib's elementary effects are changes per unit of the scaled range, measured over steps of part of it
    ax.set_xlabel("μ*：指标的平均绝对变化，按参数的整个取值范围折算" if lang == "zh" else "μ*: mean absolute change, scaled to the parameter's whole range", fontsize=8.5)
    ax.set_ylabel("σ：该变化的标准差（交互或非线性）" if lang == "zh" else "σ: spread of that change (interactions, non-linearity)", fontsize=8.5)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)


def _sobol_panel(ax, rows: pd.DataFrame, label_top: int, lang: str) -> None:
    rows = rows.sort_values("ST")
    y = np.arange(len(rows))
    ax.barh(y + 0.2, rows["ST"], height=0.4, xerr=rows["ST_conf"], color="#d62728", alpha=0.8, label="总效应 ST" if lang == "zh" else "total ST")
    ax.barh(y - 0.2, rows["S1"], height=0.4, xerr=rows["S1_conf"], color="#1f77b4", alpha=0.8, label="一阶 S1" if lang == "zh" else "first-order S1")
    ax.set_yticks(y, [_short(p) for p in rows["parameter"]], fontsize=8)
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_xlabel("方差占比" if lang == "zh" else "share of output variance", fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
