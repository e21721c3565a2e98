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
    assert R.ratio_text(109_321, 60_307, 500_914, 1.0, 5e5, "zh") == "109,000 [60,300, 501,000]"  # was '109,321 [60,307, 500,914]'
    html = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    assert "基线：基线" not in html
