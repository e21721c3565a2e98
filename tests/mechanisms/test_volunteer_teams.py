"""volunteer_teams: willing residents form standing teams that patrol and settle small problems."""

import numpy as np

from sim.model.params import PROBLEM_KINDS
from sim.model.problems import CHANNELS, RESOLVED
from tests.conftest import run_model

ON = {"mechanisms.volunteer_teams.enabled": True, "mechanisms.volunteer_teams.members_per_1000": 30.0}


def test_volunteer_teams_recruit_the_willing_and_keep_them_active():
    off = run_model(days=60, rng=8)
    on = run_model(days=60, rng=8, **ON)
    members = on.mechanisms[0].members
    assert len(members) == round(1500 * 30 / 1000)
    assert on.residents.willingness[members].mean() > 1.3 * on.residents.willingness.mean()
    active_on = on.residents.active(on.day)[members].mean()
    active_off = off.residents.active(off.day)[members].mean()  # the same residents without teams
    assert active_on > 0.9 and active_on > active_off + 0.2
    assert (on.residents.volunteering[members] > off.residents.volunteering[members]).mean() > 0.9


def test_volunteer_teams_find_and_settle_small_problems_of_their_kinds():
    off = run_model(days=90, rng=8)
    on = run_model(days=90, rng=8, **ON, **{"mechanisms.volunteer_teams.buildings_per_duty": 8.0})  # the whole zone: finds enough to see
    mech, P = on.mechanisms[0], on.problems
    kinds = [PROBLEM_KINDS.index(k) for k in mech.params.kinds]
    found = P.view("channel") == CHANNELS["volunteer"]
    assert found.sum() > 3 and np.isin(P.view("kind")[found], kinds).all()
    settled = np.isin(P.view("pool"), mech.pool) & (P.view("status") == RESOLVED)
    assert settled.sum() > 10
    assert not P.view("big")[settled].any() and np.isin(P.view("kind")[settled], kinds).all()
    # gridworkers' own pool serves fewer problems when the teams take a share
    served_by_gridworkers = lambda m: int((m.problems.view("pool") == m.community_pool[0]).sum())
    assert served_by_gridworkers(on) < 0.85 * served_by_gridworkers(off)
