"""The factorial analysis recovers known main effects and a synergy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis import load
from sim.analysis.factorial import analyse, cells, contributions, detect

from .conftest import factorial_rows, manifest_for, write_store

FACTORS = ["party_network", "points_incentive", "volunteer_teams"]


def truth(on: dict, replication: int, noise: float = 0.0, rng=None) -> float:
    """0/1 model: A adds 3, B adds 2, C adds 1, A and B together add 1.5 more; replications shift everything."""
    a, b, c = (float(on[f]) for f in FACTORS)
    value = 10 + 3 * a + 2 * b + 1 * c + 1.5 * a * b + [0.0, 0.7, -0.4, 0.2][replication]
    return value + (rng.normal(0, noise) if rng is not None else 0.0)


def coded(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({f: np.where(rows[f"mechanisms.{f}.enabled"], 1.0, -1.0) for f in FACTORS} | {"replication": rows["replication"], "y": rows["participation_rate"]})


def test_recovers_main_effects_and_synergy_exactly_without_noise():
    rows, _ = factorial_rows(FACTORS, 4, truth)
    table = analyse(coded(rows), FACTORS, "y").set_index("term")
    # Average effect of switching A on = 3 + 1.5 x (share of cells with B on) = 3.75.
    assert table.loc["party_network", "effect"] == pytest.approx(3.75)
    assert table.loc["points_incentive", "effect"] == pytest.approx(2.75)
    assert table.loc["volunteer_teams", "effect"] == pytest.approx(1.0)
    assert table.loc["party_network × points_incentive", "effect"] == pytest.approx(1.5)
    assert table.loc["party_network × volunteer_teams", "effect"] == pytest.approx(0.0, abs=1e-9)
    assert set(table["kind"]) == {"main", "synergy"}


TRUE = {"party_network": 3.75, "points_incentive": 2.75, "volunteer_teams": 1.0,
        "party_network × points_incentive": 1.5, "party_network × volunteer_teams": 0.0, "points_incentive × volunteer_teams": 0.0}


def test_intervals_are_95_percent_intervals_under_noise():
    exact = coded(factorial_rows(FACTORS, 4, truth)[0])
    rng = np.random.default_rng(0)
    covered = dict.fromkeys(TRUE, 0)
    trials = 200
    for _ in range(trials):
        noisy = exact.assign(y=exact["y"] + rng.normal(0, 0.3, len(exact)))
        table = analyse(noisy, FACTORS, "y").set_index("term")
        for term, value in TRUE.items():
            covered[term] += table.loc[term, "low"] < value < table.loc[term, "high"]
    for term, hits in covered.items():
        assert 0.89 <= hits / trials <= 0.99, (term, hits)


def test_a_clear_synergy_is_told_apart_from_none():
    rng = np.random.default_rng(3)
    rows, _ = factorial_rows(FACTORS, 4, lambda on, r: truth(on, r, noise=0.3, rng=rng))
    table = analyse(coded(rows), FACTORS, "y").set_index("term")
    assert table.loc["party_network × points_incentive", "low"] > 0
    assert table.loc["party_network × volunteer_teams", "low"] < 0 < table.loc["party_network × volunteer_teams", "high"]


def test_aliased_interactions_fall_back_to_main_effects():
    # a half fraction 2^(3-1) with C = A*B: interactions cannot be told from main effects
    design = pd.DataFrame({"A": [-1, 1, -1, 1] * 2, "B": [-1, -1, 1, 1] * 2, "replication": [0] * 4 + [1] * 4})
    design["C"] = design["A"] * design["B"]
    design["y"] = 5 + 2 * design["A"] + design["B"] + 0.01 * np.arange(8)
    table = analyse(design, ["A", "B", "C"], "y")
    assert list(table["kind"]) == ["main"] * 3
    assert table.set_index("term").loc["A", "effect"] == pytest.approx(4.0, abs=0.05)


def test_detects_a_factorial_store(tmp_path):
    rows, points = factorial_rows(FACTORS, 2, truth)
    sweep = {"method": "grid", "parameters": {f"mechanisms.{f}.enabled": [False, True] for f in FACTORS}}
    folder = write_store(tmp_path / "f", rows, manifest_for("f", ["licheng"], 2, points=points, sweep=sweep))
    results = load(folder)
    design = detect(results)
    assert design is not None and design.factors == FACTORS
    found = cells(results, design)
    assert set(found) == {"all_off", "all_on", *FACTORS}
    assert dict(found["all_off"].setting) == {f"mechanisms.{f}.enabled": False for f in FACTORS}
    table = contributions(results, design, ["participation_rate"]).set_index("term")
    assert table.loc["party_network", "effect"] == pytest.approx(3.75)


def test_a_sweep_that_is_not_over_switches_is_no_factorial(tmp_path):
    rows, points = factorial_rows(FACTORS[:2], 1, lambda on, r: 0.25)
    sweep = {"method": "grid", "parameters": {"mechanisms.points_incentive.yuan_per_point": [0.5, 1.0], "mechanisms.party_network.enabled": [False, True]}}
    folder = write_store(tmp_path / "g", rows, manifest_for("g", ["licheng"], 1, points=points, sweep=sweep))
    assert detect(load(folder)) is None
