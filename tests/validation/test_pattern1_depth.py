"""Pattern 1's "shallow participation", read as seed 003 §2.4 words it.

Seed 003 §2.4 says of depth: "居民参与深度不足，大部分居民只是参与已经安排好的
社区活动，在社区建设和社区规划中能发表个人的看法和意见不多" (participation lacks
depth: most residents only join community activities already arranged, and
few voice views on community building and planning). That is a claim about
the *kind* of participation, not its frequency, which is what
``sim.validation``'s check "acts per participant per month < 1" measures.

The model records the kinds separately (``volunteering``: joining an arranged
activity, ``core.decide``; ``deliberations``: attending a deliberation
meeting, ``core.hold_meeting``; ``reports``), so the seed's claim can be
checked as stated. The thresholds (a majority; fewer than one in ten) are a
reading of 大部分 and 不多, like the project's other thresholds. It
complements the frequency check of ``sim.validation``'s pattern 1.
"""

from __future__ import annotations

import numpy as np

from sim import GovernanceModel
from sim import validation as v
from sim.model.residents import NEVER


def _depth(seed: int, days: int = 180) -> tuple[float, float]:
    model = GovernanceModel(rng=seed, overrides=v.SMALL_WORLD)  # baseline: no mobilisation mechanism
    model.run_days(days)
    R = model.residents
    ever = R.last_active > NEVER
    only_arranged = ever & (R.deliberations == 0) & (R.reports == 0)
    voiced = ever & (R.deliberations > 0)
    n = max(int(ever.sum()), 1)
    return only_arranged.sum() / n, voiced.sum() / n


def test_pattern_1_depth_most_participants_only_join_arranged_activities():
    shares = np.array([_depth(seed) for seed in (1, 2, 3, 4)])
    _, lo, _ = v.mean_ci(shares[:, 0])
    _, _, hi = v.mean_ci(shares[:, 1])
    assert lo > 0.5, f"share of participants who only joined arranged activities: CI lower bound {lo:.3f}"
    assert hi < 0.1, f"share of participants who ever voiced views in a deliberation: CI upper bound {hi:.3f}"
