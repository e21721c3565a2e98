"""digital_platform: online reporting is easier, sensors find safety problems, warnings steer patrols, referrals travel faster."""

import numpy as np

from sim.model.params import PROBLEM_KINDS
from sim.mechanisms.digital_platform import COMPLAINTS
from sim.model.problems import CHANNELS
from tests.conftest import run_model

ON = {"mechanisms.digital_platform.enabled": True}


def _platform(model):
    return next(m for m in model.mechanisms if m.name == "digital_platform")


def test_online_residents_report_more_easily():
    off = run_model(days=0, rng=4)
    on = run_model(days=0, rng=4, **ON)
    R, users = on.residents, _platform(on).users
    before, after = off.residents.report_ease, R.report_ease
    assert users.sum() > 0.5 * R.online.sum() and not users[~R.online].any()
    assert (after[users] > before[users]).all()
    assert (after[~users] == before[~users]).all()
    # the employed gain most: the platform removes most of their offline cost
    employed, other = users & R.employed, users & ~R.employed
    assert (after[employed] / before[employed]).mean() > (after[other] / before[other]).mean() + 0.5


def test_sensors_discover_safety_problems_in_covered_buildings():
    often = {"problems.kinds.safety.rate": 0.5}  # enough safety problems to see the alarms' timing
    half = {"mechanisms.digital_platform.sensor_coverage": 0.5, "mechanisms.digital_platform.sensor_detectable_share": 1.0}
    off = run_model(days=120, rng=4, **often)
    on = run_model(days=120, rng=4, **often, **ON, **half)
    sensor = CHANNELS["sensor"]
    assert (off.problems.view("channel") == sensor).sum() == 0
    P, covered = on.problems, _platform(on).sensor
    assert covered.sum() == on.n_buildings // 2 and on.building_age[covered].min() >= on.building_age[~covered].max()
    alarms = P.view("channel") == sensor
    safety = (P.view("kind") == PROBLEM_KINDS.index("safety")) & ~np.isnan(P.view("discovered"))
    assert alarms.sum() >= 30
    assert (P.view("kind")[alarms] == PROBLEM_KINDS.index("safety")).all()
    assert covered[P.view("building")[alarms]].all()
    # sensors find most safety problems in the buildings they cover
    in_covered = safety & covered[P.view("building")]
    assert alarms.sum() > 0.6 * in_covered.sum()
    # an alarm mostly comes within a day of the problem arising (a missed reading is retried the next day)
    delay = P.view("discovered")[alarms] - P.view("arose")[alarms]
    assert (delay < 1.0).mean() > 0.75 and delay.max() < 4.0


def test_four_colour_warning_moves_admin_time_to_quiet_zones():
    model = run_model(days=60, rng=4, **ON)
    g, mech = model.gridworkers, _platform(model)
    base = g.admin_share / mech.factor
    # administrative hours of the community are unchanged, only moved between zones
    assert np.isclose((g.hours * g.admin_share).sum(), (g.hours * base).sum(), rtol=1e-4)
    P = model.problems
    # the grade counts residents' own complaints over the window, not what patrols and others find
    found = P.view("discovered")
    recent = (found >= model.day - mech.params.warning_window_days) & (found < model.day)
    complaint = np.isin(P.view("channel"), COMPLAINTS)
    assert (recent & ~complaint).sum() > 10
    by_zone = np.bincount(model.building_zone[P.view("building")[recent & complaint]], minlength=model.n_zones)
    assert (mech.complaints == by_zone).all()
    complaints = by_zone / mech.zone_residents
    busiest, quietest = np.argmax(complaints), np.argmin(complaints)
    # the busiest zone's workers patrol with time the quietest zone's workers now spend on paperwork
    patrol_share = g.patrol_hours() / np.maximum(g.hours, 1e-9)
    on_duty = g.filled
    assert g.admin_share[(g.zone == busiest) & on_duty].max() < 0.8 * g.admin_share[(g.zone == quietest) & on_duty].min()
    assert patrol_share[(g.zone == busiest) & on_duty].min() > 1.2 * patrol_share[(g.zone == quietest) & on_duty].max()


def test_referrals_reach_departments_sooner():
    def referral_delay(model):
        P = model.problems
        referred = np.isin(P.view("pool"), model.department_pool) & P.view("big")
        return float(np.nanmean(P.view("ready")[referred] - P.view("discovered")[referred]))

    bigger = {"world.residents": 6000}  # enough referrals for stable means
    off = run_model(days=150, rng=4, **bigger)
    on = run_model(days=150, rng=4, **bigger, **ON)
    assert referral_delay(on) < 0.75 * referral_delay(off)


def test_shared_data_cuts_every_gridworkers_admin_time():
    quiet = {**ON, "mechanisms.digital_platform.patrol_shift": 0.0}  # the four-colour shift off: the cut alone
    none = run_model(days=30, rng=3, **quiet, **{"mechanisms.digital_platform.data_admin_cut": 0.0})
    cut = run_model(days=30, rng=3, **quiet, **{"mechanisms.digital_platform.data_admin_cut": 0.3})
    g0, g1 = none.gridworkers, cut.gridworkers
    assert np.allclose(g1.admin_share, 0.7 * g0.admin_share, rtol=1e-5)  # a post keeps its share across holders
    assert cut.summary()["patrol_hours_per_gridworker_day"] > none.summary()["patrol_hours_per_gridworker_day"] * 1.1
