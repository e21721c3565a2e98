"""enterprise_cobuilding: paired units give funds and volunteers; the partner scheme keeps them active."""

import numpy as np

from tests.conftest import run_model

ON = {"mechanisms.enterprise_cobuilding.enabled": True}
MANY = {"organisations.enterprises_per_community": 20, "organisations.enterprise_active_share": 0.0}  # 20 passive units


def _mech(model):
    return next(m for m in model.mechanisms if m.name == "enterprise_cobuilding")


def test_pairing_brings_funds_activities_and_employee_volunteers():
    off = run_model(days=120, rng=6, **MANY)
    on = run_model(days=120, rng=6, **MANY, **ON)
    assert not any(e.active for e in off.enterprises)
    assert sum(e.active for e in on.enterprises) >= 8
    assert all(e.volunteer_activities_per_month > 0 for e in on.enterprises if e.active)
    # money reached the committee and was spent on co-building projects, not on its ordinary programme
    income = lambda m: sum(c.budget + c.spent for c in m.committees) + (_mech(m).fund.sum() if m is on else 0)  # noqa: E731
    assert income(on) > income(off) + 200000
    assert [c.budget for c in on.committees] == [c.budget for c in off.committees]
    assert [c.activities_this_month for c in on.committees] == [c.activities_this_month for c in off.committees]
    assert sum(e.donated for e in on.enterprises) >= _mech(on).given
    assert on.extra_activities.sum() > 0 and off.extra_activities.sum() == 0
    assert on.activity_supply.sum() > off.activity_supply.sum() * 1.5
    # employees of the units are asked to take part, and more of the employed do
    R_on, R_off = on.residents, off.residents
    assert R_on.active(on.day)[R_on.employed].mean() > R_off.active(off.day)[R_off.employed].mean() + 0.03
    assert on.summary()["participation_rate"] > off.summary()["participation_rate"]


def test_partner_scheme_keeps_units_active_and_support_steady():
    partner = run_model(days=330, rng=6, **MANY, **ON)
    one_off = run_model(days=330, rng=6, **MANY, **ON, **{"mechanisms.enterprise_cobuilding.partner_scheme": False})
    active = lambda m: np.mean([e.active for e in _mech(m).paired])  # noqa: E731
    assert active(partner) > active(one_off) + 0.25
    assert active(one_off) < 0.6  # without honours most units drift back to passive
    # one-off pairing gives only the pairing donations; partners keep giving
    p = _mech(one_off).params
    assert _mech(one_off).given == len(_mech(one_off).paired) * p.pairing_donation_yuan
    assert _mech(partner).given > _mech(one_off).given * 1.5
    assert partner.activity_supply.sum() > one_off.activity_supply.sum()


def test_a_unit_that_drifts_away_returns_to_what_it_did_before():
    """A unit active before the pairing drive is not left passive when the pairing ends."""
    mixed = {"organisations.enterprises_per_community": 20, "organisations.enterprise_active_share": 0.5}
    drift = {"mechanisms.enterprise_cobuilding.partner_scheme": False, "mechanisms.enterprise_cobuilding.drift_prob": 1.0}
    off = run_model(days=70, rng=6, **mixed)
    on = run_model(days=70, rng=6, **mixed, **ON, **drift)  # every paired unit drifts at the first month's turn
    paired = {i for i, e in enumerate(on.enterprises) if e in _mech(on).paired}
    assert any(off.enterprises[i].active for i in paired) and not all(off.enterprises[i].active for i in paired)
    assert [e.active for e in on.enterprises] == [e.active for e in off.enterprises]
    assert [e.volunteer_activities_per_month for e in on.enterprises] == [e.volunteer_activities_per_month for e in off.enterprises]
    assert not _mech(on).engaged
