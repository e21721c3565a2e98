"""Comparison, paired effects and cost-effectiveness on a synthetic store."""

from __future__ import annotations

import math

import pytest

from sim.analysis import load
from sim.analysis.compare import cost_effectiveness, effect_table, efficient_frontier, summary_table

T3 = 3.1824463052842638  # t(0.975, df=3)
T2 = 4.302652729911275  # t(0.975, df=2)


def test_store_is_read_with_failures_and_arms(comparison_store):
    results = load(comparison_store)
    assert results.baseline == "baseline"
    assert [a.id for a in results.arms] == ["baseline", "points_incentive", "whistle_escalation"]
    assert len(results.done) == 11 and len(results.failed) == 1
    assert results.failed.iloc[0]["scenario"] == "whistle_escalation"
    assert len(results.config_hash) == 12
    assert set(results.series()["scenario"]) == {"baseline", "points_incentive", "whistle_escalation"}


def test_summary_interval(comparison_store):
    results = load(comparison_store)
    table = summary_table(results, results.arms, ["participation_rate"]).set_index("arm")
    # baseline participation 0.24, 0.26, 0.25, 0.27: mean 0.255, sd sqrt(0.0005/3)
    half = T3 * math.sqrt(0.0005 / 3) / 2
    row = table.loc["baseline"]
    assert row["mean"] == pytest.approx(0.255)
    assert (row["low"], row["high"]) == pytest.approx((0.255 - half, 0.255 + half))
    assert table.loc["whistle_escalation", "n"] == 3  # the failed run is left out


def test_paired_effects(comparison_store):
    results = load(comparison_store)
    table = effect_table(results, results.arms, ["participation_rate", "total_cost"]).set_index(["arm", "metric"])
    # points incentives: +0.04, +0.05, +0.04, +0.05
    half = T3 * math.sqrt(1e-4 / 3) / 2
    row = table.loc[("points_incentive", "participation_rate")]
    assert row["effect"] == pytest.approx(0.045)
    assert (row["low"], row["high"]) == pytest.approx((0.045 - half, 0.045 + half))
    assert row["baseline"] == "baseline"
    cost = table.loc[("points_incentive", "total_cost")]
    assert cost["effect"] == pytest.approx(20_000) and cost["high"] - cost["low"] == pytest.approx(0, abs=1e-6)
    assert table.loc[("whistle_escalation", "participation_rate"), "n"] == 3
    assert "baseline" not in table.index.get_level_values("arm")


def test_cost_effectiveness(comparison_store):
    results = load(comparison_store)
    table = cost_effectiveness(results, results.arms).set_index("arm")
    points = table.loc["points_incentive"]
    assert points["cost"] == pytest.approx(20_000)  # a 365-day run: already a year
    assert points["participants"] == pytest.approx(0.045 * 2000)
    # cost is constant, so the ratio's interval is 20,000 over the participants' interval
    half = T3 * math.sqrt(1e-4 / 3) / 2 * 2000
    assert points["per_participant"] == pytest.approx(20_000 / 90)
    assert (points["per_participant_low"], points["per_participant_high"]) == pytest.approx((20_000 / (90 + half), 20_000 / (90 - half)))
    whistle = table.loc["whistle_escalation"]
    assert whistle["avoided"] == pytest.approx(40) and whistle["per_avoided"] == pytest.approx(200_000 / 40)  # same arrivals: 40 more resolved
    assert whistle["n"] == 3


def test_efficient_frontier():
    cost = [10.0, 20.0, 15.0, 30.0, 5.0]
    gain = [5.0, 9.0, 4.0, 8.0, -1.0]
    # 5 (cost 5) has no gain; 0 then 1 improve; 2 is beaten by 0; 3 is beaten by 1
    assert efficient_frontier(cost, gain) == [0, 1]
    # with intervals: 0's gain is not clearly above zero, so 2 (cheaper than 1) joins instead
    assert efficient_frontier(cost, gain, gain_low=[-1.0, 6.0, 2.0, 5.0, -3.0]) == [2, 1]


def test_an_arm_is_compared_with_itself_minus_the_mechanisms_it_adds(tmp_path):
    """emergency_conversion brings its own shocks: its reference is the same shocks without it, not the baseline."""
    import pandas as pd

    from sim.analysis.report import make_view
    from sim.scenario import load_scenario
    from tests.conftest import SCENARIOS

    from .conftest import manifest_for, run_row, write_store

    names = ["baseline", "emergency_conversion", "points_incentive", "shocks"]
    rows = [run_row(s, r, participation_rate=0.25 + 0.01 * r + {"emergency_conversion": 0.05, "shocks": 0.02}.get(s, 0.0)) for r in range(3) for s in names]
    manifest = manifest_for("ref", names, 3)
    manifest["configs"] = {s: load_scenario(SCENARIOS / f"{s}.toml").model_dump(mode="json") for s in names}
    results = load(write_store(tmp_path / "ref", pd.DataFrame(rows), manifest))
    assert results.reference_of("emergency_conversion") == "shocks"
    assert results.reference_of("points_incentive") == "baseline" and results.reference_of("shocks") == "baseline"
    effects = effect_table(results, results.arms, ["participation_rate"]).set_index("arm")["effect"]
    assert effects["emergency_conversion"] == pytest.approx(0.03)  # against the shocks, not 0.05 against the baseline
    view = make_view(results, "en")
    assert view.effect_label("emergency_conversion", "en") == "Emergency conversion (vs epidemic and flood only)"
    assert "shocks" not in view.baseline_ids  # drawn in its own colour, not the baseline's grey
    assert results.situations == {"shocks"}  # a situation to judge in, kept off the cost frontier


def test_a_reference_situation_is_not_priced(tmp_path):
    """The epidemic and flood alone is the situation emergency_conversion is judged in, not an option to buy."""
    import re

    import pandas as pd

    from sim.analysis import write_report
    from sim.scenario import load_scenario
    from tests.conftest import SCENARIOS

    from .conftest import manifest_for, run_row, write_store

    names = ["baseline", "emergency_conversion", "points_incentive", "shocks"]
    extra = {"emergency_conversion": (0.05, 3e5), "points_incentive": (0.02, 1e5), "shocks": (0.01, 0.0)}
    rows = [run_row(s, r, participation_rate=0.25 + 0.01 * r + extra.get(s, (0, 0))[0], total_cost=1e6 + 1e4 * r + extra.get(s, (0, 0))[1]) for r in range(4) for s in names]
    manifest = manifest_for("ref", names, 4)
    manifest["configs"] = {s: load_scenario(SCENARIOS / f"{s}.toml").model_dump(mode="json") for s in names}
    html = write_report(write_store(tmp_path / "ref", pd.DataFrame(rows), manifest), lang="en").read_text(encoding="utf-8")
    costs = re.search(r"Cost-effectiveness.*?</table>", html, re.S).group(0)
    assert "Points incentives" in costs and "Emergency conversion" in costs
    assert "Epidemic and flood only" not in costs and "epidemic and flood only</td>" not in costs
    assert "With epidemic and flood only, participation" in html  # a situation, named in lower case
    zh = write_report(tmp_path / "ref", lang="zh").read_text(encoding="utf-8")
    assert "遭遇疫情与汛情冲击时，居民参与率" in zh and "疫情与汛情冲击方案" not in zh


def test_preventing_problems_counts_as_a_gain(tmp_path):
    """Fewer problems arise and fewer are resolved, but fewer are left unresolved: a gain, not a loss."""
    import pandas as pd

    from .conftest import manifest_for, run_row, write_store

    rows = []
    for r in range(4):
        rows.append(run_row("baseline", r, problems_arisen=700.0 + r, problems_resolved=600.0 + r, total_cost=1e6))
        # property management: 100 fewer problems arise, 80 fewer resolved, so 20 fewer left unresolved
        rows.append(run_row("prevention", r, problems_arisen=600.0 + r + (r % 2), problems_resolved=520.0 + r, total_cost=1.01e6))
    folder = write_store(tmp_path / "prevent", pd.DataFrame(rows), manifest_for("prevent", ["baseline", "prevention"], 4))
    results = load(folder)
    row = cost_effectiveness(results, results.arms).set_index("arm").loc["prevention"]
    assert row["avoided"] == pytest.approx(19.5) and row["avoided_low"] > 0
    assert row["per_avoided"] == pytest.approx(10_000 / 19.5)
