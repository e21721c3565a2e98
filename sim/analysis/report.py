"""``write_report``: an experiment's results folder -> figures/ and one self-contained report.html.

The report answers, in order: what did each scenario achieve (with
intervals), what did it change against the baseline (paired by
replication), at what cost, which parts of a preset carry its gain (if the
experiment is a factorial over mechanisms), how things moved over time and
by age group, and where in the community (if a spatial snapshot exists).
"""

from __future__ import annotations

import math
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import matplotlib as mpl
import pandas as pd

from . import communities, compare, factorial, figures, findings, glossary, sampled
from . import text as T
from .fonts import EMBEDDED_FAMILY, chinese_family, font_face_css, rc_for
from .results import Arm, Results, ResultsError, load
from .template import cell, figure
from .sensitivity import SUBFOLDER as SENSITIVITY

KEY_METRICS = ["participation_rate", "resolution_rate"]
OTHER_METRICS = [
    "party_member_active_rate", "satisfaction", "resolution_rate_small", "resolution_rate_big",
    "median_resolution_days", "resolved_within_1_day", "mean_open_problems", "mean_days_in_system",
    "gridworker_turnover", "total_cost", "problems_arisen", "problems_resolved", "problems_abandoned", "problems_open",
]
AGE_METRICS = ["participation_rate_youth", "participation_rate_working_age", "participation_rate_elderly"]
EFFECT_METRICS = ["participation_rate", "resolution_rate", "satisfaction"]
SERIES_METRICS = ["participation_rate", "resolution_rate", "problems_open", "mean_belonging"]
SERIES_RANKED = ("participation_rate", "resolution_rate")  # with too many arms, those that raise these most are drawn
MAX_SERIES_ARMS = 6  # more lines than this cannot be told apart
SAMPLED = ("lhs", "sobol", "morris")


@dataclass
class View:
    """Which arms the report shows, what it calls them, and what each is compared with."""

    arms: list[Arm]
    labels: dict[str, str]
    base_of: Callable[[Arm], Arm]
    mechanism: dict[str, str] = field(default_factory=dict)  # arm id -> mechanism name, for single-mechanism arms
    design: factorial.Design | None = None
    against: dict[str, str] = field(default_factory=dict)  # arm id -> label of its reference, where that is not the baseline

    def effect_label(self, arm_id: str, lang: str) -> str:
        """The arm's label where its change is shown: naming its reference if that is not the baseline."""
        ref = self.against.get(arm_id)
        if ref is None:
            return self.labels[arm_id]
        return f"{self.labels[arm_id]}（对照：{ref}）" if lang == "zh" else f"{self.labels[arm_id]} (vs {ref[:1].lower() + ref[1:]})"

    @property
    def order(self) -> list[str]:
        return [a.id for a in self.arms]

    @property
    def baseline_ids(self) -> set[str]:
        """Arms others are compared with; a reference of one arm only (``against``) is not among them."""
        return {self.base_of(a).id for a in self.arms if a.id not in self.against}


def setting_text(arm: Arm) -> str:
    parts = []
    for path, value in arm.setting:
        name = [p for p in path.split(".") if p != "enabled"][-1]
        parts.append(f"{name}={str(value).lower() if isinstance(value, bool) else value}")
    return ", ".join(parts)


def make_view(results: Results, lang: str) -> View:
    design = factorial.detect(results)
    if design is not None:
        cells = factorial.cells(results, design)
        off = cells.get("all_off")
        if off is not None:
            keys = ["all_off", *[f for f in design.factors if f in cells], "all_on"]
            arms = [cells[k] for k in keys if k in cells]
            labels = {}
            for k in keys:
                if k in cells:
                    labels[cells[k].id] = T.word(k, lang) if k in ("all_off", "all_on") else T.word("only", lang).format(name=T.mechanism_label(k, lang))
            mechanism = {cells[f].id: f for f in design.factors if f in cells}
            return View(arms, capitalised(labels, lang), lambda arm: off, mechanism, design)
    if (results.sweep or {}).get("method") in SAMPLED:
        return View([], {}, results.baseline_arm)
    labels = {}
    one_scenario = len(results.scenarios) == 1  # a sweep of one scenario: the setting is the whole name (the title has the scenario)
    for arm in results.arms:
        label = T.scenario_label(arm.scenario, lang)
        labels[arm.id] = f"{label} ({setting_text(arm)})" if arm.setting and not one_scenario else label
    mechanism = {a.id: a.scenario for a in results.arms if a.scenario in T.MECHANISMS or (a.scenario != results.baseline and T.registry_title(a.scenario))}
    labels = capitalised(labels, lang)
    if one_scenario:
        labels.update({a.id: setting_text(a) for a in results.arms if a.setting})  # parameter names keep their case
    against = {a.id: labels[results.baseline_arm(a).id] for a in results.arms if results.reference_of(a.scenario) != results.baseline}
    return View(list(results.arms), labels, results.baseline_arm, mechanism, against=against)


def capitalised(labels: dict[str, str], lang: str) -> dict[str, str]:
    """English labels start with a capital on charts and in tables ('Points incentives')."""
    return {k: T.capital(v) for k, v in labels.items()} if lang == "en" else labels


# ---------------------------------------------------------------------- the report
def write_report(results_dir: str | Path, lang: str = "zh", out: str | Path | None = None) -> Path:
    """Write ``figures/<lang>/`` (PNG and SVG) and ``report.html`` into the results folder.

    ``lang`` is "zh" or "en". Chinese needs a CJK font (the package installs
    Noto Sans SC); without one the report is written in English and says why.
    Returns the path of the HTML file.

    Every results file the report needs is read, and the output path checked,
    before anything is written; the figures are drawn into a staging folder
    that replaces ``figures/<lang>/`` only once the whole report is made, so a
    failure leaves the previous figures and report.html as they were.
    """
    if lang not in T.LANGS:
        raise ValueError(f"lang must be one of {', '.join(T.LANGS)}, not {lang!r}")
    if out is not None:
        check_writable(Path(out))
        check_replaceable(Path(out))
    results = load(results_dir)
    path = Path(out) if out else results.folder / "report.html"
    if out is None:
        check_writable(path)
    results.series()  # read now: a damaged file stops the report before any figure is drawn
    results.spatial  # noqa: B018 - the same for the maps
    notices = []
    if lang == "zh" and chinese_family() is None:
        notices.append("未找到中文字体（govsim 依赖的 pylopdf-fonts-zh-cn 未安装），本报告改用英文。 "
                       "No Chinese font was found (govsim's dependency pylopdf-fonts-zh-cn is not installed), so this report is in English.")
        lang = "en"
    figures_dir = results.folder / "figures" / lang
    made_figures = not figures_dir.parent.exists()
    stage = staging_folder(figures_dir)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if (figures_dir / SENSITIVITY).is_dir():  # `govsim sensitivity` drew them: they stay
            shutil.copytree(figures_dir / SENSITIVITY, stage / SENSITIVITY)
        with mpl.rc_context(rc_for(lang)), T.for_experiment(results.manifest):
            context = build(results, lang, notices, stage)
        from jinja2 import Environment, select_autoescape

        from .template import REPORT

        html = Environment(autoescape=select_autoescape(default=True)).from_string(REPORT).render(**context, embedded_family=EMBEDDED_FAMILY)
        if face := font_face_css(html):  # its Chinese shows where the reader has no Chinese font
            html = html.replace("</head>", f"<style>{face}</style>\n</head>", 1)
        tmp.write_text(html, encoding="utf-8")
        swap_in(stage, figures_dir)
        os.replace(tmp, path)  # a reader never sees half a report
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        tmp.unlink(missing_ok=True)
        if made_figures and not any(figures_dir.parent.iterdir()):
            figures_dir.parent.rmdir()  # no figures: leave no empty figures/ behind
    return path


def check_writable(path: Path) -> None:
    """The report can be written at ``path``: its folder exists and takes a new file. ResultsError if not."""
    if path.is_dir():
        raise ResultsError(f"cannot write the report to {path}: it is a folder; give a file name, e.g. {path / 'report.html'}")
    if not path.parent.is_dir():
        raise ResultsError(f"cannot write the report to {path}: the folder {path.parent}/ does not exist")
    probe = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.probe")
    try:
        probe.touch(exist_ok=False)
    except OSError as exc:
        raise ResultsError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    probe.unlink(missing_ok=True)


def check_replaceable(path: Path) -> None:
    """``path`` is new or an earlier report (an HTML file): a report replaces it whole, so never
    a file of another kind (runs.parquet, a scenario, ...). ResultsError if it is one."""
    if not path.is_file():
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError:
        head = b""
    if not head.lstrip().lower().startswith(b"<!doctype html"):
        raise ResultsError(f"cannot write the report to {path}: it exists and is not a report, and the report would replace it; "
                           "give a new file name (e.g. report.en.html) or an earlier report's")


def staging_folder(figures_dir: Path) -> Path:
    """A new empty folder beside ``figures_dir`` to draw the figures into. ResultsError if none can be made."""
    stage = figures_dir.with_name(f".{figures_dir.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        stage.mkdir(parents=True)
    except OSError as exc:
        raise ResultsError(f"cannot write the figures into {figures_dir.parent}/: {exc.strerror or exc}") from None
    return stage


def swap_in(stage: Path, figures_dir: Path) -> None:
    """Replace ``figures_dir`` by ``stage`` (two renames; the old folder is put back if the second fails).

    A report without figures (no finished run, a sampled design not yet analysed) leaves no figures folder.
    """
    old = figures_dir.with_name(f".{figures_dir.name}.{uuid.uuid4().hex[:8]}.old")
    had = figures_dir.exists()
    if had:
        figures_dir.rename(old)
    try:
        if any(stage.iterdir()):
            stage.rename(figures_dir)
    except BaseException:
        if had:
            old.rename(figures_dir)
        raise
    if had:
        shutil.rmtree(old, ignore_errors=True)


def build(results: Results, lang: str, notices: list[str], folder: Path | None = None) -> dict:
    view = make_view(results, lang)
    w = {k: T.word(k, lang) for k in T.WORDS}
    nominal = int(results.manifest.get("replications") or results.done.groupby(["scenario", "point"]).size().max() or 0)
    baseline_label = view.labels.get(view.base_of(view.arms[0]).id, results.baseline) if view.arms else T.capital(T.scenario_label(results.baseline, lang))
    runs_text = runs_summary(results, lang)
    named = baseline_label if baseline_label.lower() == T.word("baseline", lang).lower() else T.word("footer_baseline", lang).format(label=baseline_label)
    footer = T.word("footer", lang).format(baseline=named, n=nominal, runs=runs_text, config=results.config_hash, experiment=results.name)
    painter = figures.Painter(lang, footer, folder or results.folder / "figures" / lang, view.labels, view.baseline_ids)
    notices += unseen_notices(results, lang) + kept_on_notices(results, view, lang)
    sections = []
    findings_list: list[str] = []
    leads: list[str] = []
    if not view.arms and (results.sweep or {}).get("method") == "lhs":
        sections = sampled.lhs_sections(results, painter, lang)
    elif not view.arms:
        notices.append("本实验为抽样设计：各参数的影响见敏感性分析（govsim sensitivity，结果在 sensitivity.parquet 和 figures/<语言>/sensitivity/）。" if lang == "zh" else
                       "This experiment is a sampled design: what each parameter does is in its sensitivity analysis "
                       "(govsim sensitivity: sensitivity.parquet and figures/<lang>/sensitivity/).")
        sections = sampled.sensitivity_sections(results, lang, (folder or results.folder / "figures" / lang) / SENSITIVITY)
    elif results.done.empty:
        notices.append("没有成功完成的运行。" if lang == "zh" else "No run finished successfully.")
    else:
        sections, findings_list, leads = main_sections(results, view, painter, lang)
    return {
        "lang": lang,
        "title": T.word("report_title", lang),
        "w": w,
        "colon": "：" if lang == "zh" else ": ",
        "experiment": results.name,
        "description": (results.manifest.get("description_zh", "") if lang == "zh" else "") or results.manifest.get("description", ""),
        "baseline": baseline_label,
        "runs_text": runs_text,
        "days": results.days,
        "config_hash": results.config_hash,
        "model_version": results.manifest.get("model_version", "?"),
        "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "notices": notices,
        "failures": failures_box(results, view, lang),
        "findings": findings_list,
        "leads": leads,
        "caveat": caveat(results, view, lang) if view.arms and not results.done.empty else "",
        "sections": sections,
        "method": method_notes(results, view, lang),
    }


def main_sections(results: Results, view: View, painter: figures.Painter, lang: str) -> tuple[list[dict], list[str], list[str]]:
    """The report's sections, its sentence per arm, and the lead sentences that rank the options."""
    sections, sentences, leads = [], [], []
    summary = compare.summary_table(results, view.arms, KEY_METRICS + OTHER_METRICS + AGE_METRICS)
    effects = compare.effect_table(results, view.arms, sorted(set(KEY_METRICS + EFFECT_METRICS + list(findings.SECONDARY)) | {"total_cost", "participation_rate_youth"}), view.base_of)
    costs = compare.cost_effectiveness(results, view.arms, view.base_of)
    if not costs.empty and results.situations:  # a situation (epidemic and flood) is not an option to buy
        costs = costs[~costs["arm"].isin({a.id for a in view.arms if a.scenario in results.situations})]

    # Comparison; an arm judged against a reference other than the baseline (emergency conversion,
    # in the epidemic and flood) is named with it, or its level reads as the mechanism's doing.
    levels = relabelled(painter, view)
    figs = [
        figure(figures.comparison(levels, summary, view.order, KEY_METRICS, title("key", lang), "comparison"), "comparison", title("key", lang), caption("comparison", lang)),
        figure(figures.comparison(levels, summary, view.order, OTHER_METRICS, title("all", lang), "comparison_all", ncols=3), "comparison_all", title("all", lang), caption("comparison", lang)),
    ]
    intro = caption("cells", lang, shown=len(view.arms), total=len(results.points)) if view.design is not None else ""
    sections.append({"title": T.word("comparison", lang), "intro": intro, "figures": figs, "tables": [summary_html(summary, view, lang)]})

    # Effects and findings
    if not effects.empty:
        options = {a.id for a in view.arms if a.id not in view.baseline_ids and a.scenario not in results.situations
                   and results.replications_of(a) > 0 and results.replications_of(view.base_of(a)) > 0}
        leads = findings.lead_sentences(effects[effects["arm"].isin(options)], {a: view.effect_label(a, lang) for a in options}, lang)
        for arm in view.arms:
            rows = effects[effects["arm"] == arm.id]
            if results.replications_of(arm) == 0 or results.replications_of(view.base_of(arm)) == 0:  # not run yet, or all failed
                sentences.append(caption("not_run", lang, label=view.labels[arm.id]))
                continue
            if rows.empty:
                continue
            cost = costs[costs["arm"] == arm.id].iloc[0] if not costs.empty and arm.id in set(costs["arm"]) else None
            kind = ("cell" if view.design is not None else "setting" if arm.setting else "mechanism" if arm.id in view.mechanism
                    else "situation" if arm.scenario in results.situations else "scenario")
            sentences.append(findings.arm_sentence(view.labels[arm.id], kind, rows, cost, lang, against=view.against.get(arm.id)))
        fig = figures.effects(relabelled(painter, view), effects, view.order, EFFECT_METRICS, title("effects", lang))
        cap = caption("effects", lang, matters=T.matters_rule(lang)) + (caption("effects_swept", lang) if len(results.points) > 1 and view.design is None else "")
        sections.append({"title": T.word("effects", lang), "figures": [figure(fig, "effects", title("effects", lang), cap)],
                         "tables": [effects_html(effects, view, lang)]})

    # Cost-effectiveness
    if not costs.empty:
        fig = figures.costs(relabelled(painter, view), costs, title("costs", lang))
        intro = caption("costs_intro", lang) + (caption("costs_short", lang, days=results.days) if results.days < 365 else "")
        sections.append({"title": T.word("costs", lang), "intro": intro,
                         "figures": [figure(fig, "cost_effectiveness", title("costs", lang), caption("costs", lang))], "tables": [costs_html(costs, view, lang)]})

    # Contributions of a preset's mechanisms
    if view.design is not None:
        table = factorial.contributions(results, view.design, ["participation_rate", "resolution_rate", "satisfaction"])
        if not table.empty:
            labels = {f: T.mechanism_label(f, lang) for f in view.design.factors}
            fig = figures.contributions(painter, table, ["participation_rate", "resolution_rate"], labels, title("contributions", lang))
            said = findings.contribution_sentences(table, "participation_rate", labels, lang) + findings.contribution_sentences(table, "resolution_rate", labels, lang)
            pairs = int(((table["kind"] == "synergy") & (table["metric"] == table["metric"].iloc[0])).sum())  # none where the design cannot separate them
            intro = caption("contributions_intro", lang, n=2 ** len(view.design.factors)) + (caption("contributions_synergy", lang, pairs=pairs) if pairs else "")
            sections.append({"title": T.word("contributions", lang), "intro": intro,
                             "sentences": said, "figures": [figure(fig, "contributions", title("contributions", lang), caption("contributions", lang, matters=T.matters_rule(lang)))],
                             "tables": [contributions_html(table, labels, lang)]})

    # Over time and by age group
    series = results.series()
    if not series.empty:
        shown = series_arms(view, effects)
        ids = {(a.scenario, a.point): a.id for a in shown}
        frame = series.assign(arm=[ids.get(k) for k in zip(series["scenario"], series["point"])]).dropna(subset=["arm"])
        marks, events = scheduled_events(results, shown, view, lang)
        fig = figures.time_series(painter, frame, [a.id for a in shown], SERIES_METRICS, title("series", lang), marks=marks)
        patience = glossary.settings([results.manifest.get("configs", {}).get(n, {}) for n in results.scenarios], results.points)["patience_big"]
        cap = caption("series", lang, patience_big=patience) + (caption("series_subset", lang, n=len(shown) - 1) if len(shown) < len(view.arms) else "")
        cap += caption("series_marks", lang, events=events) if events else ""
        sections.append({"title": T.word("time_series", lang), "figures": [figure(fig, "time_series", title("series", lang), cap)]})
    if set(AGE_METRICS) & set(summary["metric"]):
        # One scale for the three groups, so the gap between old and young shows (seed 003 §2.4).
        fig = figures.comparison(levels, summary, view.order, AGE_METRICS, title("age", lang), "age_groups", ncols=3, sharex=True)
        sections.append({"title": T.word("age_groups", lang), "figures": [figure(fig, "age_groups", title("age", lang), caption("comparison", lang))]})

    maps = spatial_section(results, view, painter, lang)
    if maps is not None:
        sections.append(maps)
    shown_metrics = [m for m in KEY_METRICS + OTHER_METRICS + AGE_METRICS if m in set(summary["metric"])]
    sections.append(glossary.section(results, shown_metrics + (SERIES_METRICS if not series.empty else []), lang))
    return sections, sentences, leads


def caveat(results: Results, view: View, lang: str) -> str:
    """What the numbers are, for a reader who might take them for a forecast."""
    done = results.done
    residents = done.loc[done["scenario"] == results.baseline, "residents"] if "residents" in done else pd.Series(dtype=float)
    people = f"{int(residents.median()):,}" if len(residents) else "?"
    n = int(done.groupby(["scenario", "point"]).size().median())
    communities = int((results.manifest.get("configs", {}).get(results.baseline, {}).get("world") or {}).get("communities", 1))
    where = f"一个约{people}名成年居民的社区" if communities == 1 else f"{communities}个社区、共约{people}名成年居民"
    entry = next((s for s in results.manifest.get("scenarios") or [] if s.get("name") == results.baseline), {})
    own_residents, own_communities = entry.get("own_size") or (None, None)
    if lang == "zh":
        resized = (f"（实验文件的 [overrides] 改动了方案文件自身的规模：{own_communities}个社区、{own_residents:,}名成年居民；按原规模，结果可能不同）"
                   if own_residents else "")
        return (f"这些数字来自模拟，不是预测：模拟{where}{resized}，运行{results.days}天，每个方案重复{n}次；"
                "多数参数依据资料或假设设定（见模型文档 docs/ODD.md 与 govsim params）。请用它比较方案之间的差别和代价，而不是预计某个真实社区的数值。")
    place = "a community" if communities == 1 else f"{communities} communities"
    resized = (f" (the experiment's [overrides] changed the scenario file's own size of {own_residents:,} adults in "
               f"{own_communities} communit{'y' if own_communities == 1 else 'ies'}; at that size the results may differ)" if own_residents else "")
    return (f"These numbers come from a simulation, not a forecast: {place} of about {people} adults{resized} over {results.days} days, "
            f"{n} runs per option; most parameters are set from the source documents or assumed (see docs/ODD.md and govsim params). "
            "Use them to compare options and what they cost, not to predict a real community's figures.")


def unseen_notices(results: Results, lang: str) -> list[str]:
    """What the runs ended too soon to see (manifest 'unseen', from the plan): a mechanism
    acting first after the last day reads as 'no change' at a cost that misleads."""
    out = []
    for item in results.manifest.get("unseen") or []:
        where = T.scenario_label(item["scenario"], lang)
        if len(results.points) > 1:
            where += (f"（{len(results.points)}个扫描取值中的{len(item['points'])}个）" if lang == "zh"
                      else f" (at {len(item['points'])} of {len(results.points)} swept settings)")
        out.append(T.unseen_sentence(where, item, results.days, lang))
    return out


def kept_on_notices(results: Results, view: View, lang: str) -> list[str]:
    """What 'all switched off' keeps on: a factorial over some of a preset's mechanisms leaves the
    others on in every cell, so its reference is not the bare baseline a reader would take it for."""
    if view.design is None:
        return []
    others = factorial.kept_on(results, view.design)
    if not others:
        return []
    names = T.listing((T.mechanism_label(m, lang) for m in others), lang)
    return [caption("kept_on", lang, k=len(view.design.factors), scenario=T.scenario_label(view.design.scenario, lang), others=names)]


def relabelled(painter: figures.Painter, view: View) -> figures.Painter:
    """The painter for figures of changes: each arm named with its reference where that is not the baseline."""
    if not view.against:
        return painter
    return replace(painter, labels={a: view.effect_label(a, painter.lang) for a in painter.labels})


def series_arms(view: View, effects: pd.DataFrame) -> list[Arm]:
    """The baseline and, if there are too many arms to draw, those that raise participation or
    resolution most, taken from the two rankings in turn: by participation alone, the option that
    resolves most (吹哨报到 in the main job) was missing from the resolution panel."""
    if len(view.arms) <= MAX_SERIES_ARMS:
        return view.arms
    base = [a for a in view.arms if a.id in view.baseline_ids]
    others = [a for a in view.arms if a.id not in view.baseline_ids]
    rankings = []
    for metric in SERIES_RANKED:
        gains = effects[effects["metric"] == metric].set_index("arm")["effect"]
        rankings.append(sorted(others, key=lambda a: -gains.get(a.id, -math.inf)))
    chosen: list[Arm] = []
    for arm in (arm for turn in zip(*rankings) for arm in turn):
        if arm not in chosen and len(chosen) < MAX_SERIES_ARMS - 1:
            chosen.append(arm)
    return base[:1] + chosen


def scheduled_events(results: Results, shown: list[Arm], view: View, lang: str) -> tuple[dict[str, list[int]], str]:
    """Days on which the shown arms' series may step (manifest 'scheduled', from the plan: a drill,
    a contest, a shock), as marks by arm and the caption's list of what each mark is."""
    marks: dict[str, list[int]] = {}
    said = []
    for arm in shown:
        items = [i for i in results.manifest.get("scheduled") or [] if i["scenario"] == arm.scenario and arm.point in i["points"]]
        if not items:
            continue
        marks[arm.id] = sorted({d for i in items for d in i["days"]})
        what = [(T.mechanism_label(i["name"], lang) if i["kind"] == "mechanism" else T.shock_label(i["name"], lang))
                + caption("event_days", lang, days=T.listing(map(str, i["days"]), lang), s="s" * (len(i["days"]) > 1)) for i in items]
        said.append(f"{view.labels.get(arm.id, arm.id)}{'——' if lang == 'zh' else ' – '}{T.listing(what, lang)}")
    return marks, ("；" if lang == "zh" else "; ").join(said)


def spatial_section(results: Results, view: View, painter: figures.Painter, lang: str) -> dict | None:
    """The maps, or None without a snapshot (``govsim report`` says how to make one: the
    reader of the report is not the one who runs commands)."""
    snapshots = results.spatial
    if not snapshots:
        return None
    section = {"title": T.word("spatial", lang)}
    names = []
    for snap in snapshots:
        arm_id = next((a.id for a in results.arms if a.scenario == snap["scenario"] and a.point == snap["point"]), snap["scenario"])
        names.append(view.labels.get(arm_id) or T.scenario_label(snap["scenario"], lang))
        snap["title"] = caption("snapshot_title", lang, label=names[-1], r=snap["replication"], seed=snap["seed"], day=snap["days"])
    fig = figures.spatial(painter, snapshots, title("spatial", lang))
    several = any(communities.count(s) > 1 for s in snapshots)  # as figures.spatial draws them
    cap = caption("spatial", lang, lines=caption("spatial_communities" if several else "spatial_zones", lang))
    if len(snapshots) < len(view.arms):  # else a reader looks for the options not drawn
        why = "" if view.design is not None else caption("spatial_why", lang)  # a factorial maps all off and all on: its names say it
        cap += caption("spatial_some", lang, names=("和" if lang == "zh" else " and ").join(names), why=why)
    if not all(s.get("reproduced", True) for s in snapshots):
        cap += caption("spatial_mismatch", lang)
    section["figures"] = [figure(fig, "spatial", title("spatial", lang), cap)]
    by_community = communities.table(snapshots, names, lang)
    if by_community is not None:
        section["tables"] = [by_community]
    return section


# ---------------------------------------------------------------------- pieces
def runs_summary(results: Results, lang: str) -> str:
    done, failed, pending = len(results.done.drop_duplicates("key")), len(results.failed), len(results.pending)
    if lang == "zh":
        text = f"{done} 次运行"
        extra = [f"{failed} 次失败" for _ in [0] if failed] + [f"{pending} 次未完成" for _ in [0] if pending]
        return text + (f"（另有{'，'.join(extra)}）" if extra else "")
    text = f"{done} runs"
    extra = [f"{failed} failed" for _ in [0] if failed] + [f"{pending} not run" for _ in [0] if pending]
    return text + (f" ({', '.join(extra)})" if extra else "")


def failures_box(results: Results, view: View, lang: str) -> dict | None:
    failed = results.failed
    if failed.empty:
        return None
    rows = []
    for r in failed.sort_values(["scenario", "point", "replication"]).itertuples():
        error = str(getattr(r, "error", "") or "").strip().splitlines()
        arm_id = next((a.id for a in results.arms if a.scenario == r.scenario and a.point == r.point), r.scenario)
        rows.append([view.labels.get(arm_id, r.scenario), r.replication, r.seed, r.key, error[-1] if error else ""])
    total = len(results.runs.drop_duplicates("key"))
    if lang == "zh":
        headline = f"{len(failed)} / {total} 次运行失败；以下结果只基于成功的运行（每组的 n 见各图表）。"
        more = f"完整的错误追踪见 {results.folder / 'failures.txt'}；再次执行同一条 govsim run 命令会重跑失败的运行。"
    else:
        headline = f"{len(failed)} of {total} runs failed; the results below rest on the runs that finished (see n in each table)."
        more = f"Full tracebacks: {results.folder / 'failures.txt'}; running the same govsim run command again retries the failed runs."
    header = [T.word(k, lang) for k in ("scenario", "replication", "seed", "key", "error")]
    return {"headline": headline, "header": header, "rows": rows, "more": more}


def summary_html(summary: pd.DataFrame, view: View, lang: str) -> dict:
    metrics = KEY_METRICS + ["satisfaction", "total_cost"]
    header = [T.word("scenario", lang), "n"] + [T.metric_label(m, lang) for m in metrics]
    rows = []
    for arm in view.arms:
        s = summary[summary["arm"] == arm.id].set_index("metric")
        if s.empty:
            continue
        row = [cell(view.effect_label(arm.id, lang)), cell(str(int(s["n"].max())))]
        for m in metrics:
            row.append(cell(estimate_text(m, s.loc[m], lang) if m in s.index else "–"))
        rows.append(row)
    return {"title": T.word("mean_ci", lang), "header": header, "rows": rows}


def estimate_text(metric: str, r, lang: str) -> str:
    if not math.isfinite(r["low"]):
        return T.value_text(metric, r["mean"], lang)
    if T.metric_kind(metric) == "yuan":
        return T.yuan_estimate(r["mean"], r["low"], r["high"], lang)
    f = T.scale(metric)
    floor, ceiling = T.possible_range(metric)  # a t interval of few runs can reach past 100%
    low, high = max(r["low"], floor) * f, min(r["high"], ceiling) * f
    d = T.digits_for(metric, r["mean"] * f, low, high)
    return f"{T.number(r['mean'] * f, d)}{T.unit(metric, lang)} [{T.number(low, d)}, {T.number(high, d)}]"


def effects_html(effects: pd.DataFrame, view: View, lang: str) -> dict:
    metrics = ["participation_rate", "participation_rate_youth", "resolution_rate", "resolution_rate_big", "satisfaction", "gridworker_turnover", "total_cost"]
    metrics = [m for m in metrics if m in set(effects["metric"])]
    header = [T.word("scenario", lang), "n"] + [T.metric_label(m, lang) for m in metrics]
    rows = []
    for arm in view.arms:
        e = effects[effects["arm"] == arm.id].set_index("metric")
        if e.empty:
            continue
        row = [cell(view.effect_label(arm.id, lang)), cell(str(int(e["n"].max())))]
        for m in metrics:
            r = e.loc[m]
            f = T.scale(m)
            d = T.digits_for(m, r["effect"] * f, r["low"] * f, r["high"] * f)
            if r["effect"] == r["low"] == r["high"] == 0:  # every replication paired with an identical one
                text = "0（完全相同）" if lang == "zh" else "0 (identical)"
            elif T.metric_kind(m) == "yuan":
                text = T.yuan_estimate(r["effect"], r["low"], r["high"], lang, signed=True)
            else:
                text = f"{T.signed_number(r['effect'] * f, d)} [{T.number(r['low'] * f, d)}, {T.number(r['high'] * f, d)}]"
            row.append(cell(text, T.change_class(m, r["low"], r["high"])))
        rows.append(row)
    return {"title": T.word("effect_ci", lang), "header": header, "rows": rows}


def costs_html(costs: pd.DataFrame, view: View, lang: str) -> dict:
    header = [T.word("scenario", lang), T.word("extra_cost", lang), T.word("extra_participants", lang), T.word("cost_per_participant", lang),
              T.word("avoided_unresolved", lang), T.word("cost_per_avoided", lang)]
    rows = []
    for r in costs.itertuples():
        rows.append([
            cell(view.effect_label(r.arm, lang)),
            cell(T.yuan_estimate(r.cost, r.cost_low, r.cost_high, lang)),
            cell(f"{T.number(r.participants, 0)} [{T.interval_text(r.participants_low, r.participants_high, lang, 0)}]"),
            cell(ratio_text(r.per_participant, r.per_participant_low, r.per_participant_high, r.participants_low, r.cost, lang)),
            cell(f"{T.number(r.avoided, 0)} [{T.interval_text(r.avoided_low, r.avoided_high, lang, 0)}]"),
            cell(ratio_text(r.per_avoided, r.per_avoided_low, r.per_avoided_high, r.avoided_low, r.cost, lang)),
        ])
    return {"title": "", "header": header, "rows": rows}


def ratio_text(value: float, low: float, high: float, gain_low: float, cost: float, lang: str) -> str:
    """Cost per extra unit of a gain; a gain not clearly above zero, or one that comes with a saving, in words."""
    if not gain_low > 0:
        return "无明显收益" if lang == "zh" else "no clear gain"
    if cost == 0:
        return "有收益且不增加成本" if lang == "zh" else "gain at no extra cost"
    if not cost > 0:  # a negative cost per unit would read as a bargain price, not as money saved
        return "有收益且节省成本" if lang == "zh" else "gain and a saving"
    value, low, high = T.significant(value), T.significant(low), T.significant(high)
    # a dash, not a comma: '[3,290, 5,790]' reads as four numbers
    return f"{T.number(value, 0)} [{T.interval_text(low, high, lang, 0)}]"


def contributions_html(table: pd.DataFrame, labels: dict[str, str], lang: str) -> dict:
    metrics = list(dict.fromkeys(table["metric"]))
    header = ["", *[T.metric_label(m, lang) for m in metrics]]
    rows = []
    for term in dict.fromkeys(table["term"]):
        t = table[table["term"] == term].set_index("metric")
        names = t["factors"].iloc[0]
        row = [cell(T.capital(" × ".join(labels.get(n, n) for n in names)))]  # a row label, as the other tables' ('Party network')
        for m in metrics:
            r = t.loc[m]
            f = T.scale(m)
            d = T.digits_for(m, r["effect"] * f, r["low"] * f, r["high"] * f)
            row.append(cell(f"{T.signed_number(r['effect'] * f, d)} [{T.number(r['low'] * f, d)}, {T.number(r['high'] * f, d)}]",
                            T.change_class(m, r["low"], r["high"])))
        rows.append(row)
    return {"title": T.word("main_effect", lang) + " / " + T.word("synergy", lang), "header": header, "rows": rows}


# ---------------------------------------------------------------------- words of this report
TITLES = {
    "key": ("各方案的居民参与率与问题解决率", "Participation and problem resolution by scenario"),
    "all": ("其他指标", "Other measures"),
    "effects": ("相对基线的变化（按重复配对）", "Change against the baseline (paired by replication)"),
    "costs": ("成本与收益", "What the gains cost"),
    "contributions": ("各机制对整体效果的贡献", "What each mechanism contributes"),
    "series": ("关键指标随时间的变化", "Key measures over time"),
    "age": ("分年龄组的居民参与率", "Participation by age group"),
    "spatial": ("代表性运行的空间分布（期末）", "Where it happens: one representative run (last day)"),
}

CAPTIONS = {
    "cells": ("图表只列出全部关闭、单独开启某一机制和全部开启的组合（共 {total} 种组合中的 {shown} 种）；“各机制的贡献”一节使用全部组合。",
              "The charts show all switched off, each mechanism alone and all switched on ({shown} of the {total} combinations); the section on contributions uses every combination."),
    "kept_on": ("“全部关闭”只关闭所比较的 {k} 项机制，{scenario}的其他设置不变，仍开启的机制有：{others}。因此“全部关闭”不是基线方案，所有数值都是在这些机制开启的前提下得到的。",
                "'All switched off' switches off only the {k} mechanisms compared; every other setting of {scenario} stays, and these mechanisms stay on: {others}. "
                "So 'all switched off' is not the baseline scenario, and every figure here holds with those mechanisms on."),
    "comparison": ("圆点为全部重复运行的均值，横线为95%置信区间（t分布），虚线为基线均值。区间重叠不代表没有差别：各方案与基线的差别按重复配对比较，更为精确，见“相对基线的变化”一节。",
                   "Dots: mean over replications; lines: 95% confidence interval (t); dashed line: the baseline's mean. Overlapping intervals do not mean no difference: "
                   "the change against the baseline, paired by replication and so more precise, is in the section on changes."),
    "effects": ("各方案与基线在同一随机种子下的差值的均值及95%置信区间（注明“对照”的方案与其对照方案相比）；绿色/红色表示明确改善/变差（区间不含零），"
                "浅绿/浅红表示变化明确但幅度很小（整个区间都小于有实际意义的幅度：{matters}），灰色表示无明显变化。",
                "Mean of the per-replication differences from the baseline (same seeds) with 95% intervals (an arm marked 'vs' against the reference it names); green/red: clearly better/worse (the interval excludes zero), "
                "pale green/red: clear but small (the whole interval is under the change that matters: {matters}), grey: no clear change."),
    "effects_swept": ("扫描设计中，每个方案与同一扫描取值下的基线相比；基线在其他取值下的一行，与第一个取值下的基线相比。",
                      " With a sweep, each scenario is compared with the baseline at the same swept setting; the baseline's own rows at other settings, with the baseline at the first."),
    "not_run": ("{label}：本方案或其对照方案没有完成的运行，未作比较。", "{label}: no finished runs of it or of what it is compared with; not compared."),
    "costs_intro": ("新增成本为与基线相比（按重复配对）总成本的年化差额；新增参与者 = 参与率之差 × 居民人数；减少的未解决问题 = 基线与方案的（发生问题数 − 解决问题数）之差，即搁置与积压问题之和的减少，年化（预防问题的方案因此同样计入收益；积压可能增加而搁置减少更多）。两种单位成本都用全部新增成本计算，不在两种收益之间分摊（降低网格员流失等其他收益也未计入）。单位成本的置信区间用 Fieller 方法计算；收益不明显时不给出单位成本。",
                    "Extra cost: the paired difference in total cost from the baseline, per year; extra participants: the difference in participation rate × residents; unresolved problems avoided: the fall in (problems arisen − problems resolved) from the baseline, that is in abandoned plus still open problems, per year (so preventing problems counts as a gain too; open problems may rise where fewer are abandoned). Both costs per unit divide the whole extra cost, not split between the two gains (nor counting others, such as lower gridworker turnover). Intervals of costs per unit are Fieller intervals; where the gain is not clear no cost per unit is given."),
    "costs_short": ("注意：本次运行只有{days}天，成本与收益按 365/{days} 换算为每年；一年只发生一次的支出（培训、创投评选、演练）因此被放大，请以至少一年的运行为准。",
                    " Note: these runs last {days} days, so costs and gains are scaled by 365/{days} to a year; spending that happens once a year "
                    "(training, a contest, a drill) is inflated by it: trust runs of a year or more."),
    "costs": ("误差线为95%置信区间；黑线为有效前沿（只计收益明确大于零的方案）：沿线的方案在同等成本下收益最大，线下方的方案被更便宜或更有效的方案超越。",
              "Error bars: 95% intervals. Black line: the efficient frontier (of options whose gain is clearly above zero); options below it are beaten by one that is cheaper or gains more."),
    "contributions_intro": ("一项机制的“平均效果”：开启它与不开启相比，指标平均变化多少；平均取遍其他机制的各种开关组合（共 {n} 种组合；方法：回归，开关按 ±1 编码，以重复为区组）。",
                            "A mechanism's average effect: what switching it on changes, averaged over every on/off setting of the others "
                            "({n} combinations; method: regression, switches coded ±1, replications as blocks)."),
    "contributions_synergy": ("“协同”：两项同时开启时，比各自效果之和多出（正，相互促进）或少出（负，作用重叠）的部分。"
                              "因此单独开启某项机制的效果（见上文）可能不同于其平均效果：与其他机制相互促进的机制，单独开启时效果较小。"
                              "协同的估计不如平均效果精确，而且即使没有任何协同，按95%置信水平每20对中平均也会有1对偶然显得“明确”（本实验检验了 {pairs} 对），"
                              "据此决策前请增加重复次数再确认。",
                              " A synergy: what two switched on together add beyond (positive: they reinforce each other) or fall short of (negative: they overlap) "
                              "the sum of each alone. So a mechanism switched on alone (above) can do more or less than its average: one that reinforces another does less alone. "
                              "Synergies are less precise than average effects, and with no synergy at all about 1 pair in 20 would still look clear by chance "
                              "at 95% confidence ({pairs} tested here), so confirm one with more replications before acting on it."),
    "contributions": ("虚线上方为各机制的平均效果，下方为两两协同。点为效果估计，横线为95%置信区间；绿色/红色表示明确改善/变差（区间不含零）；"
                      "浅绿/浅红表示变化明确但幅度很小（整个区间都小于有实际意义的幅度：{matters}）；协同为红色表示两项作用重叠（同时开启比各自效果之和少），并不表示同时开启有害。",
                      "Above the dotted line: each mechanism's average effect; below: pairwise synergies. Dots: estimated effect; lines: 95% intervals; "
                      "green/red: clearly better/worse (the interval excludes zero); pale green/red: clear but small (the whole interval is under the change that matters: {matters}); a red synergy means the two overlap (together they add less than "
                      "the sum of each alone), not that switching both on does harm."),
    "series": ("实线为每日在全部重复运行上的均值，色带为95%置信区间。模拟从没有积压问题、没有人近期参与的状态开始：参与率在头30天的快速上升是"
               "“近30天参与”的统计窗口逐渐填满；积压问题数要到大事的耐心期（{patience_big}天）满、开始有问题被搁置后才趋于平稳。这些是起步过程，并非问题越积越多。",
               "Lines: daily mean over replications; bands: 95% confidence interval. A run starts with no open problems and nobody recently active: "
               "participation's quick rise over the first 30 days is the 'active in the last 30 days' window filling, and open problems level off "
               "only once big problems outlast residents' patience ({patience_big} days) and start being given up. This is the run warming up, not problems piling up."),
    "series_marks": ("横轴上的三角标出按计划发生的事（颜色同方案）：{events}。因此而参与的居民在30天后离开“近30天参与”的统计窗口，参与率可能随之回落。",
                     " Triangles on the axis mark what happens on given days (in the option's colour): {events}. "
                     "Residents who take part then leave the 30-day window of participation 30 days later, so the rate may step back down."),
    "event_days": ("（第{days}天）", " (day{s} {days})"),
    "series_subset": ("为便于阅读，只画出基线和居民参与率或问题解决率提升最大的 {n} 个方案（两项轮流选取）。",
                      " For readability only the baseline and the {n} scenarios that raise participation or resolution most (chosen from each in turn) are drawn."),
    "spatial": ("每格为一栋楼，灰色为空地，{lines}。各图为同一重复（同一随机种子）：取基线中参与率最接近中位数的一次运行，用存储的配置和种子重新运行得到，因此图间差异来自方案本身。",
                "Each cell is a building; grey is empty ground; {lines}. Every map shows the same replication (the same seed): the baseline's run whose participation is closest to its median, re-run with the stored configuration and seed, so differences between maps come from the scenarios."),
    "spatial_zones": ("黑线为网格边界", "black lines are grid-zone boundaries"),
    "spatial_communities": ("细灰线为网格边界，粗黑线为社区边界，数字为社区编号",
                            "thin grey lines are grid-zone boundaries, thick black lines community boundaries, each community marked with its number"),
    "spatial_some": ("为节省篇幅，只画出{names}的地图{why}。", " To save space only {names} are mapped{why}."),
    "spatial_why": ("（基线与平均参与率最高的方案）", " (the baseline and the option with the highest mean participation)"),
    "spatial_mismatch": ("注意：重新运行的结果与存储的结果不一致（模型版本或代码已改变）。", " Note: the re-run did not reproduce the stored result (the model or its code has changed)."),
    "snapshot_title": ("{label}\n重复序号 {r} · 种子 {seed} · 第 {day} 天", "{label}\nreplication {r} · seed {seed} · day {day}"),
}


def title(key: str, lang: str) -> str:
    return T.in_lang(TITLES[key], lang)


def caption(key: str, lang: str, **values) -> str:
    return T.in_lang(CAPTIONS[key], lang).format(**values)


def method_notes(results: Results, view: View, lang: str) -> list[str]:
    if not view.arms:
        return sampled.method_notes(results, lang)
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    hashes = sep.join(f"{view.labels.get(a.id, a.id)}{colon}{results.arm_config_hash(a)}" for a in view.arms)
    file = results.manifest.get("file", "EXPERIMENT.toml")
    if lang == "zh":
        return [
            "每个方案用不同随机种子重复运行多次；均值的95%置信区间按 t 分布计算（n 为成功完成的重复次数）。",
            "同一重复编号在各方案中使用同一随机种子（共同随机数），因此与基线的差值按重复配对计算，区间更窄、更可靠。",
            f"区间不含零的变化称为“明确”。重复次数多时，很小的变化也会明确；整个区间都不到有实际意义的幅度（{T.matters_rule(lang)}；为本报告的假定）的变化，标为幅度很小，以浅色显示，不列入“提高最多”和“副作用”。",
            f"配置哈希 {results.config_hash} 概括了本实验全部方案的完整配置、扫描点、天数和模型版本" + (f"；各方案的配置哈希：{hashes}。" if hashes else "。"),
            f"复现：govsim run {file} --out {results.folder.parent}（结果存于 {results.folder}）。",
        ]
    return [
        "Each scenario is run several times with different seeds; 95% confidence intervals of means are t intervals (n = replications that finished).",
        "Replication r uses the same seed in every scenario (common random numbers), so differences from the baseline are paired by replication, which gives narrower, more reliable intervals.",
        f"A change is clear when its interval excludes zero. With many replications a tiny change can be clear, so one whose whole interval is under the change that matters ({T.matters_rule(lang)}; an assumption of this report) is called small, drawn pale, and left out of 'rises most' and 'side effects'.",
        f"Config hash {results.config_hash} covers every scenario's full configuration, the sweep points, the days and the model version" + (f"; per scenario: {hashes}." if hashes else "."),
        f"To reproduce: govsim run {file} --out {results.folder.parent} (results in {results.folder}).",
    ]
