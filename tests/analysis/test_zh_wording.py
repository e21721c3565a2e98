"""The Chinese report's wording: names as the seed documents write them, phrases as Chinese is written,
and every number in a sentence shown as the tables show it."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from sim.analysis import text as T
from sim.analysis.findings import arm_sentence, contribution_sentences, cost_clause


def zh(e: T.Effect, metric: str) -> str:
    return T.effect_phrase(metric, e, "zh")


# ---------------------------------------------------------------------- names
def test_place_and_mechanism_names_follow_the_seeds():
    assert T.scenario_label("wangzhuang", "zh") == "旺庄“一核四微”"  # 无锡市旺庄街道 (seed 000), not 王庄
    assert not any("王庄" in zh_ for zh_, _ in T.PRESETS.values())
    # seed 000 §4: 协商议事流程的双轨运作; 一事一议 names only the small-problem track
    assert T.mechanism_label("dual_track_deliberation", "zh") == "双轨协商议事"
    # seed 004 §一.2: 周小结—月会商—季度点评 定期联动机制 (the old label dropped the quarterly review)
    assert T.mechanism_label("review_cycle", "zh") == "定期联动机制"
    assert "及对策" not in T.scenario_label("licheng_proposals", "zh") and "对策建议" in T.scenario_label("licheng_proposals", "zh")


def test_every_shipped_scenario_has_a_chinese_name():
    # a file name left in a Chinese sentence ("在all mechanisms方案下") reads as a slip to a decision-maker
    from tests.conftest import SCENARIOS

    for path in SCENARIOS.glob("*.toml"):
        assert not T.scenario_label(path.stem, "zh").isascii(), path.name


def test_the_35_to_59_group_is_middle_aged_in_both_languages():
    assert T.metric_label("participation_rate_working_age", "zh") == "中年参与率"
    assert T.metric_label("participation_rate_working_age", "en") == "middle-aged participation"


def test_chinese_labels_use_full_width_punctuation():
    strings = [v[0] for v in T.WORDS.values()] + [v[0] for v in T.METRICS.values()] + [v[0] for v in T.MECHANISMS.values()] + [v[0] for v in T.PRESETS.values()]
    for s in strings:
        assert not re.search(r"[,;:()!?]", s.replace("{", "").replace("}", "")), s


def test_table_headers_say_their_unit_and_allow_a_negative_change():
    assert T.word("cost_per_participant", "zh").endswith("（元）") and T.word("cost_per_avoided", "zh").endswith("（元）")
    assert "单独" not in T.word("main_effect", "zh")  # a main effect is averaged over the other mechanisms, not 'switched on alone'
    assert "百分点" in T.word("effect_ci", "zh")


# ---------------------------------------------------------------------- effect phrases
def test_satisfaction_in_a_sentence_has_no_scale_and_no_space_before_its_unit():
    assert zh(T.Effect(1.0, 0.8, 1.2), "satisfaction") == "居民满意度提高1.0分（95%置信区间 0.8–1.2）"
    assert T.effect_phrase("satisfaction", T.Effect(1.0, 0.8, 1.2), "en") == "satisfaction rises by 1.0 points (95% CI 0.8–1.2)"


def test_times_shorten_and_counts_fall():
    assert zh(T.Effect(-0.8, -0.9, -0.7), "median_resolution_days").startswith("解决用时中位数缩短0.8天")
    assert zh(T.Effect(0.2, 0.1, 0.3), "median_resolution_days").startswith("解决用时中位数延长0.2天")
    assert zh(T.Effect(-2.0, -3.0, -1.0), "mean_open_problems").startswith("日均积压问题数减少2.0")
    assert zh(T.Effect(-3.5, -5.0, -2.0), "gridworker_turnover") == "网格员年流失率降低3.5个百分点（95%置信区间 2.0–5.0）"
    # the interval of the fall, not signed bounds: '降低3.5（−5.0 至 −2.0）' reads as 'falls by −5.0'
    assert T.effect_phrase("gridworker_turnover", T.Effect(-3.5, -5.0, -2.0), "en") == "gridworker turnover a year falls by 3.5 percentage points (95% CI 2.0–5.0)"


def test_a_clear_change_never_shows_a_bound_of_zero():
    # was '问题解决率降低0.2个百分点（95%置信区间 −0.3 至 0.0）': a clear fall read as one that may be none
    assert zh(T.Effect(-0.17, -0.30, -0.04), "resolution_rate") == "问题解决率降低0.17个百分点（95%置信区间 0.04–0.30；幅度很小，不到1个百分点）"
    assert zh(T.Effect(0.2, 0.03, 0.37), "resolution_rate") == "问题解决率提高0.20个百分点（95%置信区间 0.03–0.37；幅度很小，不到1个百分点）"


def test_two_different_bounds_are_not_shown_alike():
    # was '缩短0.1天（95%置信区间 −0.1 至 −0.1）'
    assert zh(T.Effect(-0.093, -0.12, -0.07), "median_resolution_days") == "解决用时中位数缩短0.09天（95%置信区间 0.07–0.12；幅度很小，不到0.5天）"
    # but rounding noise of an exact effect adds no digits
    assert zh(T.Effect(5.5, 5.5 - 1e-12, 5.5 + 1e-12), "participation_rate") == "居民参与率提高5.5个百分点（95%置信区间 5.5–5.5）"


def test_a_clear_change_smaller_than_what_matters_says_so_and_is_drawn_pale():
    # 30 replications made +0.044 percentage points of participation 'clearly better', green beside +5.6
    assert T.change_class("participation_rate", 0.00003, 0.00084) == "slightly_better"
    assert T.change_class("participation_rate", 0.008, 0.012) == "better"  # the interval reaches 1 point: it may matter
    assert T.change_class("mean_days_in_system", 0.1, 0.4) == "slightly_worse"
    assert T.change_class("problems_open", 0.1, 0.4) == "worse"  # counts scale with the world: no threshold
    assert T.effect_phrase("participation_rate", T.Effect(0.044, 0.003, 0.084), "en").endswith("(95% CI 0.003–0.084; small: under the 1 percentage point that matters)")
    assert zh(T.Effect(1.4, 1.3, 1.5), "participation_rate") == "居民参与率提高1.4个百分点（95%置信区间 1.3–1.5）"


def test_lead_sentences_rank_only_changes_that_matter():
    import pandas as pd

    from sim.analysis.findings import lead_sentences

    effects = pd.DataFrame([("big", "participation_rate", 0.05, 0.04, 0.06), ("tiny", "participation_rate", 0.0004, 0.0001, 0.0008),
                            ("tiny", "resolution_rate", -0.002, -0.003, -0.001)], columns=["arm", "metric", "effect", "low", "high"])
    first, second = lead_sentences(effects, {"big": "Big", "tiny": "Tiny"}, "en")  # no side effects: the fall is too small to weigh
    assert first == "Participation rises most with: Big (+5.0 percentage points). 1 more raises it clearly but by less than 1 percentage point."
    assert second == "No option clearly raises resolution rate."
    only_tiny = lead_sentences(effects[effects["arm"] == "tiny"], {"tiny": "Tiny"}, "zh")[0]
    assert only_tiny == "没有方案使居民参与率明确提高1个百分点以上（1个方案明确提高，但都不到1个百分点）。"


def test_an_interval_takes_the_dash_unless_a_bound_is_shown_negative():
    phrase = zh(T.Effect(0.06, -0.004, 0.12), "participation_rate")
    assert phrase == "居民参与率无明显变化（+0.1个百分点，95%置信区间 0.0–0.1）"


def test_tables_and_sentences_round_alike():
    """The effects table calls digits_for with the same three values, so it shows what the sentence says."""
    assert T.digits_for("resolution_rate", -0.17, -0.30, -0.04) == 2
    assert T.digits_for("participation_rate", 7.0, 6.5, 7.5) == 1


# ---------------------------------------------------------------------- sentences and costs
def effects_frame(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"metric": m, "effect": e, "low": lo, "high": hi} for m, (e, lo, hi) in rows.items()])


def costs(cost, low, high, **extra) -> pd.Series:
    base = {"cost": cost, "cost_low": low, "cost_high": high, "participants_low": -1.0, "avoided_low": -1.0,
            "per_participant": math.nan, "per_participant_low": math.nan, "per_participant_high": math.nan,
            "per_avoided": math.nan, "per_avoided_low": math.nan, "per_avoided_high": math.nan}
    return pd.Series({**base, **extra})


def test_a_preset_sentence_reads_as_chinese():
    effects = effects_frame({"participation_rate": (0.07, 0.065, 0.075), "resolution_rate": (0.009, 0.008, 0.011), "satisfaction": (0.010, 0.008, 0.012)})
    c = costs(224_000.0, 217_000.0, 230_000.0, participants_low=391.0, per_participant=530.0, per_participant_low=496.0, per_participant_high=570.0)
    s = arm_sentence(T.scenario_label("wangzhuang", "zh"), "scenario", effects, c, "zh")
    assert s.startswith("在旺庄“一核四微”方案下，居民参与率提高7.0个百分点")
    assert "；此外，居民满意度提高1.0分（95%置信区间 0.8–1.2）；" in s
    assert "每年新增成本 22.4 万元（95%置信区间 21.7–23.0 万元），每增加一名参与者每年花费 530 元（95%置信区间 496–570 元）。" in s


def test_a_fixed_cost_has_no_interval_of_one_value():
    c = costs(8_000.0, 8_000.0, 8_000.0, avoided_low=17.0, per_avoided=367.0, per_avoided_low=303.0, per_avoided_high=464.0)
    assert cost_clause(c, "zh") == "每年新增成本 8,000 元，每减少一件未解决问题花费 367 元（95%置信区间 303–464 元）"
    assert cost_clause(c, "en") == "it costs 8,000 yuan a year, that is 367 yuan per unresolved problem avoided (95% CI 303–464 yuan)"


def test_no_extra_cost_is_said_once():
    c = costs(0.0, 0.0, 0.0, participants_low=17.0, avoided_low=242.0)
    assert cost_clause(c, "zh") == "参与者增加、未解决问题减少，而成本不增"
    assert cost_clause(c, "en") == "more participants and fewer problems left unresolved at no extra cost"
    assert cost_clause(costs(0.0, 0.0, 0.0), "zh") == "不增加成本"


def test_a_cost_per_unit_without_a_finite_interval_gives_none():
    assert T.cost_phrase(111.0, math.nan, math.inf, "participant", "zh") == "每增加一名参与者每年花费 111 元"
    assert T.cost_phrase(111.0, 90.0, math.inf, "participant", "zh") == "每增加一名参与者每年花费 111 元（95%置信区间 90 元以上）"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_contribution_sentences_name_the_metric_without_its_scale(lang):
    table = pd.DataFrame([
        {"metric": "satisfaction", "kind": "main", "factors": ("party_network",), "effect": 0.02, "low": 0.01, "high": 0.03},
        {"metric": "satisfaction", "kind": "synergy", "factors": ("party_network", "points_incentive"), "effect": 0.01, "low": 0.005, "high": 0.015},
    ])
    labels = {f: T.mechanism_label(f, lang) for f in ("party_network", "points_incentive")}
    out = contribution_sentences(table, "satisfaction", labels, lang)
    assert not any("0–100" in s for s in out)
    if lang == "zh":
        assert out[1].endswith("居民满意度比两者各自效果之和多1.0分（95%置信区间 0.5–1.5），二者相互促进。")
    else:
        assert all(s[0].isupper() for s in out)
