"""order_matching: needs become orders that party members and volunteers take, and residents rate."""

import numpy as np

from sim.model.params import PROBLEM_KINDS
from sim.model.problems import RESOLVED
from tests.conftest import run_model

ON = {"mechanisms.order_matching.enabled": True}
ORDER_KINDS = [PROBLEM_KINDS.index(k) for k in ("care", "disputes")]


def _mech(model):
    return next(m for m in model.mechanisms if m.name == "order_matching")


def test_members_and_volunteers_take_orders_and_residents_rate_them():
    off = run_model(days=90, rng=8)
    on = run_model(days=90, rng=8, **ON)
    P, R, mech = on.problems, on.residents, _mech(on)
    # orders are small needs of the order kinds, carried out by residents rather than a service pool
    taken = np.isin(P.view("kind"), ORDER_KINDS) & ~P.view("big") & (P.view("pool") < 0) & (P.view("status") == RESOLVED)
    assert taken.sum() >= 15
    assert taken.sum() == on.summary()["order_matching.orders_taken_done"]
    care_pool = on.pools[on.care_pool[0]]
    assert care_pool.busy_time < 0.5 * off.pools[off.care_pool[0]].busy_time  # the care pool has less to do
    # 评单: every completed order was rated through the core's close
    assert (P.view("rating")[taken] > 0).all()
    assert np.allclose(P.view("closed")[taken], P.view("finish")[taken])
    # 接单: most orders go to registered party members; takers are marked as volunteering
    takers = np.concatenate(mech.takers)
    assert R.party_registered[takers].mean() > 0.5
    assert (R.volunteering >= np.bincount(takers, minlength=R.n)).all()
    assert (R.last_active[takers] >= 0).all()


def test_untaken_orders_fall_back_to_ordinary_service():
    model = run_model(days=60, rng=8, **ON, **{"mechanisms.order_matching.offers_per_day": 0})
    mech, P = _mech(model), model.problems
    assert mech.done == 0 and mech.fallback > 10
    order = np.isin(P.view("kind"), ORDER_KINDS) & ~P.view("big") & (P.view("status") == RESOLVED)
    assert (P.view("pool")[order] >= 0).all()  # served by a pool after waiting for a taker
