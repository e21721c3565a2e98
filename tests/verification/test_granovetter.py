"""Verification of the social-influence rule against Granovetter's (1978) riot model.

Granovetter, M. (1978). Threshold models of collective behavior. *American
Journal of Sociology* 83(6), 1420-1443: a crowd of 100 with thresholds
0, 1, ..., 99 (the number of others who must act first) ends with all 100
acting; change the person with threshold 1 to threshold 2 and only one acts.

The residents' willingness is ``logistic(... + weight_social × active share of
the building + logit_bonus)``. Reduced to pure thresholds — every other
weight zero, a very steep social weight W, and ``logit_bonus_i = −W·(θ_i −
½)/N`` — it becomes the step "act iff at least θ_i of the N neighbours are
active". With everyone in one building everyone is visible to everyone, and
every resident is offered a chance to act every day.
"""

from __future__ import annotations

import numpy as np

from sim import GovernanceModel

N = 100
STEEP = 5000.0  # logistic(±25) is 0 or 1 in float32


def crowd(thresholds: np.ndarray, days: int = 150) -> int:
    quiet = {f"problems.kinds.{k}.rate": 0.0 for k in ("facilities", "environment", "safety", "disputes", "care", "property")}
    model = GovernanceModel(
        rng=1,
        overrides={
            **quiet,
            "world.residents": N, "world.zones": 1, "world.buildings_per_zone": 1,
            "population.employed_share": 0.0,  # everyone at home, so every invitation reaches everyone equally
            "population.party_member_share": 0.0,
            "residents.activity_invite_prob": 1.0, "residents.belonging_gain": 0.0,
            "residents.logit_intercept": 0.0, "residents.weight_time": 0.0, "residents.weight_skills": 0.0,
            "residents.weight_efficacy": 0.0, "residents.weight_belonging": 0.0, "residents.weight_mobilised": 0.0,
            "committee.meeting_invitees": 0, "gridworkers.contacts_per_patrol_hour": 0.0,
            "organisations.social_orgs_per_community": 0.0, "organisations.enterprises_per_community": 0.0,
        },
    )
    R = model.residents
    # The registry caps weight_social at 20 for ordinary use; the verification takes the steep limit.
    R.beh = R.beh.model_copy(update={"weight_social": STEEP})
    R.logit_bonus[:] = (-STEEP * (thresholds - 0.5) / N).astype(np.float32)
    assert np.allclose(model._invite_prob, 1.0)
    for _ in range(days):
        model.step()
    return int(R.active(model.day).sum())


def test_uniform_thresholds_cascade_to_everyone():
    assert crowd(np.arange(N, dtype=float)) == N


def test_moving_one_threshold_stops_the_cascade():
    thresholds = np.arange(N, dtype=float)
    thresholds[thresholds == 1] = 2
    assert crowd(thresholds) == 1
