"""tiered_training: tiers train their own capacities; generic training spreads the same effort."""

import numpy as np

from sim.model.gridworkers import BACKBONE, CAP, LEADER, NEW
from tests.conftest import run_model

BASE = {"gridworkers.quit_rate": 0.0, "world.zones": 8}  # no turnover: same holders on and off
ON = {"mechanisms.tiered_training.enabled": True, "mechanisms.tiered_training.schedule_day": 3, "mechanisms.tiered_training.session_days": 2}
GAIN = 0.15


def _runs(**extra):
    off = run_model(days=10, rng=8, **BASE)
    on = run_model(days=10, rng=8, **BASE, **ON, **extra)
    mech = next(m for m in on.mechanisms if m.name == "tiered_training")
    return off, on, mech


def test_each_tier_trains_its_own_capacities():
    off, on, mech = _runs()
    rows, tiers = mech.trainees, mech.tiers
    assert set(tiers) >= {NEW, BACKBONE}
    gap_off = 1 - off.gridworkers.capacity[rows]
    gap_on = 1 - on.gridworkers.capacity[rows]
    trained = {NEW: ("service", "mobilising"), BACKBONE: ("project", "deliberation"), LEADER: ("coordination", "innovation")}
    for tier, names in trained.items():
        sel = tiers == tier
        for name, j in CAP.items():
            expect = gap_off[sel, j] * (1 - GAIN) if name in names else gap_off[sel, j]
            assert np.allclose(gap_on[sel, j], expect, atol=1e-5), (tier, name)
    untrained = np.setdiff1d(np.arange(on.gridworkers.n), rows)
    assert np.allclose(on.gridworkers.capacity[untrained], off.gridworkers.capacity[untrained])
    assert on.summary()["tiered_training.trainee_days"] == 2 * len(rows)


def test_trainees_are_off_duty_and_do_not_burn_out_from_it():
    off = run_model(days=5, rng=8, **BASE)
    on = run_model(days=5, rng=8, **BASE, **ON)  # days 3 and 4 are training days
    assert on.summary()["patrol_hours_per_gridworker_day"] < off.summary()["patrol_hours_per_gridworker_day"] * 0.9
    assert np.allclose(on.gridworkers.admin_share, off.gridworkers.admin_share)  # restored after the session
    assert np.allclose(on.gridworkers.burnout, off.gridworkers.burnout, atol=1e-6)


def test_untiered_training_same_cost_spread_over_six():
    _, tiered, _ = _runs()
    off, generic, mech = _runs(**{"mechanisms.tiered_training.tiered": False})
    assert generic.summary()["tiered_training.cost_yuan_per_year"] == tiered.summary()["tiered_training.cost_yuan_per_year"] > 0
    gap_off = 1 - off.gridworkers.capacity[mech.trainees]
    gap_on = 1 - generic.gridworkers.capacity[mech.trainees]
    assert np.allclose(gap_on, gap_off * (1 - GAIN / 3), atol=1e-5)


def test_backbone_promoted_into_refilled_leader_post():
    from sim import GovernanceModel
    from tests.conftest import SMALL

    model = GovernanceModel(rng=8, overrides={**SMALL, **BASE, **ON})
    model.step()
    g = model.gridworkers
    leader = int(np.flatnonzero(g.tier == LEADER)[0])
    backbone = np.flatnonzero((g.tier == BACKBONE) & (g.community == g.community[leader]))
    best = int(backbone[np.argmax(g.capacity[backbone].mean(axis=1))])
    expected = g.capacity[best].copy()
    g.vacant_until[leader] = model.day + 1  # the leader left; the post is refilled tomorrow
    model.step()
    assert g.filled[leader] and g.tier[leader] == LEADER and g.tenure[leader] > 0
    assert np.allclose(g.capacity[leader], expected, atol=0.01)
    assert g.tier[best] == NEW and g.tenure[best] == 0
    assert model.summary()["tiered_training.promotions"] == 1


def test_leaders_and_backbone_rotate_on_their_own_intervals():
    # Yuyao's practice: leaders trained every year (seed 003 §1.3), backbone workers rarely.
    _, on, mech = _runs(**{"mechanisms.tiered_training.leader_rotation_years": 1, "mechanisms.tiered_training.rotation_years": 5})
    g = on.gridworkers
    leaders = np.flatnonzero(g.filled & (g.tier == LEADER))
    backbone = np.flatnonzero(g.filled & (g.tier == BACKBONE))
    assert len(leaders) and len(backbone) >= 5
    assert set(leaders) <= set(mech.trainees)  # every leader this year
    in_turn = backbone[backbone % 5 == 0]  # year 0: the posts whose number is a multiple of five
    assert set(mech.trainees) & set(backbone) == set(in_turn)


def test_onboarding_is_once_per_hire():
    """A worker stays 'new' for two years but is onboarded only at the first yearly session after hire."""
    from sim import GovernanceModel
    from tests.conftest import SMALL

    model = GovernanceModel(rng=8, overrides={**SMALL, **BASE, **ON})
    for _ in range(4):  # the session opens on day 3, before that day's tenure is counted
        model.step()
    mech = next(m for m in model.mechanisms if m.name == "tiered_training")
    g = model.gridworkers
    new = np.flatnonzero(g.filled & (g.tier == NEW))
    second_year, first_year = new[g.tenure[new] >= 366], new[g.tenure[new] < 366]
    assert len(second_year) and len(first_year)
    assert not set(second_year) & set(mech.trainees)
    assert set(first_year) <= set(mech.trainees)
