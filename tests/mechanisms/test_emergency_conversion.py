"""emergency_conversion: in a shock, reserves and partner units form squads that add capacity."""


from sim.model.problems import RESOLVED
from tests.conftest import run_model

SHOCK = {"shocks": [{"kind": "epidemic", "day": 20, "duration_days": 21, "surge": 15.0, "kinds": ["care", "safety", "facilities"]}]}
ON = {"mechanisms.emergency_conversion.enabled": True}


def _surge_resolved_within(model, days: float) -> float:
    """Share of the small problems that arose during the shock resolved within ``days``."""
    P = model.problems
    arose = P.view("arose")
    window = (arose >= 20) & (arose < 41) & ~P.view("big")
    fast = (P.view("status") == RESOLVED) & (P.view("closed") - arose <= days)
    return float(fast[window].mean())


def test_squads_add_capacity_during_a_shock_and_resolve_more_of_the_surge():
    off = run_model(days=60, rng=6, **SHOCK)
    on = run_model(days=60, rng=6, **SHOCK, **ON)
    mech = on.mechanisms[0]
    busy = sum(on.pools[i].busy_time for i in mech.pool)
    assert busy > 5  # squad work-days actually served
    assert max(len(on.pools[i].speed) for i in mech.pool) > 20  # squad servers were added
    assert all((on.pools[i].speed == 0).all() for i in mech.pool)  # ... and stood down after the shock
    assert mech.responders > 50  # the household call brought residents in
    assert _surge_resolved_within(on, 2.0) > _surge_resolved_within(off, 2.0) + 0.08
    assert on.summary()["mean_open_problems"] < off.summary()["mean_open_problems"]


def test_no_squads_without_a_shock():
    on = run_model(days=40, rng=6, **ON)
    mech = on.mechanisms[0]
    assert mech.person_days == 0 and mech.taken == 0
    assert all(len(on.pools[i].speed) == 0 for i in mech.pool)


def test_peacetime_drills_bring_the_reserve_in_and_zero_means_none():
    drills = run_model(days=40, rng=6, **ON, **{"mechanisms.emergency_conversion.drill_interval_days": 10})
    none = run_model(days=40, rng=6, **ON, **{"mechanisms.emergency_conversion.drill_interval_days": 0})
    off = run_model(days=40, rng=6)
    assert drills.residents.volunteering.sum() > off.residents.volunteering.sum() + 50  # four drills
    assert (none.residents.volunteering == off.residents.volunteering).all()  # no drill, no trace on residents


def test_active_partner_units_send_staff_to_the_squads():
    """Partner units switch to emergency duty too: each active co-building unit adds enterprise_staff a shock day."""
    units = {"organisations.enterprises_per_community": 10, "organisations.enterprise_active_share": 1.0}
    none = run_model(days=45, rng=6, **SHOCK, **ON, **units, **{"mechanisms.emergency_conversion.enterprise_staff": 0.0})
    some = run_model(days=45, rng=6, **SHOCK, **ON, **units)
    staff = some.mechanisms[0].params.enterprise_staff
    # 10 units x 5 staff on each of the shock's days (the residents' rosters differ by a person-day or two)
    extra = some.mechanisms[0].person_days - none.mechanisms[0].person_days
    assert 20 * 10 * staff - 10 <= extra <= 21 * 10 * staff + 10
    busy = lambda m: sum(m.pools[i].busy_time for i in m.mechanisms[0].pool)  # noqa: E731
    assert busy(some) > busy(none)
