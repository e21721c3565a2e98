"""Verification of problem arrivals against the Poisson model they implement.

Problems of each kind arise in each building as independent Poisson counts
(docs/ODD.md, submodel "Arrival"). The model draws one Poisson total a day
and splits it over (building, kind) cells in proportion to their rates, which
by the splitting property of the Poisson distribution gives exactly those
independent counts. These tests would fail if the split were biased towards
some cells, or if counts were over- or under-dispersed or correlated.
"""

from __future__ import annotations

import numpy as np

from sim import GovernanceModel
from sim.model.params import PROBLEM_KINDS
from sim.model.sampling import poisson_cells


def test_split_total_gives_independent_poisson_counts_per_cell():
    rate = np.array([0.0, 0.2, 1.5, 0.0, 3.0, 0.05])
    rng = np.random.default_rng(7)
    reps = 40_000
    counts = np.array([np.bincount(poisson_cells(rng, np.cumsum(rate)), minlength=len(rate)) for _ in range(reps)])
    mean, var = counts.mean(axis=0), counts.var(axis=0)
    se = np.sqrt(np.maximum(rate, 1e-12) / reps)
    assert np.all(np.abs(mean - rate) < 4 * se + 1e-12)  # right mean in every cell, none in cells without a rate
    assert np.all(counts[:, rate == 0] == 0)
    live = rate > 0.1
    assert np.allclose(var[live] / rate[live], 1.0, atol=0.05)  # Poisson: variance equals mean
    corr = np.corrcoef(counts[:, live].T)[np.triu_indices(int(live.sum()), 1)]
    assert np.all(np.abs(corr) < 0.03)  # independent cells (a fixed total would correlate them negatively)


def test_split_returns_cells_in_order_and_handles_no_rate():
    rng = np.random.default_rng(1)
    cells = poisson_cells(rng, np.cumsum(np.full(50, 2.0)))
    assert np.all(np.diff(cells) >= 0) and cells.min() >= 0 and cells.max() < 50
    assert len(poisson_cells(rng, np.zeros(5))) == 0
    assert len(poisson_cells(rng, np.zeros(0))) == 0


def test_model_arrivals_follow_building_and_kind_rates():
    model = GovernanceModel(scenario="scenarios/baseline.toml", rng=3)
    days = 300
    daily = []
    for _ in range(days):
        before = model.problems.n
        model.step()
        daily.append(model.problems.n - before)
    daily = np.array(daily)
    expected = float(model._arrival_cum[-1])
    # the day's count is Poisson: mean and variance both equal the total rate
    assert abs(daily.mean() - expected) < 4 * np.sqrt(expected / days)
    assert 0.8 < daily.var() / expected < 1.2
    # kinds arise in proportion to their rates
    kind = model.problems.view("kind")
    share = np.bincount(kind, minlength=len(PROBLEM_KINDS)) / len(kind)
    rate = model._kind_rate / model._kind_rate.sum()
    assert np.all(np.abs(share - rate) < 4 * np.sqrt(rate * (1 - rate) / len(kind)))
    # buildings in proportion to residents times pressure
    building = np.bincount(model.problems.view("building"), minlength=model.n_buildings)
    load = model._building_load / model._building_load.sum() * len(kind)
    chi2 = float(((building - load) ** 2 / np.maximum(load, 1e-9))[load > 0].sum())
    dof = int((load > 0).sum()) - 1
    assert chi2 < dof + 4 * np.sqrt(2 * dof)
