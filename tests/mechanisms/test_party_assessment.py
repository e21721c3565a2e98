"""party_assessment: assessment rounds raise the share of members who serve."""

from tests.conftest import run_model

ON = {"mechanisms.party_assessment.enabled": True}


def test_assessment_raises_registration_and_service():
    off = run_model(days=200, rng=2)
    on = run_model(days=200, rng=2, **ON)  # rounds on days 90 and 180
    R0, R1 = off.residents, on.residents
    assert (R0.party_member == R1.party_member).all()  # same seed, same members
    assert R1.party_registered.sum() > R0.party_registered.sum()
    assert R1.party_serving.sum() > 1.5 * R0.party_serving.sum()
    assert not (R1.party_serving & ~R1.party_registered).any()  # only registered members serve
    s = on.summary()
    assert s["party_assessment.rounds"] == 2
    assert s["party_assessment.members_converted"] == R1.party_serving.sum() - R0.party_serving.sum()
    assert s["party_assessment.cost_yuan_per_year"] > 0
    converted = R1.party_serving & ~R0.party_serving
    assert R1.willingness[converted].mean() > R0.willingness[converted].mean() + 0.1  # serving members are more willing


def test_no_conversion_no_change():
    off = run_model(days=100, rng=2)
    on = run_model(days=100, rng=2, **ON, **{"mechanisms.party_assessment.conversion_prob": 0.0, "mechanisms.party_assessment.registration_prob": 0.0})
    assert (on.residents.party_serving == off.residents.party_serving).all()
    assert on.summary()["party_assessment.members_reminded"] > 0  # idle serving members were still reminded
