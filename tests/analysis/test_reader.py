"""What a decision-maker reading the report needs: the ranking first, colours that mean better
or worse, a fall given with the interval of the fall, no developer's commands, no false precision.

Each test failed before its fix (a review from a district official's point of view).
"""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from sim.analysis import findings, write_report
from sim.analysis import report as R
from sim.analysis import text as T
from sim.analysis.cli import report as report_command

from .conftest import manifest_for, run_row, write_store


def effects(*rows: tuple[str, str, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame([{"arm": a, "baseline": "base", "metric": m, "effect": e, "low": lo, "high": hi, "n": 8} for a, m, e, lo, hi in rows],
                        columns=["arm", "baseline", "metric", "effect", "low", "high", "n"])


# ---------------------------------------------------------------------- colours and signs
def test_cells_are_coloured_by_better_or_worse_not_by_up_or_down():
    assert T.change_class("gridworker_turnover", -0.07, -0.004) == "better"  # fewer quits: was red
    assert T.change_class("participation_rate", -0.02, -0.01) == "worse"
    assert T.change_class("mean_days_in_system", 0.2, 1.3) == "worse"
    assert T.change_class("total_cost", 20_000, 30_000) == ""  # what a cost buys is in the cost table
    assert T.change_class("satisfaction", -0.01, 0.02) == ""  # not clear


def test_a_fall_is_given_with_the_interval_of_the_fall_in_both_languages():
    fall = T.Effect(-0.8, -1.3, -0.2)
    assert T.effect_phrase("mean_days_in_system", fall, "zh") == "问题平均滞留时间缩短0.8天（95%置信区间 0.2–1.3）"
    assert T.effect_phrase("mean_days_in_system", fall, "en").endswith("falls by 0.8 days (95% CI 0.2–1.3)")
    # no clear change keeps its signed interval: there is no direction to name
    assert "−0.5 至 0.2" in T.effect_phrase("resolution_rate", T.Effect(-0.2, -0.5, 0.2), "zh")


def test_an_unclear_change_gets_no_extra_digits_a_clear_small_one_does():
    assert T.digits_for("resolution_rate", -0.3, -22.8, 22.2) == 1  # was '−0.003 [−0.228, 0.222]'
    assert T.digits_for("participation_rate", 0.06, 0.02, 0.10) == 2  # '+0.06 [0.02, 0.10]', not '+0.1 [0.0, 0.1]'


def test_a_fixed_cost_has_no_interval_of_one_value():
    assert T.yuan_estimate(22_000, 22_000, 22_000, "zh", signed=True) == "+2.2 万元"  # was '+2.2 万元 [2.2–2.2 万元]'
    assert T.yuan_estimate(29_000, 22_000, 35_000, "zh", signed=True) == "+2.9 万元 [2.2–3.5 万元]"


def test_a_table_cell_breaks_only_before_its_interval():
    text = R.cell("+2.9 万元 [2.2–3.5 万元]")["text"]
    before, interval = text.split(" ", 1)
    assert " " not in interval and "–" in interval and before == "+2.9\u00a0万元"
    assert R.cell("积分制 (x=1)")["text"] == "积分制 (x=1)"  # a label is left alone


# ---------------------------------------------------------------------- the lead sentences
def test_the_lead_ranks_clear_gains_and_names_side_effects():
    table = effects(
        ("a", "participation_rate", 0.060, 0.055, 0.066), ("b", "participation_rate", 0.038, 0.031, 0.045),
        ("c", "participation_rate", 0.024, 0.021, 0.028), ("d", "participation_rate", 0.011, 0.010, 0.012),
        ("e", "participation_rate", 0.090, -0.01, 0.19),  # large but not clear: not ranked
        ("a", "resolution_rate", -0.001, -0.005, 0.003), ("c", "satisfaction", -0.012, -0.015, -0.010),
        ("d", "gridworker_turnover", -0.05, -0.08, -0.01),  # a fall of turnover is no side effect
    )
    labels = {k: k.upper() for k in "abcde"}
    participation, resolution, side = findings.lead_sentences(table, labels, "zh")
    assert participation == "居民参与率提高最多的是：A（+6.0个百分点）、B（+3.8个百分点）、C（+2.4个百分点）；另有1个方案也明确提高。"
    assert resolution == "没有方案使问题解决率明确提高。"
    assert side == "需要注意的副作用：C（居民满意度降低1.2分）。"
    en = findings.lead_sentences(table, labels, "en")
    assert en[0].startswith("Participation rises most with: A (+6.0 percentage points), B") and en[2] == "Side effects to weigh: C (satisfaction falls by 1.2 points)."


def test_the_report_leads_with_the_ranking_and_says_what_the_numbers_are(comparison_store):
    html = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    findings_part = html.split("<h2>主要结论</h2>")[1]
    assert findings_part.index("居民参与率提高最多的是：积分制") < findings_part.index("引入“积分制”后")
    assert "这些数字来自模拟，不是预测：模拟一个约2,000名成年居民的社区，运行365天，每个方案重复4次" in html
    assert "govsim run experiments/synthetic_comparison.toml --out " in html  # a command that writes where these results are
    import json

    manifest = json.loads((comparison_store / "manifest.json").read_text(encoding="utf-8"))
    manifest["configs"]["baseline"]["world"] = {"communities": 81}  # a district is not 'a community'
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert "81 communities of about 2,000 adults" in write_report(comparison_store, lang="en").read_text(encoding="utf-8")


def test_identical_paired_runs_read_identical_not_a_measured_zero(tmp_path):
    rows = []
    for r in range(3):
        rows.append(run_row("baseline", r, participation_rate=0.25 + 0.01 * r))
        rows.append(run_row("points_incentive", r, participation_rate=0.29 + 0.01 * r, total_cost=760_000.0))
    store = write_store(tmp_path / "same", pd.DataFrame(rows), manifest_for("same", ["baseline", "points_incentive"], 3))
    html = write_report(store, lang="en").read_text(encoding="utf-8")
    assert "0 (identical)" in html  # turnover: the same in every pair
    assert "+10k yuan</td>" in html  # a fixed extra cost, without '[10k–10k yuan]'


def test_no_maps_means_no_empty_section_and_a_note_for_whoever_made_the_report(comparison_store):
    result = CliRunner().invoke(report_command, [str(comparison_store), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert f"govsim snapshot {comparison_store}" in result.output  # stderr, mixed in by the runner
    html = (comparison_store / "report.html").read_text(encoding="utf-8")
    assert "govsim snapshot" not in html and "Where it happens" not in html


def test_a_sweep_of_one_scenario_names_its_points_by_their_settings(tmp_path):
    points = [{"mechanisms.points_incentive.yuan_per_point": v} for v in (0.25, 1.0)]
    rows = [run_row("points_incentive", r, point=p, participation_rate=0.25 + 0.02 * p + 0.01 * r, **points[p]) for p in range(2) for r in range(3)]
    manifest = manifest_for("sweep", ["points_incentive"], 3, points=points, sweep={"method": "grid", "parameters": {"mechanisms.points_incentive.yuan_per_point": [0.25, 1.0]}})
    html = write_report(write_store(tmp_path / "sweep", pd.DataFrame(rows), manifest), lang="zh").read_text(encoding="utf-8")
    assert "取yuan_per_point=1.0时，居民参与率提高" in html  # not '引入“积分制 (yuan_per_point=1.0)”后': the scheme is on at every point
    assert "积分制 (yuan_per_point" not in html


def test_a_short_run_says_its_yearly_costs_are_scaled(comparison_store):
    import json

    manifest = json.loads((comparison_store / "manifest.json").read_text(encoding="utf-8"))
    manifest["days"] = 120
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    html = write_report(comparison_store, lang="en").read_text(encoding="utf-8")
    assert "these runs last 120 days, so costs and gains are scaled by 365/120" in html


def test_ctrl_c_while_the_batch_report_is_written_exits_130_with_the_runs_kept(tmp_path, monkeypatch):
    import sim.cli
    from sim.cli import main
    from tests.experiment.conftest import experiment_text

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.cli, "write_batch_report", interrupted)
    path = tmp_path / "e.toml"
    path.write_text(experiment_text(name="e", scenarios=("baseline",), replications=1, days=2), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "r"), "--executor", "serial"])
    assert result.exit_code == 130 and "every run is stored" in result.output and "Aborted" not in result.output
    assert len(pd.read_parquet(tmp_path / "r" / "e" / "runs.parquet")) == 1


def test_costs_per_unit_have_three_significant_figures_and_the_footer_no_echo(comparison_store):
    assert T.significant(109_321) == 109_000 and T.significant(6_346) == 6_350 and T.significant(325.4) == 325
    assert R.ratio_text(109_321, 60_307, 500_914, 1.0, 5e5, "zh") == "109,000 [60,300–501,000]"  # was '109,321 [60,307, 500,914]'
    html = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    assert "基线：基线" not in html


# ---------------------------------------------------------------------- the seed-systems and factorial reports
def synergy_store(tmp_path):
    """Party network and points incentives reinforce each other; the preset keeps a platform on in every cell."""
    from .conftest import factorial_rows

    factors = ["party_network", "points_incentive"]
    shift = [0.0, 0.01, -0.01]
    rows, points = factorial_rows(factors, 3, lambda on, r: 0.25 + 0.01 * on["party_network"] + 0.04 * on["party_network"] * on["points_incentive"] + shift[r])
    sweep = {"method": "grid", "parameters": {f"mechanisms.{f}.enabled": [False, True] for f in factors}}
    manifest = manifest_for("licheng_contributions", ["licheng"], 3, points=points, sweep=sweep)
    manifest["configs"]["licheng"]["mechanisms"] = {"party_network": {"enabled": True}, "points_incentive": {"enabled": True},
                                                    "digital_platform": {"enabled": True}, "micro_venture": {"enabled": False}}
    return write_store(tmp_path / "licheng_contributions", rows, manifest)


def test_a_main_effect_is_an_average_not_what_it_does_whatever_else_is_on(tmp_path):
    # party network alone adds 1 point, with points incentives 5: 'whatever else is on, +3' contradicted the cell 'only party network'
    folder = synergy_store(tmp_path)
    zh = write_report(folder, lang="zh").read_text(encoding="utf-8")
    assert "无论其他机制是否开启" not in zh and "红网格：对其他机制的各种开关组合取平均，居民参与率提高3.0个百分点" in zh
    assert "单独开启某项机制的效果（见上文）可能不同于其平均效果" in zh
    assert "每20对中平均也会有1对偶然显得“明确”（本实验检验了 1 对）" in zh  # a synergy is said with how uncertain it is
    en = write_report(folder, lang="en", out=folder / "report.en.html").read_text(encoding="utf-8")
    assert "whatever else is on" not in en and "Party network: averaged over every on/off setting of the others, participation rises by 3.0" in en
    assert "about 1 pair in 20 would still look clear by chance" in en
    assert "<td>Party network × points incentives</td>" in en  # row labels capitalised, as in the other tables


def test_all_switched_off_says_what_the_preset_keeps_on(tmp_path):
    folder = synergy_store(tmp_path)
    zh = write_report(folder, lang="zh").read_text(encoding="utf-8")
    assert "“全部关闭”只关闭所比较的 2 项机制" in zh and "仍开启的机制有：一网统管。" in zh and "微创投" not in zh
    en = write_report(folder, lang="en", out=folder / "report.en.html").read_text(encoding="utf-8")
    assert "these mechanisms stay on: digital platform." in en and "is not the baseline scenario, and every figure here holds" in en


def test_one_more_option_raises_it_in_the_singular():
    rows = [(f"arm{i}", "participation_rate", 0.01 * (i + 1), 0.005, 0.02 + 0.01 * i) for i in range(4)]
    leads = findings.lead_sentences(effects(*rows), {f"arm{i}": f"Arm {i}" for i in range(4)}, "en")
    assert leads[0].endswith("; 1 more raises it clearly.")


def test_arm_colours_are_not_the_colours_of_better_and_worse():
    # Donghu was drawn red and Yuyao green in the level charts, right above charts where red means clearly worse
    from matplotlib.colors import rgb_to_hsv, to_rgb

    from sim.analysis.figures import DOWN, PALETTE, UP

    def hue(colour: str) -> float:
        return 360 * rgb_to_hsv(to_rgb(colour))[0]

    for colour in PALETTE:
        if rgb_to_hsv(to_rgb(colour))[1] < 0.5:  # a dull brown or plum is not read as a signal
            continue
        for signal in (UP, DOWN):
            apart = abs(hue(colour) - hue(signal))
            assert min(apart, 360 - apart) > 20, (colour, signal)


def test_a_cost_table_interval_of_thousands_reads_as_two_numbers():
    costs = pd.DataFrame([{"arm": "a", "cost": 6.2e5, "cost_low": 6.0e5, "cost_high": 6.4e5, "participants": 1165.0, "participants_low": 1119.0,
                           "participants_high": 1212.0, "per_participant": 533.0, "per_participant_low": 510.0, "per_participant_high": 557.0,
                           "avoided": 42.0, "avoided_low": 36.0, "avoided_high": 48.0, "per_avoided": 14_783.0, "per_avoided_low": 12_800.0, "per_avoided_high": 17_500.0}])
    view = R.View([], {"a": "Licheng"}, lambda arm: arm)
    texts = [c["text"].replace("\u2060", "") for c in R.costs_html(costs, view, "zh")["rows"][0]]
    assert texts[2] == "1,165 [1,119–1,212]" and texts[5] == "14,800 [12,800–17,500]"  # was '1,165 [1,119, 1,212]'


def test_maps_of_some_options_say_which_and_why(comparison_store):
    from .test_report import add_spatial

    add_spatial(comparison_store, communities=True)  # baseline and points incentives, of three arms; two communities
    zh = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    assert "为节省篇幅，只画出基线和积分制的地图（基线与平均参与率最高的方案）。" in zh
    assert "粗黑线为社区边界" in zh and "各社区比较（地图所示运行，期末）" in zh and "不是多次重复的平均值" in zh
    en = write_report(comparison_store, lang="en").read_text(encoding="utf-8")
    assert "To save space only Baseline and Points incentives are mapped (the baseline and the option with the highest mean participation)." in en
    assert "thick black lines community boundaries" in en and "Communities compared (the mapped runs, last day)" in en


def test_the_time_series_marks_scheduled_events_and_says_what_they_are(comparison_store, monkeypatch):
    # Licheng's participation steps up on its drill days and down 30 days later: nothing said why
    import json

    from matplotlib.figure import Figure

    from sim.analysis import figures

    manifest = json.loads((comparison_store / "manifest.json").read_text(encoding="utf-8"))
    manifest["scheduled"] = [{"scenario": "points_incentive", "kind": "mechanism", "name": "emergency_conversion", "days": [5, 15], "points": [0]},
                             {"scenario": "whistle_escalation", "kind": "shock", "name": "flood", "days": [5], "points": [0]}]
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    drawn = []
    original = figures.Painter.save

    def keep(self, fig: Figure, name: str):
        drawn.append((name, fig))
        return original(self, fig, name)

    monkeypatch.setattr(figures.Painter, "save", keep)
    zh = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    assert "横轴上的三角标出按计划发生的事（颜色同方案）：积分制——平战转化（第5、15天）；吹哨报到——汛情（第5天）。" in zh
    ax = dict(drawn)["time_series"].axes[0]
    triangles = [line for line in ax.lines if line.get_marker() == "^"]
    assert sorted(list(t.get_xdata()) for t in triangles) == [[5], [5, 15]]
    assert sorted(y for t in triangles for y in t.get_ydata()) == [0.0, 0.0, 0.04]  # the second mark on day 5 stacked above the first
    en = write_report(comparison_store, lang="en", out=comparison_store / "report.en.html").read_text(encoding="utf-8")
    assert "Points incentives – emergency conversion (days 5, 15); Whistle and report – flood (day 5)." in en
