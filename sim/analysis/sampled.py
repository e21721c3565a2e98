"""The report of a sampled design (Latin hypercube, Morris, Sobol'): what each parameter does.

Morris and Sobol' batches show the charts of ``govsim sensitivity`` with the
design, the analysis's warnings and whether the charts are out of date; a
Latin hypercube shows each measure against each parameter with Spearman's
rank correlation. ``report.build`` calls :func:`sensitivity_sections` or
:func:`lhs_sections` for these designs, and :func:`method_notes` for their notes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import figures, glossary
from . import text as T
from .results import Results
from .sensitivity import FALLBACK_METRICS, PAIRS_FILE, plot as plot_sensitivity, stored_notes
from .template import cell, figure


def sensitivity_sections(results: Results, lang: str, folder: Path) -> list[dict]:
    """The sensitivity charts of a Morris or Sobol' batch in ``folder``, drawn there if missing."""
    pngs = sorted(folder.glob("*.png"))
    stored = results.folder / "sensitivity.parquet"
    table = pd.read_parquet(stored) if stored.exists() else None
    if not pngs and table is not None:  # analysed in the other language: draw this one's charts
        pngs = sorted(plot_sensitivity(table, folder, lang, results.manifest.get("experiment", results.folder.name)))
    name = "敏感性分析" if lang == "zh" else "Sensitivity analysis"
    notes = {
        "morris": ("参数变动时各指标的平均绝对变化（μ*，按 SALib 的做法把每一步的变化折算到参数的整个取值范围）及其离散程度（σ）。" if lang == "zh"
                   else "How much each measure changes on average when a parameter moves (μ*, per step scaled to the parameter's whole range, as SALib gives it), and how much that change varies (σ)."),
        "sobol": ("各指标的方差中由每个参数单独解释的份额（一阶 S1）和连同其交互作用解释的份额（总效应 ST）。" if lang == "zh"
                  else "The share of each measure's variance due to each parameter alone (first-order S1) and with its interactions (total ST)."),
    }
    section = {"title": name, "figures": [figure(png, png.stem, name, notes.get(png.stem.split("_")[0], "")) for png in pngs],
               "tables": [design_table(results, lang), *interaction_table(results.folder / PAIRS_FILE, lang)]}
    if table is not None:
        section["sentences"] = stale_sentences(results, table, lang) + stored_notes(stored)
    sections = [section]
    if table is not None:
        sections.append(glossary.section(results, list(dict.fromkeys(table["metric"])), lang))
    return sections


LHS_METRICS, LHS_PARAMETERS = 3, 6  # panels a figure can hold


def lhs_sections(results: Results, painter: figures.Painter, lang: str) -> list[dict]:
    """A Latin hypercube: each measure against each parameter, with Spearman's rank correlation
    over the design points (``govsim sensitivity`` computes indices for Morris and Sobol' only)."""
    parameters = list((results.sweep or {}).get("parameters") or {})
    wanted = [m for m in (results.manifest.get("metrics") or FALLBACK_METRICS) if m in results.done]
    done = results.done[results.done["scenario"] == results.baseline]
    zh = lang == "zh"
    name = "参数与指标的关系" if zh else "How the measures follow the parameters"
    if done.empty or not wanted or not parameters:
        return [{"title": name, "intro": "没有可分析的完成运行。" if zh else "No finished runs to analyse.", "tables": [design_table(results, lang)]}]
    means = done.groupby("point")[[*parameters, *wanted]].mean()
    rho = means.rank().corr()  # Spearman's: Pearson's on ranks
    metrics = wanted[:LHS_METRICS]
    shown = sorted(parameters, key=lambda p: -abs(rho.loc[p, metrics[0]]) if pd.notna(rho.loc[p, metrics[0]]) else 0)[:LHS_PARAMETERS]
    fig = figures.responses(painter, means, shown, metrics, rho, name)
    cap = (f"每个点为一个样本点（{len(means)} 个）在各重复上的均值；ρ 为 Spearman 秩相关系数（−1 至 1），只反映单调关系，不分离参数之间的交互作用。"
           + (f"图中只列出与{T.metric_label(metrics[0], lang)}相关最强的 {len(shown)} 个参数。" if len(shown) < len(parameters) else "") if zh else
           f"Each dot is one design point ({len(means)}), averaged over its replications; ρ is Spearman's rank correlation (−1 to 1): it shows monotone "
           "relations only and does not separate interactions between parameters." + (f" Only the {len(shown)} parameters most correlated with {T.metric_label(metrics[0], lang)} are drawn." if len(shown) < len(parameters) else ""))
    header = [("参数" if zh else "parameter"), *[T.metric_label(m, lang) for m in wanted]]
    rows = [[cell(p), *[cell(T.number(rho.loc[p, m], 2)) for m in wanted]] for p in parameters]
    return [{"title": name, "figures": [figure(fig, "responses", name, cap)],
             "tables": [design_table(results, lang), {"title": "Spearman ρ", "header": header, "rows": rows}]},
            glossary.section(results, wanted, lang)]


def design_table(results: Results, lang: str) -> dict:
    """The sampled design: each parameter's range (μ* is a change across it), the sample size, the replications."""
    sweep = results.sweep or {}
    method, n = sweep.get("method", "?"), sweep.get("samples", "?")
    size = {"morris": (f"{n} 条轨迹，{sweep.get('levels', 4)} 个水平", f"{n} trajectories, {sweep.get('levels', 4)} levels"),
            "sobol": (f"{n} 个基础样本", f"{n} base samples")}.get(method, (f"{n} 个样本", f"{n} samples"))
    zh = lang == "zh"
    title = (f"抽样设计：{method}，{size[0]}，共 {len(results.points)} 个样本点，每点重复 {results.manifest.get('replications', '?')} 次" if zh else
             f"Design: {method}, {size[1]}, {len(results.points)} points, {results.manifest.get('replications', '?')} replications each")
    rows = [[cell(path), cell(f"{b['low']:g}"), cell(f"{b['high']:g}"), cell(("是" if zh else "yes") if b.get("integer") else "")]
            for path, b in (sweep.get("parameters") or {}).items()]
    header = ["参数", "下限", "上限", "整数"] if zh else ["parameter", "low", "high", "whole numbers"]
    return {"title": title, "header": header, "rows": rows}


PAIRS_SHOWN = 3  # per measure: the strongest interactions; the file has every pair


def interaction_table(stored: Path, lang: str) -> list[dict]:
    """Sobol' second-order indices (S2), the strongest pairs per measure, if the design has them."""
    try:
        pairs = pd.read_parquet(stored)
    except (OSError, ValueError):  # not a second-order design, or analysed by an earlier govsim
        return []
    if not {"metric", "parameter", "other", "S2", "S2_conf"} <= set(pairs.columns):
        return []
    zh = lang == "zh"
    rows = []
    for metric, group in pairs.groupby("metric", sort=False):
        for pair in group.sort_values("S2", ascending=False).head(PAIRS_SHOWN).itertuples():
            low, high = pair.S2 - pair.S2_conf, pair.S2 + pair.S2_conf
            clear = ("是" if zh else "yes") if low > 0 else ""
            rows.append([cell(T.metric_label(metric, lang)), cell(f"{pair.parameter} × {pair.other}"),
                         cell(f"{T.number(pair.S2, 2)} [{T.interval_text(low, high, lang, 2)}]"), cell(clear)])
    title = (f"两两交互作用（二阶 S2）：每个指标中最强的 {PAIRS_SHOWN} 对参数。S2 是两个参数共同作用、超出各自单独作用的那部分方差份额；"
             f"区间含 0 表示无法确认存在交互作用。全部参数对见 {stored.name}。" if zh else
             f"Pairwise interactions (second-order S2): the {PAIRS_SHOWN} strongest pairs per measure. S2 is the share of variance due to two "
             f"parameters acting together, beyond their separate effects; an interval that includes 0 shows no interaction. Every pair is in {stored.name}.")
    header = ["指标", "参数对", "S2 [95%区间]", "明确大于 0"] if zh else ["measure", "pair", "S2 [95% interval]", "clearly above 0"]
    return [{"title": title, "header": header, "rows": rows}] if rows else []


def stale_sentences(results: Results, table: pd.DataFrame, lang: str) -> list[str]:
    """Charts from fewer runs than have finished since (the analysis ran mid-batch): say so."""
    if "finished_runs" not in table:  # analysed by an earlier govsim
        return []
    used = table.drop_duplicates("scenario").set_index("scenario")["finished_runs"]
    done = results.done.groupby("scenario").size()
    later = [s for s in used.index if done.get(s, 0) > used[s]]
    if not later:
        return []
    then, now = int(used[later].sum()), int(done[later].sum())
    return [f"注意：这些指数和图表由 {then} 次运行算出，此后已有 {now} 次运行完成；运行 govsim sensitivity {results.folder} 以更新。" if lang == "zh" else
            f"Note: these indices and charts were computed from {then} runs; {now} have finished since. Run govsim sensitivity {results.folder} to update them."]


def method_notes(results: Results, lang: str) -> list[str]:
    """How to read a sampled design's report: the indices, their intervals, how to reproduce it."""
    file = results.manifest.get("file", "EXPERIMENT.toml")
    lhs = (results.sweep or {}).get("method") == "lhs"
    if lang == "zh":
        return [
            "每个样本点在各重复中使用同一组随机种子；指标先对各重复取均值，"
            + ("再计算与各参数的 Spearman 秩相关。" if lhs else "再用 SALib 计算敏感性指数，其95%置信区间由 SALib 的自助法（bootstrap）给出。"),
            f"配置哈希 {results.config_hash} 概括了全部样本点的完整配置、天数和模型版本。",
            f"复现：govsim run {file} --out {results.folder.parent}" + ("。" if lhs else f"，然后 govsim sensitivity {results.folder}。"),
        ]
    return [
        "Every design point uses the same seeds in its replications; each measure is averaged over the replications, then "
        + ("ranked against each parameter (Spearman's correlation)." if lhs else "SALib computes the indices, with 95% intervals from SALib's bootstrap."),
        f"Config hash {results.config_hash} covers every point's full configuration, the days and the model version.",
        f"To reproduce: govsim run {file} --out {results.folder.parent}" + ("." if lhs else f", then govsim sensitivity {results.folder}."),
    ]
