"""Validation: the six patterns the seeds claim (docs/ODD.md §1, docs/validation.md).

Each test runs a pattern's two conditions on the same seeds (paired, common
random numbers) on a small community and asserts every required check: the
95% CI of the paired difference B − A (or of condition A's mean against a
threshold) lies on the side the seeds claim. ``python -m sim.validation``
runs the same comparisons on the baseline community with more replications
and draws the figures.
"""

from __future__ import annotations

from sim import validation as v

PATTERNS = {p.key: p for p in v.PATTERNS}

# Replications and horizon per pattern: enough to separate the pattern from
# noise on the small world while keeping the module near a minute on 2 cores.
SETTINGS = {
    "1_elderly_shallow": (4, 180),
    "2_party_members": (4, 365),
    "3_big_problems": (3, 240),
    "4_admin_burden": (5, 240),  # the median days to resolution is noisy on the small world: 3 pass on most seeds, not all
    "5a_turnover_pay": (5, 365),  # 3 failed on one of 8 seed sets in a review
    "5b_turnover_skills": (5, 365),
    "6_enterprise_support": (4, 365),
}

# Gridworkers' burnout, learning and quitting read no resident state, so the
# turnover patterns run on a cheap staff-heavy world: 164 posts (not 16), which
# averages capacity over enough posts to see the erosion in one year.
STAFF_WORLD = {"world.residents": 1000, "world.zones": 40, "world.buildings_per_zone": 2}
WORLDS = {"5a_turnover_pay": STAFF_WORLD, "5b_turnover_skills": STAFF_WORLD}


def assert_pattern(*keys: str) -> None:
    failures = []
    for key in keys:
        reps, days = SETTINGS[key]
        results = v.evaluate((PATTERNS[key],), replications=reps, world=WORLDS.get(key, v.SMALL_WORLD), days=days, jobs=2)
        failures += [r for r in results if r.check.required and not r.holds]
    assert not failures, "\n" + v.table(failures)


def test_settings_cover_every_pattern():
    assert set(SETTINGS) == set(PATTERNS)


def test_pattern_1_without_mobilisation_participants_are_elderly_and_shallow():
    assert_pattern("1_elderly_shallow")


def test_pattern_2_registered_members_without_assessment_serve_little():
    assert_pattern("2_party_members")


def test_pattern_3_big_problems_stay_unresolved_without_a_route_to_departments():
    assert_pattern("3_big_problems")


def test_pattern_4_administrative_burden_crowds_out_service():
    assert_pattern("4_admin_burden")


def test_pattern_5_low_pay_means_turnover_which_erodes_skills():
    assert_pattern("5a_turnover_pay", "5b_turnover_skills")


def test_pattern_6_one_off_donations_do_not_sustain_enterprise_support():
    assert_pattern("6_enterprise_support")


def test_paired_interval_and_claims():
    a = v.np.array([1.0, 2.0, 3.0, 4.0])
    r = v.Result(v.PATTERNS[0], v.Check("m", "m", "up"), a, a + 0.5 + 0.01 * a, days=10)
    m, lo, hi = r.interval
    assert lo < m < hi and lo > 0 and r.holds
    level = v.Result(v.PATTERNS[0], v.Check("m", "m", "above", 0.1), a, a, days=10)
    assert level.holds and not v.Result(v.PATTERNS[0], v.Check("m", "m", "below", 3.0), a, a, days=10).holds
    assert not v.Result(v.PATTERNS[0], v.Check("m", "m", "down"), a, a + 0.5 + 0.01 * a, days=10).holds
