"""dual_track_deliberation: groups deliberate and settle small problems; a platform takes big ones."""

import numpy as np

from sim.model.problems import HELD, RESOLVED
from tests.conftest import run_model

ON = {"mechanisms.dual_track_deliberation.enabled": True, "mechanisms.dual_track_deliberation.small_share": 0.5}


def test_groups_deliberate_and_settle_small_problems_themselves():
    off = run_model(days=90, rng=5)
    on = run_model(days=90, rng=5, **ON)
    s = on.summary()
    assert on.residents.deliberations.sum() > 2 * off.residents.deliberations.sum()
    assert s["dual_track_deliberation.groups"] > 10 and s["dual_track_deliberation.small_self_resolved"] > 0
    P = on.problems
    # closed through the held route: resolved without ever entering a service pool
    held_route = (P.view("status") == RESOLVED) & (P.view("pool") < 0)
    assert not ((off.problems.view("status") == RESOLVED) & (off.problems.view("pool") < 0)).any()
    assert 0 < held_route.sum() <= s["dual_track_deliberation.small_self_resolved"] + s["dual_track_deliberation.big_resolved_by_stakeholders"]
    assert held_route[~P.view("big")].sum() > 0


def test_platform_takes_up_big_problems_when_quorate():
    kw = {**ON, "mechanisms.dual_track_deliberation.commitment": 1.0}
    fix = run_model(days=90, rng=5, **kw, **{"mechanisms.dual_track_deliberation.stakeholder_resolve_prob": 1.0})
    s = fix.summary()
    assert s["dual_track_deliberation.sessions_quorate"] == s["dual_track_deliberation.sessions"] == 3
    assert s["dual_track_deliberation.items_taken_up"] > 0
    assert s["dual_track_deliberation.big_resolved_by_stakeholders"] >= 0.8 * s["dual_track_deliberation.items_taken_up"]
    send = run_model(days=90, rng=5, **kw, **{"mechanisms.dual_track_deliberation.stakeholder_resolve_prob": 0.0})
    s = send.summary()
    assert s["dual_track_deliberation.big_resolved_by_stakeholders"] == 0
    assert s["dual_track_deliberation.big_sent_on"] == s["dual_track_deliberation.items_taken_up"] > 0


def test_without_quorum_big_problems_wait():
    on = run_model(days=90, rng=5, **ON, **{"mechanisms.dual_track_deliberation.commitment": 0.0, "mechanisms.dual_track_deliberation.quorum_share": 1.0, "mechanisms.dual_track_deliberation.deputy_attendance": 0.0})
    s = on.summary()
    assert s["dual_track_deliberation.sessions_quorate"] == 0 and s["dual_track_deliberation.items_taken_up"] == 0
    P = on.problems
    big_kinds = np.isin(P.view("kind"), [0, 1, 2, 5])  # facilities, environment, safety, property
    claimed = P.view("big") & big_kinds & (P.view("channel") >= 0)
    assert claimed.any() and not (P.view("status")[claimed] == RESOLVED).any()
    assert (P.view("status")[claimed] == HELD).any()


def _served(model):
    """Department jobs started: the platform's referrals and the core's ordinary referrals."""
    P = model.problems
    served = np.isin(P.view("pool"), model.department_pool) & P.view("big") & ~np.isnan(P.view("started"))
    platform = P.view("kind") == 0  # every big facilities problem goes through the platform
    return int((served & platform).sum()), int((served & ~platform).sum())


def test_platform_referrals_jump_the_department_queue():
    # one overloaded department for every kind: the platform's referrals compete with the core's ordinary ones
    kw = {**ON, "world.residents": 4000, "departments.count": 1, "departments.staff_per_community": 2.0, "mechanisms.dual_track_deliberation.big_kinds": ["facilities"], "mechanisms.dual_track_deliberation.commitment": 1.0, "mechanisms.dual_track_deliberation.stakeholder_resolve_prob": 0.0}
    first = run_model(days=150, rng=5, **kw)
    fifo = run_model(days=150, rng=5, **kw, **{"mechanisms.dual_track_deliberation.department_priority": False})
    platform_first, ordinary_first = _served(first)
    platform_fifo, ordinary_fifo = _served(fifo)
    assert platform_first > platform_fifo and ordinary_first < ordinary_fifo
