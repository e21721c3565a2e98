"""party_network: party members report problems (party channel) and recruit neighbours."""

import numpy as np

from sim.model.problems import CHANNELS
from tests.conftest import run_model

ON = {"mechanisms.party_network.enabled": True}


def test_party_members_report_problems_in_their_zone():
    off = run_model(days=90, rng=4)
    on = run_model(days=90, rng=4, **ON, **{"mechanisms.party_network.report_prob": 1.0})
    channel = on.problems.view("channel")
    party = np.flatnonzero(channel == CHANNELS["party"])
    assert np.count_nonzero(off.problems.view("channel") == CHANNELS["party"]) == 0
    assert len(party) >= 5
    assert on.summary()["party_network.problems_reported"] == len(party)
    # every reporter is a registered party member of the problem's zone
    reporter = on.problems.reporter[party]
    assert on.residents.party_registered[reporter].all()
    assert (on.resident_zone[reporter] == on.building_zone[on.problems.building[party]]).all()
    assert on.summary()["party_network.cost_yuan_per_year"] > 0


def test_serving_members_become_active_and_recruit_neighbours():
    off = run_model(days=90, rng=4)
    on = run_model(days=90, rng=4, **ON)
    s = on.summary()
    assert s["party_network.member_visits"] > 0 and s["party_network.residents_asked"] > 0
    serving = on.residents.party_serving
    assert (off.residents.party_serving == serving).all()
    assert on.residents.active(on.day)[serving].mean() > off.residents.active(off.day)[serving].mean() + 0.2
    assert on.residents.volunteering[serving].sum() > 2 * off.residents.volunteering[serving].sum()


def test_no_branch_no_network():
    # a branch needs more registered members than any zone has: nothing happens
    on = run_model(days=60, rng=4, **ON, **{"mechanisms.party_network.branch_min_members": 100})
    s = on.summary()
    assert s["party_network.branches"] == 0 and s["party_network.groups"] == 0
    assert s["party_network.problems_reported"] == 0 and s["party_network.member_visits"] == 0


def test_building_groups_watch_their_own_building_and_branches_the_whole_zone():
    """With a group (楼栋党小组) a member reports mostly in their own building; a member
    whose building has none works for the zone branch (片区党支部), spreading the same
    effort over every building of the zone (small world: 8 per zone)."""
    def own_building_share(group_min_members):
        model = run_model(days=90, rng=4, **ON, **{"mechanisms.party_network.report_prob": 1.0,
                                                    "mechanisms.party_network.group_min_members": group_min_members})
        P = model.problems
        party = np.flatnonzero(P.view("channel") == CHANNELS["party"])
        own = model.residents.building[P.reporter[party]] == P.building[party]
        return model.summary()["party_network.groups"], len(party), own.mean()

    groups, reports_grouped, own_grouped = own_building_share(1)  # every member's building has a group
    none, reports_branch, own_branch = own_building_share(50)  # no building has enough members
    assert groups > 0 and none == 0
    assert own_grouped > 0.5 and own_branch < 0.25
    assert 0.5 < reports_branch / reports_grouped < 2  # the same effort, aimed differently
