"""Mechanism.scheduled_days: the days the report marks are the days the mechanism acts on its schedule."""

import pytest

from sim import GovernanceModel
from sim.mechanisms import available
from tests.conftest import SMALL

SHOCK = {"kind": "flood", "day": 35, "duration_days": 12, "surge": 3.0, "kinds": ["facilities", "safety"]}
# mechanism: (the method its scheduled action calls, settings that put several actions in a short run)
CASES = {
    "emergency_conversion": ("_reserve", {"drill_interval_days": 15, "response_days": 1}),
    "micro_venture": ("_contest", {"contest_day": 20}),
    "tiered_training": ("_train", {"schedule_day": 10, "session_days": 3}),
    "party_assessment": ("_acts", {"interval_days": 25}),  # the round ends by recording members' acts
}
DAYS = 80


def spied_days(name: str, method: str, settings: dict, shocks: list) -> tuple[list[int], list[int], GovernanceModel]:
    overrides = {**SMALL, f"mechanisms.{name}.enabled": True, **{f"mechanisms.{name}.{k}": v for k, v in settings.items()}}
    model = GovernanceModel(rng=3, overrides={**overrides, "shocks": shocks})
    mechanism = model.mechanisms[0]
    called, original = [], getattr(mechanism, method)

    def spy(*args, **kwargs):
        called.append(model.day)
        return original(*args, **kwargs)

    setattr(mechanism, method, spy)
    for _ in range(DAYS):
        model.step()
    scheduled = type(mechanism).scheduled_days(mechanism.params, model.params, DAYS)
    return sorted(set(called)), scheduled, model


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_days_marked_are_the_days_the_mechanism_acts_on_its_schedule(name):
    method, settings = CASES[name]
    called, scheduled, _ = spied_days(name, method, settings, [])
    assert scheduled and called == scheduled


def test_drills_are_not_marked_while_the_squads_are_on_duty():
    called, scheduled, model = spied_days("emergency_conversion", "_reserve", CASES["emergency_conversion"][1], [SHOCK])
    squads_formed = SHOCK["day"] + 1
    assert scheduled == [15, 30, 60, 75]  # 45 falls in the flood (days 36-47, standing down on 47)
    assert called == sorted([*scheduled, squads_formed])  # the squads' roster also calls on the reserve


def test_every_mechanism_with_a_schedule_is_checked_here():
    from sim.scenario import Scenario

    core = Scenario().core()
    with_schedule = {name for name, cls in available().items()
                     if cls.scheduled_days(cls.Params(enabled=True), core, 3 * 365) and name != "burden_reduction"}
    assert with_schedule == set(CASES)  # burden_reduction starts on the first day by default: nothing to mark
