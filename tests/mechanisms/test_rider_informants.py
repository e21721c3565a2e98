"""rider_informants: riders pass many buildings a day and report hazards through the rider channel."""

import numpy as np

from sim.model.params import PROBLEM_KINDS
from sim.model.problems import CHANNELS
from tests.conftest import run_model

# A thinly patrolled grid (most gridworker time goes to paperwork) with a few more riders.
THIN = {"gridworkers.admin_share": 0.9, "population.rider_share": 0.03}
ON = {"mechanisms.rider_informants.enabled": True}
HAZARDS = [PROBLEM_KINDS.index(k) for k in ("safety", "facilities", "environment")]


def _discovery_delay(model) -> float:
    P = model.problems
    delay = P.view("discovered") - P.view("arose")
    hazard = np.isin(P.view("kind"), HAZARDS) & ~np.isnan(delay)
    return float(delay[hazard].mean())


def test_riders_report_hazards_through_the_rider_channel():
    off = run_model(days=60, rng=2, **THIN)
    on = run_model(days=60, rng=2, **THIN, **ON)
    rider = CHANNELS["rider"]
    assert (off.problems.view("channel") == rider).sum() == 0
    P, R = on.problems, on.residents
    by_rider = P.view("channel") == rider
    assert by_rider.sum() >= 10
    assert np.isin(P.view("kind")[by_rider], HAZARDS).all()  # only hazards
    assert R.rider[P.view("reporter")[by_rider]].all()  # reported by riders
    # hazards are found sooner where riders look
    assert _discovery_delay(on) < 0.7 * _discovery_delay(off)
    # reporting counts as taking part: riders are active, and earn points
    assert R.active(on.day)[R.rider].mean() > off.residents.active(off.day)[off.residents.rider].mean() + 0.05
    summary = on.summary()
    assert summary["rider_informants.reports"] == by_rider.sum()
    assert summary["rider_informants.cost_yuan_per_year"] > 0


def test_no_appointed_riders_no_reports():
    model = run_model(days=20, rng=2, **THIN, **ON, **{"mechanisms.rider_informants.enrolment_share": 0.0})
    assert (model.problems.view("channel") == CHANNELS["rider"]).sum() == 0
