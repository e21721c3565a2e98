"""What each measure in the report means (指标说明), in Chinese and English.

A decision-maker reads a chart's label, not the code. Each measure the report
shows gets one sentence: what was counted, among which people or problems,
over which days. The patience times and the rating's half-life are read from
the runs' resolved configurations and sweep points, so the sentence names the
values the runs used. Definitions follow ``sim.model.metrics`` and docs/ODD.md,
'Observation'.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import text as T

if TYPE_CHECKING:  # pragma: no cover
    from .results import Results

ACTIVE_WINDOW = 30
"""Days someone counts as active after taking part (``sim.model.residents.ACTIVE_WINDOW``)."""
PARTICIPATION_WINDOW = 90
"""Last days of a run over which summary participation is averaged (``sim.model.metrics``)."""

# Every act the model records (``Residents.mark_active`` in the core and the mechanisms).
_ACTS_ZH = ("上报问题或提出需求（含线上上报）、接单办理居民需求、参加社区活动或议事协商、党员入户走访、"
            "志愿服务队值班、应急演练或应急值守")
_ACTS_EN = ("reported a problem or posted a need (online too), took up a posted need, joined an activity, a meeting or a "
            "deliberation, visited neighbours as a party member, or served a volunteer team's duty, an emergency drill or squad duty")

DEFINITIONS: dict[str, tuple[str, str]] = {
    "participation_rate": (
        f"近{ACTIVE_WINDOW}天内至少参与过一次（{_ACTS_ZH}）的成年居民占全体成年居民的比例；"
        f"汇总值取运行最后{PARTICIPATION_WINDOW}天的每日平均，不含最初{ACTIVE_WINDOW}天（不超过{ACTIVE_WINDOW + 1}天的运行取最后一天）。",
        f"Share of adult residents who took part at least once in the last {ACTIVE_WINDOW} days ({_ACTS_EN}); "
        f"the summary averages the daily value over the run's last {PARTICIPATION_WINDOW} days, leaving out its first {ACTIVE_WINDOW} (a run of {ACTIVE_WINDOW + 1} days or fewer reports its last day).",
    ),
    "participation_rate_youth": ("同“居民参与率”，限18–34岁居民。", "As participation, among residents aged 18–34."),
    "participation_rate_working_age": ("同“居民参与率”，限35–59岁居民。", "As participation, among residents aged 35–59."),
    "participation_rate_elderly": ("同“居民参与率”，限60岁及以上居民。", "As participation, among residents aged 60 and over."),
    "party_member_active_rate": ("同“居民参与率”，限居住在社区的党员。", "As participation, among the party members living in the community."),
    "resolution_rate": (
        "运行期间发生的问题中，到运行结束时已解决的比例；结束时仍在处理的问题计为未解决，因此耗时长的处理方式在运行期内显示的收益偏小。",
        "Share of the problems that arose during the run that were resolved by its end; problems still being handled at the end "
        "count as unresolved, so a slow path shows less of its gain within the run than it gets eventually.",
    ),
    "resolution_rate_small": ("同“问题解决率”，限小事（社区自身资源可以解决）。", "As the resolution rate, among small problems (the community can settle them itself)."),
    "resolution_rate_big": ("同“问题解决率”，限大事（需要相关方或职能部门）。", "As the resolution rate, among big problems (they need stakeholders or departments)."),
    "median_resolution_days": (
        "已解决问题从发生到解决所用天数的中位数；只计已解决的问题，因此解决了更多耗时的大事时它反而上升。",
        "Median days from arising to resolution, over resolved problems only: it rises when more slow big problems get resolved.",
    ),
    "resolved_within_1_day": ("已解决问题中，从发生起24小时内解决的比例。", "Share of resolved problems resolved within 24 hours of arising."),
    "mean_open_problems": ("每天结束时尚未解决的问题数，按全部运行天数平均。", "Problems still open at the end of each day, averaged over the days of the run."),
    "mean_days_in_system": (
        "每个问题从发生到解决或搁置的天数，按全部发生的问题平均；运行结束时仍未解决的计到结束为止。",
        "Days from arising to resolution or abandonment, averaged over every problem that arose; those still open at the end count up to the end.",
    ),
    "satisfaction": (
        "居民对每个发生的问题的评分平均值（满分100）：已解决的按用时打分，用时{half_life}天得50分，每多{half_life}天再减半；"
        "被搁置的得0分；仍在处理的按已等待的时间打分，即它还可能得到的最高分。",
        "Residents' mean rating of every problem that arose (out of 100): a resolved one by how long it took, 50 at {half_life} days "
        "and halving every {half_life} days more; an abandoned one 0; one still open by how long it has waited so far, the most it can still get.",
    ),
    "gridworker_turnover": ("一年内离职的网格员人数占在岗网格员人数的比例。", "Gridworkers who quit in a year, as a share of the posts filled."),
    "total_cost": (
        "运行期间的全部支出（元）：网格员薪酬、社区活动经费，以及各机制的支出（积分兑换、培训、资助、人员时间等）。",
        "Everything spent during the run (yuan): gridworkers' pay, the committee's activities, and each mechanism's spending "
        "(points rewards, training, grants, staff time and the like).",
    ),
    "problems_arisen": ("运行期间居民遇到的问题总数（设施、环境、安全、纠纷、照护、物业）。",
                        "Problems residents met during the run (facilities, environment, safety, disputes, care, property)."),
    "problems_resolved": ("运行结束时已解决的问题数。", "Problems resolved by the end of the run."),
    "problems_abandoned": (
        "超过居民的耐心时间（小事{patience_small}天、大事{patience_big}天）仍未解决而被搁置的问题数。",
        "Problems not resolved within residents' patience ({patience_small} days for small, {patience_big} for big ones) and given up.",
    ),
    "problems_open": ("尚未解决也未被搁置的问题数：汇总表中为运行结束时，随时间变化图中为每天结束时。",
                      "Problems neither resolved nor abandoned: at the run's end in the tables, at each day's end in the charts over time."),
    "mean_belonging": ("居民归属感的平均值（0–1）：参与会提高，不参与则随时间减弱。",
                       "Residents' mean sense of belonging (0–1): taking part raises it, and it fades without."),
    "mean_efficacy": ("居民效能感（相信参与有用）的平均值（0–1）：本楼栋的问题得到解决会提高，被搁置会降低。",
                      "Residents' mean efficacy, the belief that taking part helps (0–1): a problem resolved in one's building raises it, one abandoned lowers it."),
}

UNITS: dict[str, tuple[str, str]] = {
    "rate": ("%", "%"),
    "score": ("分", "points"),
    "days": ("天", "days"),
    "yuan": ("元", "yuan"),
    "count": ("件", "problems"),
    "index": ("0–1", "0–1"),
}


QUOTED = {"half_life": ("rating_half_life_days", 7.0), "patience_small": ("patience_small_days", 45.0), "patience_big": ("patience_big_days", 180.0)}
"""The settings definitions quote: their name in the texts, their key under ``[problems]`` and the
model's default (the analysis reads results, not the model; a test checks the defaults)."""


def settings(configs: Iterable[dict[str, Any]] = (), points: Iterable[dict[str, Any]] = ({},)) -> dict[str, str]:
    """The values definitions quote, over every resolved scenario config and sweep point of the runs.

    One value where every run used the same, else the range ("7–14"): a
    comparison that changes the patience must not be described by one
    scenario's. Model defaults where no config gives one.
    """
    configs, points = list(configs) or [{}], list(points) or [{}]
    out = {}
    for name, (key, default) in QUOTED.items():
        values = {
            float(point.get(f"problems.{key}", config.get("problems", {}).get(key, default)))
            for config in configs
            for point in points
        }
        low, high = min(values), max(values)
        out[name] = f"{low:g}" if low == high else f"{low:g}–{high:g}"
    return out


INTRO = ("比率以百分比表示，方案之间比率的差值以百分点计；满意度的差值以分计。",
         "Rates are shown in per cent and differences between rates in percentage points; differences in satisfaction in points.")


def table(metrics: list[str], lang: str, configs: Iterable[dict[str, Any]] = (), points: Iterable[dict[str, Any]] = ({},)) -> dict:
    """The report's table of definitions for those of ``metrics`` defined, related measures together.

    ``configs`` and ``points``: the runs' resolved scenario configs and sweep
    points, for the settings the definitions quote (see :func:`settings`).
    """
    values = settings(configs, points)
    rows = []
    wanted = set(metrics)
    for metric, definition in DEFINITIONS.items():
        if metric not in wanted:
            continue
        unit = UNITS.get(T.metric_kind(metric), ("", ""))
        rows.append([
            {"text": T.capital(T.metric_label(metric, lang)), "cls": ""},
            {"text": T.in_lang(unit, lang), "cls": ""},
            {"text": T.in_lang(definition, lang).format(**values), "cls": ""},
        ])
    header = ["指标", "单位", "含义"] if lang == "zh" else ["measure", "unit", "what it counts"]
    return {"title": "", "header": header, "rows": rows, "cls": "glossary"}


def section(results: "Results", metrics: list[str], lang: str) -> dict:
    """指标说明: what each measure shown counts, with the patience and half-life the runs used."""
    configs = [results.manifest.get("configs", {}).get(s, {}) for s in results.scenarios]
    intro = INTRO[0] if lang == "zh" else INTRO[1]
    return {"title": T.word("glossary", lang), "intro": intro, "tables": [table(metrics, lang, configs, results.points)]}
