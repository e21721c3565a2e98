"""review_cycle: reviews find a zone with chronic backlog and move effort there."""

import numpy as np

from sim import GovernanceModel
from sim.model.problems import RESOLVED
from tests.conftest import SMALL

# Patrols too thin to cover every building, so that moving a post matters.
THIN = {**SMALL, "gridworkers.buildings_per_patrol_hour": 0.5}


def run(days: int, on: bool, **extra) -> GovernanceModel:
    model = GovernanceModel(rng=9, overrides={**THIN, "mechanisms.review_cycle.enabled": on, **extra})
    model.arrival_multiplier[model.building_zone == 0] = 3.0  # zone 0 piles up problems
    for _ in range(days):
        model.step()
    return model


def test_review_cycle_names_the_backlog_zone_and_moves_posts_there():
    on = run(120, True)
    mech, g = on.mechanisms[0], on.gridworkers
    assert mech.weak[0] and mech.weak.sum() == 1
    assert mech.posts_moved > 0
    # a post from another zone patrols zone 0 until the next consultation
    assert (g.zone == 0).sum() == (mech.home == 0).sum() + 1
    assert (mech.home[mech.moved] != 0).all() and (g.zone[mech.moved] == 0).all()
    hours = lambda m: np.bincount(m.gridworkers.zone, weights=m.gridworkers.patrol_hours(), minlength=m.n_zones)
    off = run(120, False)
    assert hours(on)[0] > hours(off)[0] + 0.5  # at least a part-timer's patrol hours


def test_review_cycle_takes_up_the_backlog_zones_department_cases():
    off, on = run(240, False), run(240, True)
    mech = on.mechanisms[0]
    assert mech.cracked > 0 and mech.escalated > 0

    def big_resolved_in_zone0(m):
        P = m.problems
        in0 = m.building_zone[P.view("building")] == 0
        return int((in0 & P.view("big") & (P.view("status") == RESOLVED)).sum())

    assert big_resolved_in_zone0(on) >= big_resolved_in_zone0(off) + 5


def test_priority_serves_the_weak_zone_sooner():
    def wait_in_zone0(m) -> float:
        P = m.problems
        started = ~np.isnan(P.view("started")) & ~P.view("big") & (m.building_zone[P.view("building")] == 0)
        return float((P.view("started") - P.view("ready"))[started].mean())

    with_priority = run(150, True, **{"gridworkers.admin_share": 0.75})
    without = run(150, True, **{"gridworkers.admin_share": 0.75, "mechanisms.review_cycle.priority": False})
    assert with_priority.mechanisms[0].weak[0]
    assert wait_in_zone0(with_priority) < 0.8 * wait_in_zone0(without)
