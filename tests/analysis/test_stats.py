"""Interval and effect arithmetic against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis.stats import bands, fieller_ratio, mean_ci, paired_effect

T4 = 2.7764451051977987  # t(0.975, df=4)
T3 = 3.1824463052842638  # t(0.975, df=3)
T2 = 4.302652729911275  # t(0.975, df=2)


def test_mean_ci_is_t_based():
    e = mean_ci([1, 2, 3, 4, 5])
    # mean 3, sd sqrt(2.5), se sqrt(2.5)/sqrt(5) = sqrt(0.5)
    half = T4 * math.sqrt(0.5)
    assert e.mean == pytest.approx(3.0)
    assert (e.low, e.high) == pytest.approx((3 - half, 3 + half))
    assert e.n == 5 and e.clear


def test_mean_ci_leaves_out_nan_and_has_no_interval_for_one_run():
    assert mean_ci([2.0, float("nan"), 4.0]).n == 2
    one = mean_ci([7.0])
    assert one.mean == 7.0 and math.isnan(one.low) and not one.clear
    assert mean_ci([]).n == 0


def test_paired_effect_uses_per_replication_differences():
    base = pd.DataFrame({"replication": [0, 1, 2, 3], "y": [10.0, 12.0, 11.0, 13.0]})
    treated = pd.DataFrame({"replication": [3, 2, 1, 0], "y": [16.0, 13.0, 15.0, 12.0]})  # order must not matter
    e = paired_effect(treated, base, "y")
    # differences 2, 3, 2, 3: mean 2.5, sd sqrt(1/3), se sqrt(1/3)/2
    half = T3 * math.sqrt(1 / 3) / 2
    assert e.mean == pytest.approx(2.5)
    assert (e.low, e.high) == pytest.approx((2.5 - half, 2.5 + half))
    # Pairing removes the noise both arms share: far narrower than two separate intervals.
    separate = mean_ci(treated["y"]).high - mean_ci(treated["y"]).low
    assert e.high - e.low < separate / 3


def test_paired_effect_uses_only_replications_both_arms_finished():
    base = pd.DataFrame({"replication": [0, 1, 2], "y": [1.0, 2.0, 3.0]})
    treated = pd.DataFrame({"replication": [0, 2], "y": [2.0, 5.0]})
    e = paired_effect(treated, base, "y")
    assert e.n == 2 and e.mean == pytest.approx(1.5)


def test_fieller_ratio_with_a_constant_gain_is_the_cost_interval_over_the_gain():
    e = fieller_ratio([10.0, 12.0, 14.0], [2.0, 2.0, 2.0])
    half = T2 * 2 / math.sqrt(3)  # cost: mean 12, sd 2
    assert e.mean == pytest.approx(6.0)
    assert (e.low, e.high) == pytest.approx(((12 - half) / 2, (12 + half) / 2))


def test_fieller_bounds_are_where_the_t_test_of_cost_minus_r_gain_is_just_significant():
    rng = np.random.default_rng(3)
    gain = 50 + rng.normal(0, 8, 10)
    cost = 1000 + 18 * gain + rng.normal(0, 60, 10)
    e = fieller_ratio(cost, gain)
    t = float(__import__("scipy").stats.t.ppf(0.975, 9))
    for r in (e.low, e.high):
        d = cost - r * gain
        assert abs(d.mean()) / (d.std(ddof=1) / math.sqrt(10)) == pytest.approx(t, rel=1e-9)
    assert e.low < e.mean < e.high


def test_fieller_ratio_is_unbounded_when_the_gain_is_not_clear():
    e = fieller_ratio([10.0, 12.0, 14.0], [1.0, -1.0, 0.5])
    assert math.isinf(e.high)


def test_daily_bands():
    series = pd.DataFrame({"day": [0, 0, 0, 1, 1, 1], "y": [1.0, 2.0, 3.0, 2.0, 2.0, 2.0]})
    b = bands(series, "y").set_index("day")
    half = T2 * 1 / math.sqrt(3)
    assert (b.loc[0, "low"], b.loc[0, "high"]) == pytest.approx((2 - half, 2 + half))
    assert b.loc[1, "low"] == b.loc[1, "high"] == 2.0
