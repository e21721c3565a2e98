"""What a calibration writes for its reader: trials.csv, calibrated.toml and the
convergence chart (``figures/<lang>/convergence.png``/``.svg``, in Chinese or
English as the reports are).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.experiment.store import write_atomic

from .spec import Calibration

INTERRUPTED = "interrupted"  # the error a trial cut short by Ctrl-C is stored with
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
    lines.append(f"# Use it: govsim run {path.as_posix()} --days {settings.days} (one run; each trial averaged {settings.replications}), or list it in an experiment's [experiment] scenarios = [...].")
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
    from sim.analysis.text import in_lang

    return in_lang(WORDS[key], lang)


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
        fig, ax = plt.subplots(figsize=(9.5, 4.2 + 0.2 * len(notes)), layout="constrained")
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
        fig.legend(loc="outside right upper", frameon=False, fontsize=9)  # beside the chart: inside, it can cover a trial
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
