"""staff_sinking: subdistrict staff settle big problems on site; first secretaries speed referrals."""

import numpy as np

from sim.model.problems import RESOLVED
from tests.conftest import run_model


def _big_resolved(model) -> int:
    P = model.problems
    return int(((P.view("status") == RESOLVED) & P.view("big")).sum())


def test_staff_sinking_settles_more_big_problems():
    off = run_model(days=150, rng=3)
    on = run_model(days=150, rng=3, **{"mechanisms.staff_sinking.enabled": True})
    mech = on.mechanisms[0]
    staff_pools = mech.pool
    P = on.problems
    by_staff = np.isin(P.view("pool"), staff_pools) & (P.view("status") == RESOLVED)
    assert by_staff.sum() >= 5  # the staff pool actually serves cases
    assert _big_resolved(on) >= _big_resolved(off) + 3
    assert on.summary()["staff_sinking.cost_yuan_per_year"] > 0
    # staff serve only through their half-days: their pool's speed is two half-days a week
    assert np.allclose(on.pools[staff_pools[0]].speed, 2 * 0.5 / 7)


def _mean_referral_delay(model) -> float:
    P = model.problems
    referred = np.isin(P.view("pool"), model.department_pool) & ~np.isnan(P.view("ready"))
    return float((P.view("ready") - P.view("discovered"))[referred].mean())


def test_first_secretaries_shorten_referrals():
    off = run_model(days=90, rng=4)
    on = run_model(days=90, rng=4, **{"mechanisms.staff_sinking.enabled": True, "mechanisms.staff_sinking.staff_per_community": 0, "mechanisms.staff_sinking.referral_cut": 0.9})
    assert _mean_referral_delay(off) > 5
    assert _mean_referral_delay(on) < 0.35 * _mean_referral_delay(off)



def test_free_staff_take_small_jobs_from_a_backlog():
    """With a long community queue, staff not busy with big cases take small jobs from its back."""
    only_small = {f"problems.kinds.{k}.big_share": 0.0 for k in ("facilities", "environment", "safety", "disputes", "care", "property")}
    on = {**only_small, "mechanisms.staff_sinking.enabled": True}
    overloaded = run_model(days=120, rng=3, **on, **{"gridworkers.admin_share": 0.95})
    calm = run_model(days=120, rng=3, **on)

    def small_by_staff(model) -> int:
        return int(np.isin(model.problems.view("pool"), model.mechanisms[0].pool).sum())

    assert small_by_staff(overloaded) >= 10 and small_by_staff(calm) == 0
