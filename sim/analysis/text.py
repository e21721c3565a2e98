"""Words for the report in Chinese and English: labels, numbers, sentences.

Decision-makers mostly read Chinese, so every label a figure or the report
shows comes from here in both languages. Rates are stored as shares (0-1) and
shown as percentages; their differences are percentage points (百分点).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

LANGS = ("zh", "en")

# kind: how a metric is shown. rate: share shown in %, differences in points;
# score: 0-1 index shown x100; count, days, yuan: as they are; index: 0-1 index.
METRICS: dict[str, tuple[str, str, str]] = {
    "participation_rate": ("居民参与率", "participation", "rate"),
    "participation_rate_youth": ("青年参与率", "youth participation", "rate"),
    "participation_rate_working_age": ("中年参与率", "middle-aged participation", "rate"),  # ages 35–59: 中年, not all of working age
    "participation_rate_elderly": ("老年参与率", "elderly participation", "rate"),
    "party_member_active_rate": ("党员活跃率", "party-member activity", "rate"),
    "problems_arisen": ("发生问题数", "problems arisen", "count"),
    "problems_resolved": ("解决问题数", "problems resolved", "count"),
    "problems_abandoned": ("搁置问题数", "problems abandoned", "count"),
    "problems_open": ("积压问题数", "open problems", "count"),  # not 未解决: the cost table's 未解决 adds the abandoned
    "resolution_rate": ("问题解决率", "resolution rate", "rate"),
    "resolution_rate_small": ("小事解决率", "small-problem resolution", "rate"),
    "resolution_rate_big": ("大事解决率", "big-problem resolution", "rate"),
    "median_resolution_days": ("解决用时中位数", "median days to resolve", "days"),
    "resolved_within_1_day": ("一天内解决占比", "resolved within a day", "rate"),
    "mean_open_problems": ("日均积压问题数", "mean open problems", "count"),
    "mean_days_in_system": ("问题平均滞留时间", "mean time a problem stays open", "days"),
    "satisfaction": ("居民满意度（0–100）", "satisfaction (0–100)", "score"),
    "gridworker_turnover": ("网格员年流失率", "gridworker turnover a year", "rate"),
    "total_cost": ("运行期总成本", "total cost over the run", "yuan"),
    "mean_efficacy": ("居民效能感", "residents' efficacy", "index"),
    "mean_belonging": ("居民归属感", "residents' belonging", "index"),
    "mean_burnout": ("网格员职业倦怠", "gridworker burnout", "index"),
    "share_reported_by_residents": ("居民上报占比", "share reported by residents", "rate"),
    "mean_capacity": ("网格员能力", "gridworker capacity", "index"),
    "queue_length": ("待办队列长度", "queue length", "count"),
    "gridworkers_on_duty": ("在岗网格员", "gridworkers on duty", "count"),
    "cost_to_date": ("累计成本", "cost to date", "yuan"),
}

# Which way is better, for colouring a clear change: +1 higher, −1 lower, absent neutral
# (cost: what it buys is in the cost table; a count like problems resolved grows with those arising).
BETTER: dict[str, int] = {
    **{m: 1 for m in ("participation_rate", "participation_rate_youth", "participation_rate_working_age", "participation_rate_elderly",
                      "party_member_active_rate", "resolution_rate", "resolution_rate_small", "resolution_rate_big",
                      "resolved_within_1_day", "satisfaction", "mean_efficacy", "mean_belonging", "mean_capacity")},
    **{m: -1 for m in ("problems_abandoned", "problems_open", "median_resolution_days", "mean_open_problems",
                       "mean_days_in_system", "gridworker_turnover", "mean_burnout", "queue_length")},
}


def possible_range(metric: str) -> tuple[float, float]:
    """Where a value of ``metric`` can lie (charts, tables and calibration targets keep within it)."""
    kind = metric_kind(metric)
    if metric == "gridworker_turnover":  # quits a year per post: above 1 where posts turn over more than once
        return 0.0, math.inf
    if kind in ("rate", "score", "index"):
        return 0.0, 1.0
    return (0.0, math.inf) if kind in ("count", "days") else (-math.inf, math.inf)


# The smallest change a decision would turn on, in stored units (assumption; docs/user_guide.md,
# "Reading the report"). With 30 replications a change of 0.04 percentage points can be clear,
# and green beside +5.6 it read as a success. Counts and money have none: they scale with the world.
MATTERS: dict[str, float] = {
    **{m: 0.01 for m, (_, _, kind) in METRICS.items() if kind in ("rate", "score", "index")},  # 1 percentage point, 1 point of 100
    **{m: 0.5 for m, (_, _, kind) in METRICS.items() if kind == "days"},  # half a day
}
_OWN_MATTERS: ContextVar[dict[str, float]] = ContextVar("own_matters", default={})
_OWN_LABELS: ContextVar[dict[str, dict[str, str]]] = ContextVar("own_labels", default={"zh": {}, "en": {}})


@contextmanager
def for_experiment(manifest: dict):
    """Within: the words follow the experiment's own settings in its ``manifest``: the changes
    that matter ([experiment] matters) and what it calls its scenarios (labels, labels_zh)."""
    matters_token = _OWN_MATTERS.set(dict(manifest.get("matters") or {}))
    labels_token = _OWN_LABELS.set({"zh": dict(manifest.get("labels_zh") or {}), "en": dict(manifest.get("labels") or {})})
    try:
        yield
    finally:
        _OWN_MATTERS.reset(matters_token)
        _OWN_LABELS.reset(labels_token)


def matters(name: str) -> float | None:
    """The change of ``name`` that matters (stored units): the experiment's own, else the default."""
    return _OWN_MATTERS.get().get(name, MATTERS.get(name))


def too_small(name: str, low: float, high: float) -> bool:
    """Whether a change of ``name`` with interval [low, high] (stored units) is, whatever its sign,
    surely smaller than the change that matters: its whole interval lies closer to zero."""
    least = matters(name)
    return least is not None and -least < low and high < least


def change_class(name: str, low: float, high: float) -> str:
    """A table cell's class for a change of ``name`` with interval [low, high]: "better" or
    "worse" where the interval excludes zero and the measure has a better direction, "slightly_"
    before either where the whole interval is smaller than the change that matters, else ""."""
    direction = BETTER.get(name, 0)
    sign = 1 if low > 0 else -1 if high < 0 else 0
    found = {1: "better", -1: "worse"}.get(direction * sign, "")
    return f"slightly_{found}" if found and too_small(name, low, high) else found


# Short names for charts; the registry's titles are sometimes a whole slogan.
MECHANISMS: dict[str, tuple[str, str]] = {
    "burden_reduction": ("减负增效", "burden reduction"),
    "career_support": ("待遇与晋升", "pay and promotion"),
    "digital_platform": ("一网统管", "digital platform"),
    "dual_track_deliberation": ("双轨协商议事", "dual-track deliberation"),  # seed 000 §4: 协商议事流程的双轨运作 (一事一议 is only its small-problem track)
    "emergency_conversion": ("平战转化", "emergency conversion"),
    "enterprise_cobuilding": ("结对共建", "enterprise co-building"),
    "micro_venture": ("微创投", "micro-venture contest"),
    "order_matching": ("点单接单", "order matching"),
    "party_assessment": ("双报到双考核", "party-member assessment"),
    "party_network": ("红网格", "party network"),
    "points_incentive": ("积分制", "points incentives"),
    "review_cycle": ("定期联动机制", "review cycle"),  # seed 004 §一.2: 周小结—月会商—季度点评 定期联动机制
    "rider_informants": ("小哥网格员", "rider informants"),
    "staff_sinking": ("三个下沉", "staff sinking"),
    "tiered_training": ("分层培训", "tiered training"),
    "volunteer_teams": ("志愿服务队", "volunteer teams"),
    "whistle_escalation": ("吹哨报到", "whistle and report"),
}

PRESETS: dict[str, tuple[str, str]] = {
    "baseline": ("基线", "baseline"),
    "wangzhuang": ("旺庄“一核四微”",  # 无锡旺庄街道 (seed 000), not 王庄
                   "Wangzhuang (one core, four micro)"),
    "donghu": ("东湖“一核多元”（设想）", "Donghu (one core, many actors; proposed)"),
    "yuyao": ("余姚“党建+”", "Yuyao (party-building +)"),
    "yuyao_proposals": ("余姚“党建+”（含对策建议）", "Yuyao with its proposals"),
    "licheng": ("鲤城“1+4+N”", "Licheng (1+4+N)"),
    "licheng_proposals": ("鲤城“1+4+N”（含对策建议）", "Licheng with its proposals"),
    "district": ("全区", "district"),
    "all_mechanisms": ("全部机制", "all mechanisms"),
    "shocks": ("疫情与汛情冲击", "epidemic and flood only"),
}

# Every fixed phrase of the report and its figures.
WORDS: dict[str, tuple[str, str]] = {
    "report_title": ("社区治理机制模拟报告", "Community governance simulation report"),
    "experiment": ("实验", "Experiment"),
    "baseline": ("基线", "Baseline"),
    "runs": ("次运行", "runs"),
    "replications": ("每组重复次数", "replications per scenario"),
    "days": ("模拟天数", "days simulated"),
    "config": ("配置哈希", "config hash"),
    "model_version": ("模型版本", "model version"),
    "generated": ("生成时间", "generated"),
    "findings": ("主要结论", "Key findings"),
    "comparison": ("各方案比较", "Comparison of scenarios"),
    "effects": ("相对基线的效果", "Effects against the baseline"),
    "costs": ("成本效益", "Cost-effectiveness"),
    "contributions": ("各机制的贡献", "What each mechanism contributes"),
    "time_series": ("随时间的变化", "Over time"),
    "age_groups": ("分年龄组参与率", "Participation by age group"),
    "spatial": ("空间分布（代表性运行）", "Where it happens (one representative run)"),
    "failures": ("失败的运行", "Failed runs"),
    "method": ("方法说明", "How to read this report"),
    "glossary": ("指标说明", "What the measures mean"),
    "scenario": ("方案", "scenario"),
    "replication": ("重复序号", "replication"),
    "seed": ("随机种子", "seed"),
    "key": ("运行标识", "run key"),
    "error": ("错误", "error"),
    "mean_ci": ("均值与95%置信区间", "mean and 95% confidence interval"),
    "effect_ci": ("与基线之差及95%置信区间（按重复配对；各比率之差以百分点计，满意度之差以分计；绿色为明确改善，红色为明确变差，成本不着色；“0（完全相同）”：每对运行的结果都一样）",
                  "difference from the baseline, 95% CI (paired by replication; rates in percentage points, satisfaction in points; "
                  "green: clearly better, red: clearly worse; cost is not coloured; 0 (identical): the same in every paired run)"),
    "day": ("天", "day"),
    "pp": ("个百分点", " percentage points"),  # not 'points': a change of satisfaction is in points
    "no_clear": ("无明显变化", "no clear change"),
    "footer": ("{baseline} · 每组 {n} 次重复，共 {runs} · 配置哈希 {config} · 实验 {experiment}",
               "{baseline} · {n} replications per scenario, {runs} · config hash {config} · experiment {experiment}"),
    "footer_baseline": ("基线：{label}", "baseline: {label}"),  # not '基线：基线' where the baseline is called so
    "extra_cost": ("每年新增成本", "extra cost a year"),  # the unit goes with the figure (万元) or the cell
    "extra_participants": ("新增参与者（人）", "extra participants"),
    "avoided_unresolved": ("每年减少的未解决问题（搁置与积压，件）", "unresolved problems avoided a year (abandoned or open)"),  # arisen − resolved, against the baseline
    "frontier": ("有效前沿", "efficient frontier"),
    "cost_per_participant": ("每增加一名参与者的年成本（元）", "cost a year per extra participant (yuan)"),
    "cost_per_avoided": ("每减少一件未解决问题的成本（元）", "cost per unresolved problem avoided (yuan)"),
    "main_effect": ("开启该机制的平均效果", "average effect of switching it on"),  # averaged over the others, not switched on alone
    "synergy": ("两两协同（超出各自效果之和）", "pairs: together beyond the sum of each alone"),
    "participation_map": ("各楼栋居民参与率", "participation by building"),
    "open_map": ("各楼栋积压问题数", "open problems by building"),
    "all_off": ("全部关闭", "all switched off"),
    "all_on": ("全部开启", "all switched on"),
    "only": ("仅开启{name}", "only {name}"),
}


def in_lang(texts: tuple[str, ...], lang: str) -> str:
    """The Chinese (first) or the English (second) of a pair of texts, as ``lang`` asks."""
    return texts[0] if lang == "zh" else texts[1]


def word(key: str, lang: str) -> str:
    return in_lang(WORDS[key], lang)


def metric_label(name: str, lang: str) -> str:
    if name in METRICS:
        return in_lang(METRICS[name], lang)
    mechanism, dot, rest = name.partition(".")
    if dot and rest == "cost_yuan_per_year":
        return f"{mechanism_label(mechanism, lang)}{'年成本' if lang == 'zh' else ': cost a year'}"
    return name.replace("_", " ")


def metric_kind(name: str) -> str:
    if name in METRICS:
        return METRICS[name][2]
    return "yuan" if "cost" in name or "yuan" in name else "count"


def mechanism_label(name: str, lang: str) -> str:
    if name in MECHANISMS:
        return in_lang(MECHANISMS[name], lang)
    if lang == "zh":
        title = registry_title(name)
        if title:
            return title.split(" / ")[0]
    return name.replace("_", " ")


def registry_title(name: str) -> str | None:
    """The mechanism's own Chinese title, for mechanisms added after this file was written."""
    try:
        from sim.mechanisms import available  # the one model-side import analysis allows

        return getattr(available().get(name), "title", None)
    except Exception:  # noqa: BLE001 - a label is never worth failing a report for
        return None


def scenario_label(name: str, lang: str) -> str:
    """The experiment's own label in ``lang``, else the built-in name of a shipped scenario, else
    (in Chinese) its English label, else its name with spaces (by default its file's name)."""
    own = _OWN_LABELS.get()
    if name in (given := own["zh" if lang == "zh" else "en"]):
        return given[name]
    if name in PRESETS:
        return in_lang(PRESETS[name], lang)
    if name in MECHANISMS or registry_title(name):
        return mechanism_label(name, lang)
    return own["en"].get(name) or name.replace("_", " ")


# ---------------------------------------------------------------------- numbers
def scale(name: str) -> float:
    """Factor from stored units to shown units (shares -> percent)."""
    return 100.0 if metric_kind(name) in ("rate", "score") else 1.0


def axis_factor(name: str, lang: str) -> float:
    """Factor from stored units to a chart axis: percent for rates, 万元 / thousand yuan for money."""
    if metric_kind(name) == "yuan":
        return 1e-4 if lang == "zh" else 1e-3
    return scale(name)


def unit(name: str, lang: str, difference: bool = False) -> str:
    kind = metric_kind(name)
    if kind == "rate":
        return word("pp", lang) if difference else "%"
    if kind == "days":
        return "天" if lang == "zh" else " days"
    if kind == "yuan":
        return " 元" if lang == "zh" else " yuan"
    if kind == "score" and difference:
        return "分" if lang == "zh" else " points"  # '提高1.0分', written like '提高7.0个百分点' and '缩短0.3天'
    return ""


def number(value: float, digits: int = 1) -> str:
    """A number as people write it: thousands separated, a real minus sign, no '−0.0'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    rounded = round(float(value), digits)
    text = f"{rounded if rounded != 0 else 0.0:,.{digits}f}"
    return text.replace("-", "−")


def significant(value: float, figures: int = 3) -> float:
    """``value`` to ``figures`` significant figures: a cost per unit estimated from a few dozen
    runs is not known to the yuan ('109,000', not '109,321')."""
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, figures - 1 - math.floor(math.log10(abs(value))))


def yuan_scale(value: float, lang: str) -> tuple[float, str]:
    """Divisor and unit for an amount of money: 万元 in Chinese, k / M yuan in English."""
    size = abs(value) if math.isfinite(value) else 0.0
    if lang == "zh":
        return (1e4, "万元") if size >= 1e4 else (1.0, "元")
    if size >= 1e6:
        return 1e6, "M yuan"
    return (1e3, "k yuan") if size >= 1e4 else (1.0, "yuan")


def yuan(value: float, lang: str) -> str:
    if not math.isfinite(value):
        return "–"
    divisor, name = yuan_scale(value, lang)
    digits = 0 if divisor == 1 else (2 if divisor == 1e6 else (1 if lang == "zh" else 0))
    return f"{number(value / divisor, digits)} {name}" if lang == "zh" or divisor == 1 else f"{number(value / divisor, digits)}{name[0]} yuan"


def yuan_estimate(value: float, low: float, high: float, lang: str, *, signed: bool = False) -> str:
    """'+2.9 万元 [2.2–3.5 万元]'; an amount that does not vary between runs (a fixed budget
    line) without its interval: '+2.2 万元', not '+2.2 万元 [2.2–2.2 万元]'."""
    text = ("+" if signed and value >= 0 else "") + yuan(value, lang)
    if not (math.isfinite(low) and math.isfinite(high)) or yuan(low, lang) == yuan(high, lang):
        return text
    return f"{text} [{yuan_range(low, high, lang)}]"


def yuan_range(low: float, high: float, lang: str) -> str:
    """An interval of money in one unit: '1.6–5.8 万元', '16k–58k yuan'."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    divisor, name = yuan_scale(max(abs(low), abs(high)), lang)
    digits = 0 if divisor == 1 else (2 if divisor == 1e6 else (1 if lang == "zh" else 0))
    lo, hi = number(low / divisor, digits), number(high / divisor, digits)
    sep = (" 至 " if lang == "zh" else " to ") if low < 0 or high < 0 else "–"
    if lang == "zh" or divisor == 1:
        return f"{lo}{sep}{hi} {name}"
    return f"{lo}{name[0]}{sep}{hi}{name[0]} yuan"


def digits_for(name: str, *shown: float) -> int:
    """Decimals for ``name``; a count whose ``shown`` values are all small (a mean of 2.25
    open problems against 1.7) gets one, or both would read '2', and values that would
    all round to zero get up to two more."""
    kind = metric_kind(name)
    finite = [abs(v) for v in shown if v is not None and math.isfinite(v)]
    if kind == "count":
        digits = 1 if finite and max(finite) < 10 else 0
    else:
        digits = {"rate": 1, "score": 1, "days": 1, "yuan": 0, "index": 3}.get(kind, 2)
    lead = abs(shown[0]) if shown and shown[0] is not None and math.isfinite(shown[0]) else 0.0  # the estimate itself
    bounds = shown[1:3] if len(shown) >= 3 and all(v is not None and math.isfinite(v) for v in shown[1:3]) else None
    unclear = bounds is not None and bounds[0] <= 0 <= bounds[1]  # '+0.0 [−0.2, 0.2]' says it all; '−0.003' is noise in three digits
    extra = 0
    while kind != "yuan" and not unclear and lead > 0 and round(lead, digits + extra) == 0 and extra < 2:  # not 'rises by 0.0 days'
        extra += 1
    if kind != "yuan" and len(shown) >= 3 and all(v is not None and math.isfinite(v) for v in shown[1:3]):
        if interval_hides(shown[1], shown[2], digits + extra):  # one or two more digits, if that shows it
            extra = next((e for e in range(extra + 1, 3) if not interval_hides(shown[1], shown[2], digits + e)), extra)
    return digits + extra


def interval_hides(low: float, high: float, digits: int) -> bool:
    """An interval that, rounded to ``digits``, hides what it says: a clear change shown with a
    bound of 0.0 ('falls by 0.2 (95% CI −0.3 to 0.0)'), or two different bounds shown alike ('−0.1 to −0.1')."""
    near = min(abs(low), abs(high))
    if (low > 0 or high < 0) and round(near, digits) == 0:
        return True
    return low != high and round(low, digits) == round(high, digits)


def value_text(name: str, value: float, lang: str) -> str:
    if metric_kind(name) == "yuan":
        return yuan(value, lang)
    shown = value * scale(name)
    return f"{number(shown, digits_for(name, shown))}{unit(name, lang)}"


def signed_number(value: float, digits: int) -> str:
    """'+1.4', '−0.2': a change with its sign."""
    return ("+" if value >= 0 else "") + number(value, digits)


def size_interval(low: float, high: float, lang: str, digits: int) -> str:
    """The interval of a clear change's size, after 'falls by' or 'less': '0.4–6.9', not '−6.9 to −0.4'."""
    return interval_text(min(abs(low), abs(high)), max(abs(low), abs(high)), lang, digits)


def interval_text(low: float, high: float, lang: str, digits: int = 1) -> str:
    """'3.2–5.0', but '−0.3 to 2.7' where a dash next to a minus would confuse; an unbounded top is '∞'."""
    a, b = number(low, digits), "∞" if high == math.inf else number(high, digits)
    if a.startswith("−") or b.startswith("−"):  # as shown: a bound of −0.004 is shown as 0.0 and takes the dash
        return f"{a} 至 {b}" if lang == "zh" else f"{a} to {b}"
    return f"{a}–{b}"


@dataclass(frozen=True)
class Effect:
    """What a sentence needs about one paired effect (in shown units)."""

    value: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        return math.isfinite(self.low) and (self.low > 0 or self.high < 0)


def effect_phrase(name: str, effect: Effect, lang: str, *, with_ci: bool = True) -> str:
    """'participation rises by 4.1 percentage points (95% CI 3.2–5.0)' and its Chinese; without
    the interval (``with_ci=False``) for a clear change named where the detail follows."""
    label = sentence_label(name, lang)
    # without its interval, no digits that only the interval needs: a small change reads small ('0.1', not '0.108')
    d = digits_for(name, effect.value, effect.low, effect.high) if with_ci else digits_for(name, effect.value)
    size = number(abs(effect.value), d)
    ci = interval_text(effect.low, effect.high, lang, d)
    u = unit(name, lang, difference=True)
    if effect.clear:  # after 'falls by 3.6', the interval of the fall
        ci = size_interval(effect.low, effect.high, lang, d)
    slight = effect.clear and too_small(name, effect.low / scale(name), effect.high / scale(name))
    if lang == "zh":
        if not effect.clear:
            return f"{label}{word('no_clear', 'zh')}（{signed_number(effect.value, d)}{u}，95%置信区间 {ci}）"
        notes = ([f"95%置信区间 {ci}"] if with_ci else []) + ([f"幅度很小，不到{matters_text(name, lang)}"] if slight else [])
        return f"{label}{change_verb(name, effect.value > 0)}{size}{u}" + (f"（{'；'.join(notes)}）" if notes else "")
    if not effect.clear:
        return f"{label} shows no clear change ({signed_number(effect.value, d)}{u}, 95% CI {ci})"
    verb = "rises" if effect.value > 0 else "falls"
    notes = ([f"95% CI {ci}"] if with_ci else []) + ([f"small: under the {matters_text(name, lang)} that matters"] if slight else [])
    return f"{label} {verb} by {size}{u}" + (f" ({'; '.join(notes)})" if notes else "")


def matters_rule(lang: str) -> str:
    """Every kind of measure's change that matters, in one phrase: for captions and method notes.
    The experiment's own follow, by measure ('；本实验设定：居民参与率2个百分点')."""
    kinds = (("participation_rate", "比率", "rates"), ("satisfaction", "满意度", "satisfaction"),
             ("mean_days_in_system", "天数", "times"), ("mean_efficacy", "指数", "indices"))
    own = _OWN_MATTERS.get()
    if lang == "zh":
        rule = "、".join(f"{what}{matters_text(m, lang, MATTERS[m])}" for m, what, _ in kinds)
        return rule + (f"；本实验设定：{'、'.join(f'{metric_label(m, lang)}{matters_text(m, lang)}' for m in own)}" if own else "")
    rule = ", ".join(f"{matters_text(m, lang, MATTERS[m])} for {what}" for m, _, what in kinds)
    return rule + (f"; set by this experiment: {', '.join(f'{matters_text(m, lang)} for {metric_label(m, lang)}' for m in own)}" if own else "")


def matters_text(name: str, lang: str, least: float | None = None) -> str:
    """The change that matters for ``name`` (or ``least``, stored units), as text says it: '1个百分点',
    '1 percentage point', '0.5 days'."""
    least = (matters(name) if least is None else least) * scale(name)
    u = unit(name, lang, difference=True)
    if lang != "zh" and least == 1:
        u = u.removesuffix("s")  # '1 percentage point', '1 point'
    return f"{least:,.10g}{u}"  # as set: '0.5', '2', '10,000' (ten digits drop the float noise of x 100)


SHOCKS = {"flood": ("汛情", "flood"), "epidemic": ("疫情", "epidemic"), "other": ("冲击", "shock")}


def shock_label(kind: str, lang: str) -> str:
    """'汛情' / 'flood': a shock's kind as the text names it."""
    return SHOCKS.get(kind, (kind, kind))[lang != "zh"]


def listing(items, lang: str) -> str:
    """'a、b、c' in Chinese, 'a, b, c' in English."""
    return ("、" if lang == "zh" else ", ").join(items)


def unseen_sentence(where: str, item: dict, days: int, lang: str) -> str:
    """A mechanism or shock of scenario ``where`` that a run of ``days`` days does not reach."""
    zh = lang == "zh"
    where = where if zh else capital(where)
    if item["kind"] == "shock":
        what = shock_label(item["name"], lang)
        return (f"{where}：第{item['day']}天的{what}在运行结束（共{days}天）之后，没有发生。" if zh else
                f"{where}: the {what} on day {item['day']} comes after the run's {days} days and does not happen.")
    name = mechanism_label(item["name"], lang)
    if name.lower() == where.lower():  # the scenario of that one mechanism
        name = "该机制" if zh else "it"
    if item["day"] is None:
        return (f"{where}：在该方案的设置下，{name}不会起作用（只计其常备成本）。" if zh else
                f"{where}: {name} never acts with this scenario's settings (only its standing cost counts).")
    if zh:
        return (f"{where}：{name}第{item['day']}天才首次起作用，晚于运行结束（共{days}天），"
                f"因此测不到其效果，年成本也不具代表性；请至少运行{item['day'] + 1}天。")
    return (f"{where}: {name} first acts on day {item['day']}, after the run's {days} days, so its effect is not measured "
            f"and its cost a year is not representative; run at least {item['day'] + 1} days.")


def capital(text: str) -> str:
    """'Points incentives' from 'points incentives' (English labels start lower-case)."""
    return text[:1].upper() + text[1:]


def sentence_label(name: str, lang: str) -> str:
    """The metric's label inside a sentence: without the scale a table header carries
    ('居民满意度提高1.0分', not '居民满意度（0–100）提高1.0 分')."""
    label = metric_label(name, lang)
    for opening, closing in (("（", "）"), (" (", ")")):
        if label.endswith(closing) and opening in label:
            return label[: label.rindex(opening)]
    return label


def change_verb(name: str, up: bool) -> str:
    """The Chinese verb for a change of ``name``: 提高/降低 a rate or score, 缩短/延长 a time, 增加/减少 a count or amount."""
    kind = metric_kind(name)
    if kind == "days":
        return "延长" if up else "缩短"
    if kind in ("count", "yuan"):
        return "增加" if up else "减少"
    return "提高" if up else "降低"


def cost_phrase(per_unit: float, low: float, high: float, what: str, lang: str, *, saving: bool = False) -> str:
    """'18 yuan a year per extra participant (95% CI 14–23 yuan)'; ``what`` is participant|avoided.

    ``saving``: the gain comes with no extra cost or a saving, so there is no price per unit
    to give; ``what`` may then be "both" (more participants and fewer problems left unresolved).
    """
    if saving:
        if lang == "zh":
            return {"participant": "参与者增加而成本不增", "avoided": "未解决问题减少而成本不增", "both": "参与者增加、未解决问题减少，而成本不增"}[what]
        return {"participant": "more participants", "avoided": "fewer problems left unresolved", "both": "more participants and fewer problems left unresolved"}[what] + " at no extra cost"
    per_unit, low, high = significant(per_unit), significant(low), significant(high)
    if not math.isfinite(low):  # no interval to give (Fieller's has no finite bound)
        ci = ""
    elif math.isfinite(high):
        ci = f"{interval_text(low, high, lang, 0)} 元" if lang == "zh" else f"{interval_text(low, high, lang, 0)} yuan"  # in yuan, as '21.7–23.0 万元' is
    else:
        ci = f"{number(low, 0)} 元以上" if lang == "zh" else f"{number(low, 0)} yuan or more"
    if lang == "zh":
        target = "每增加一名参与者每年花费" if what == "participant" else "每减少一件未解决问题花费"
        return f"{target} {number(per_unit, 0)} 元" + (f"（95%置信区间 {ci}）" if ci else "")
    target = "a year per extra participant" if what == "participant" else "per unresolved problem avoided"
    return f"{number(per_unit, 0)} yuan {target}" + (f" (95% CI {ci})" if ci else "")
