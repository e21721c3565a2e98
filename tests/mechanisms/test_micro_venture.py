"""micro_venture: funded projects add care servers and activities; resident teams are incubated."""

import numpy as np

from tests.conftest import run_model

ON = {
    "mechanisms.micro_venture.enabled": True,
    "mechanisms.micro_venture.contest_day": 2,
    "mechanisms.micro_venture.term_days": 30,
    "mechanisms.micro_venture.teams_per_community": 3.0,
    "mechanisms.micro_venture.budget_per_community": 90000.0,
}


def _mech(model):
    return next(m for m in model.mechanisms if m.name == "micro_venture")


def test_funded_projects_add_servers_and_activities_for_their_term():
    off = run_model(days=10, rng=3)
    on = run_model(days=10, rng=3, **ON)
    mech = _mech(on)
    assert 1 <= len(mech.projects) <= 3  # budget for three grants of 30,000
    care = on.pools[on.care_pool[0]]
    base = off.pools[off.care_pool[0]]
    assert len(care.speed) == len(base.speed) + len(mech.projects)
    assert (care.speed[len(base.speed):] > 0).all()
    assert on.extra_activities[0] > 0 and off.extra_activities[0] == 0
    assert on.summary()["micro_venture.cost_yuan_per_year"] > 0


def test_term_ends_and_teams_are_incubated():
    from sim import GovernanceModel
    from sim.model.gridworkers import CAP
    from tests.conftest import SMALL

    kw = {**ON, "mechanisms.micro_venture.incubation_prob": 1.0, "mechanisms.micro_venture.min_score": 0.0, "mechanisms.micro_venture.entrants_per_community": 0.0}
    on = GovernanceModel(rng=3, overrides={**SMALL, **kw})
    on.gridworkers.capacity[:, CAP["project"]] = 0.9  # skilled project coaching: every funded team is incubated
    orgs_before = len(on.social_orgs)
    care_before = on.pools[on.care_pool[0]].speed.copy()
    on.run_days(40)
    mech = _mech(on)
    s = on.summary()
    assert mech.projects == [] and np.isclose(on.extra_activities[0], 0)  # the term is over
    incubated = int(s["micro_venture.organisations_incubated"])
    assert incubated >= 1 and s["micro_venture.projects_funded"] >= incubated
    grown = on.social_orgs[orgs_before:]
    assert len(grown) == incubated and not any(o.external for o in grown)
    care = on.pools[on.care_pool[0]].speed
    # project servers stopped; each incubated organisation adds a lasting server at full speed
    n_projects = int(s["micro_venture.projects_funded"])
    assert len(care) == len(care_before) + n_projects + incubated
    assert (care[len(care_before) : len(care_before) + n_projects] == 0).all()
    assert (care[len(care_before) + n_projects :] == 1.0).all()


def test_review_without_noise_funds_the_best():
    on = run_model(days=5, rng=3, **{**ON, "mechanisms.micro_venture.review_noise": 0.0, "mechanisms.micro_venture.budget_per_community": 30000.0})
    s = on.summary()
    assert s["micro_venture.projects_funded"] == 1 and s["micro_venture.proposals"] >= 2
    assert s["micro_venture.mean_quality_funded"] > s["micro_venture.mean_quality_proposed"]


def test_a_care_pool_only_projects_staffed_closes_with_them():
    """Where no social organisation serves, care needs go back to the gridworkers when the projects end."""
    from sim.model.params import PROBLEM_KINDS
    from sim.model.problems import RESOLVED

    kw = {**ON, "organisations.social_orgs_per_community": 0.0, "mechanisms.micro_venture.incubation_prob": 0.0}
    on = run_model(days=25, rng=1, **kw)
    assert on.care_pool[0] >= 0  # the projects' pool serves care needs during the term
    on.run_days(75)
    assert on.care_pool[0] == -1
    P = on.problems
    late_care = (P.view("kind") == PROBLEM_KINDS.index("care")) & ~P.view("big") & (P.view("arose") > 40)
    assert late_care.sum() > 5
    assert (P.view("status")[late_care] == RESOLVED).mean() > 0.5  # served, not left to be abandoned
    assert not (P.view("pool")[late_care] == _mech(on).own_pool[0]).any()
