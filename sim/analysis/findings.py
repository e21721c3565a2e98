"""Plain-language sentences: one per arm against its baseline, one per mechanism's contribution.

A sentence states an effect only with its interval, and says "no clear
change" where the interval includes zero, so that nobody quotes noise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import text as T

HEADLINE = ("participation_rate", "resolution_rate")
SECONDARY = ("participation_rate_youth", "participation_rate_elderly", "party_member_active_rate", "resolution_rate_big", "satisfaction", "gridworker_turnover", "mean_days_in_system")
"""Said where clear. Time is told by ``mean_days_in_system`` (every problem that arose), not by the
median over resolved problems, which rises when more slow big problems get resolved (docs/ODD.md)."""


def shown(metric: str, row) -> T.Effect:
    f = T.scale(metric)
    return T.Effect(row["effect"] * f, row["low"] * f, row["high"] * f)


def worth_saying(metric: str, row) -> bool:
    """A clear change that may be as large as the change that matters (text.MATTERS): worth a clause."""
    return shown(metric, row).clear and not T.too_small(metric, row["low"], row["high"])


def arm_sentence(label: str, kind: str, effects: pd.DataFrame, cost: pd.Series | None, lang: str, against: str | None = None) -> str:
    """'With points incentives, participation rises by ...; it costs ...'.

    ``kind`` says how the arm is named: "mechanism" (引入“积分制”后), "cell" of a
    factorial (仅开启红网格时), "setting" of a sweep (取积分制 (yuan_per_point=1.0)时),
    "scenario" (在鲤城方案下) or "situation", a
    reference another arm is judged in (遭遇疫情与汛情冲击时; not a plan, so not
    方案). ``against``: the label of the arm's reference where that is not the
    baseline.
    """
    by_metric = {r["metric"]: r for _, r in effects.iterrows()}
    main = [T.effect_phrase(m, shown(m, by_metric[m]), lang) for m in HEADLINE if m in by_metric]
    other = [T.effect_phrase(m, shown(m, by_metric[m]), lang) for m in SECONDARY if m in by_metric and worth_saying(m, by_metric[m])]
    costs = cost_clause(cost, lang) if cost is not None else ""
    if lang == "zh":
        lead = {"mechanism": f"引入“{label}”后，", "cell": f"{label}时，", "situation": f"遭遇{label}时，", "setting": f"取{label}时，"}.get(kind, f"在{label}方案下，")
        if against:
            lead = lead[:-1] + f"（与“{against}”相比），"
        sentence = lead + "，".join(main)
        if other:
            sentence += "；此外，" + "，".join(other)
        return sentence + (f"；{costs}" if costs else "") + "。"
    if kind in ("mechanism", "cell", "situation"):
        label = label[:1].lower() + label[1:]
    versus = f" (against {against[:1].lower() + against[1:]})" if against else ""
    sentence = f"With {label}{versus}, " + " and ".join(main)
    if other:
        sentence += "; also " + ", ".join(other)
    return sentence + (f"; {costs}" if costs else "") + "."


TOP = 3
"""Options named per headline measure in the lead sentences."""


def lead_sentences(effects: pd.DataFrame, labels: dict[str, str], lang: str) -> list[str]:
    """The few sentences a reader needs first: which options clearly raise each headline measure
    most, and which clearly make something worse (the intervals follow in each option's sentence).

    ``effects``: the rows of the options to rank (compare.effect_table); ``labels``: arm id ->
    its label, naming its reference where it has one.
    """
    out = []
    for metric in HEADLINE:
        raised = effects[(effects["metric"] == metric) & (effects["low"] > 0)]
        small = np.array([T.too_small(metric, low, high) for low, high in zip(raised["low"], raised["high"])], dtype=bool)
        rows = raised[~small].sort_values("effect", ascending=False)
        label = T.sentence_label(metric, lang)
        slight = len(raised) - len(rows)
        least = T.matters_text(metric, lang)
        if rows.empty:
            if lang == "zh":
                out.append(f"没有方案使{label}明确提高" + (f"{least}以上（{slight}个方案明确提高，但都不到{least}）。" if slight else "。"))
            else:
                out.append(f"No option clearly raises {label}" + (f" by {least} or more ({slight} raise it clearly, each by less)." if slight else "."))
            continue
        named = [f"{labels[r.arm]}（{_signed(metric, r, lang)}）" if lang == "zh" else f"{labels[r.arm]} ({_signed(metric, r, lang)})"
                 for r in rows.head(TOP).itertuples()]
        more = len(rows) - len(named)
        if lang == "zh":
            out.append(f"{label}提高最多的是：{'、'.join(named)}" + (f"；另有{more}个方案也明确提高。" if more else "。")
                       + (f"还有{slight}个方案的提高明确但不到{least}。" if slight else ""))
        else:
            out.append(f"{T.capital(label)} rises most with: {', '.join(named)}" + (f"; {more} more {'raises' if more == 1 else 'raise'} it clearly." if more else ".")
                       + (f" {slight} more {'raises' if slight == 1 else 'raise'} it clearly but by less than {least}." if slight else ""))
    worse = []
    for arm in dict.fromkeys(effects["arm"]):
        rows = effects[effects["arm"] == arm].set_index("metric")
        said = [T.effect_phrase(m, shown(m, rows.loc[m]), lang, with_ci=False) for m in HEADLINE + SECONDARY
                if m in rows.index and T.change_class(m, rows.loc[m, "low"], rows.loc[m, "high"]) == "worse"]
        if said:
            worse.append(f"{labels[arm]}（{'，'.join(said)}）" if lang == "zh" else f"{labels[arm]} ({', '.join(said)})")
    if worse:
        out.append(f"需要注意的副作用：{'；'.join(worse)}。" if lang == "zh" else f"Side effects to weigh: {'; '.join(worse)}.")
    return out


def _signed(metric: str, row, lang: str) -> str:
    """'+6.0个百分点', '+1.2 percentage points': a clear change as the lead sentences name it."""
    e = shown(metric, {"effect": row.effect, "low": row.low, "high": row.high})
    d = T.digits_for(metric, e.value)  # no interval shown here, so none of the digits it would need
    return f"{T.signed_number(e.value, d)}{T.unit(metric, lang, difference=True)}"


def cost_clause(c: pd.Series, lang: str) -> str:
    """Extra cost a year, and cost per extra participant / unresolved problem avoided where the gain is clear.

    A cost that does not vary between replications (a fixed budget line) is given without an
    interval ('8,000 元', not '8,000 元（95%置信区间 8,000–8,000 元）'); an arm that costs
    nothing extra says so once.
    """
    if not math.isfinite(c["cost"]):
        return ""
    gains = [what for gain, what in (("participants", "participant"), ("avoided", "avoided")) if c[f"{gain}_low"] > 0]
    saving = not c["cost"] > 0
    if c["cost"] == 0 and c["cost_low"] == 0 and c["cost_high"] == 0:
        if not gains:
            return "不增加成本" if lang == "zh" else "it costs nothing extra"
        return T.cost_phrase(math.nan, math.nan, math.nan, gains[0] if len(gains) == 1 else "both", lang, saving=True)
    ci = T.yuan_range(c["cost_low"], c["cost_high"], lang)
    low, high = (T.yuan(abs(c[k]), lang) for k in ("cost_low", "cost_high"))
    if lang == "zh":
        head = f"每年{'新增成本' if c['cost'] >= 0 else '节省'} {T.yuan(abs(c['cost']), lang)}"
        parts = [head if low == high else f"{head}（95%置信区间 {ci}）"]
    else:
        head = f"it {'costs' if c['cost'] >= 0 else 'saves'} {T.yuan(abs(c['cost']), lang)} a year"
        parts = [head if low == high else f"{head} (95% CI {ci})"]
    if saving and len(gains) == 2:
        parts.append(T.cost_phrase(math.nan, math.nan, math.nan, "both", lang, saving=True))
    else:
        parts += [T.cost_phrase(c[f"per_{what}"], c[f"per_{what}_low"], c[f"per_{what}_high"], what, lang, saving=saving) for what in gains]
    if lang == "zh":
        return "，".join(parts)
    return parts[0] + (", that is " + " and ".join(parts[1:]) if len(parts) > 1 else "")


def contribution_sentences(table: pd.DataFrame, metric: str, labels: dict[str, str], lang: str) -> list[str]:
    """Per mechanism: its average effect over the settings of the others; then the clear synergies.

    Not 'whatever else is on': where two mechanisms reinforce each other, either alone does
    less than its average, and the report shows each alone too (a reader would see a contradiction).
    """
    rows = table[table["metric"] == metric]
    out = []
    for _, r in rows[rows["kind"] == "main"].sort_values("effect", ascending=False).iterrows():
        name = labels.get(r["factors"][0], r["factors"][0])
        phrase = T.effect_phrase(metric, shown(metric, r), lang)
        out.append(f"{name}：对其他机制的各种开关组合取平均，{phrase}。" if lang == "zh" else f"{T.capital(name)}: averaged over every on/off setting of the others, {phrase}.")
    for _, r in rows[rows["kind"] == "synergy"].iterrows():
        e = shown(metric, r)
        if not worth_saying(metric, r):  # a sure but small synergy is in the table; a sentence would oversell it
            continue
        a, b = (labels.get(f, f) for f in r["factors"])
        d = T.digits_for(metric, e.value, e.low, e.high)
        size = T.number(abs(e.value), d)
        u = T.unit(metric, lang, difference=True)
        ci = T.size_interval(e.low, e.high, lang, d)
        label = T.sentence_label(metric, lang)
        if lang == "zh":
            how = "多" if e.value > 0 else "少"
            out.append(f"{a}与{b}同时开启时，{label}比两者各自效果之和{how}{size}{u}（95%置信区间 {ci}）{'，二者相互促进' if e.value > 0 else '，二者作用重叠'}。")
        else:
            how = "more" if e.value > 0 else "less"
            out.append(f"{T.capital(a)} and {b} together move {label} {size}{u} {how} than the sum of each alone (95% CI {ci}): they {'reinforce each other' if e.value > 0 else 'overlap'}.")
    return out
