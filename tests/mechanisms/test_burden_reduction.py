"""burden_reduction: the admission list frees gridworker time for patrol."""

from tests.conftest import run_model


def test_burden_reduction_lowers_admin_share_and_raises_patrol_hours():
    off = run_model(days=30, rng=5)
    on = run_model(days=30, rng=5, **{"mechanisms.burden_reduction.enabled": True})
    assert on.gridworkers.admin_share.mean() < off.gridworkers.admin_share.mean() * 0.7
    assert on.summary()["patrol_hours_per_gridworker_day"] > off.summary()["patrol_hours_per_gridworker_day"] * 1.2
    assert on.summary()["burden_reduction.cost_yuan_per_year"] > 0
