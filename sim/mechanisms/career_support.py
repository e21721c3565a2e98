"""Career support (待遇 / 晋升): better pay and a promotion path for community workers.

The problem it addresses: community workers are poorly paid for their
workload, their status and rank are unclear and the way up is blocked, so
they leave and the community cannot keep trained people (seed 002; seed 003
§2.6). The remedies in the seeds: proper pay and benefits (seed 003 §1.5,
§3.4, §3.7: 提高工资福利待遇), a promotion channel that breaks the "ceiling"
(seed 003 §1.5: 构建社工晋升渠道, 克服"天花板"效应, 组建后备人才团队) and
a tiered "flock of geese" plan for core staff, committee members and reserve
cadres (seed 004 §三.4: 群雁齐飞计划, 后备干部).

What it changes in the model:

* **Pay.** Every post's quit hazard (the core's ``quit_multiplier``) is
  multiplied by ``(1 + pay_rise) ** -quit_elasticity``.
* **Leader track.** Backbone workers with at least ``track_after_years`` of
  tenure are on the leader track (reserve cadres): the prospect of promotion
  cuts their quit hazard by a further ``track_quit_cut``.
* **Promotion from within.** When a leader post (deputy secretary and up)
  falls vacant, the best-skilled worker on the community's leader track is
  promoted into it at once, bringing tenure and capacities; their own post
  is filled by an entry-level hire after the usual vacancy. Without the
  track a vacant leader post waits ``vacancy_days`` for an outsider who
  starts at entry-level capacity.

Fewer quits mean longer tenure, so on-the-job learning accumulates and mean
capacity (service speed, coordination of referrals, mobilising on patrol)
stays higher; less time is lost to vacancies.

Cost: the pay rise on every filled post and an allowance (training,
secondments) for workers on the leader track.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.gridworkers import BACKBONE, LEADER, Gridworker


class CareerSupportParams(MechanismParams):
    pay_rise: float = param(0.3, unit="share of salary", ge=0, le=3, source="assumption; seed 002 (工资待遇过低, the problem), seed 003 §3.4, §3.7 (raise pay and benefits)", description="Relative rise in gridworkers' pay.")
    quit_elasticity: float = param(1.5, unit="ratio", ge=0, le=5, source="assumption; separation elasticities to the wage of about 1-2 (Manning 2003, Monopsony in Motion)", description="How strongly pay lowers the quit hazard: hazard × (1 + pay_rise)^-elasticity.")
    track_after_years: float = param(5.0, unit="years of tenure", ge=0, le=40, source="assumption; seed 000 §2 (backbone after two years), seed 004 §三.4 (reserve cadres)", description="Tenure after which a backbone worker joins the leader track.")
    track_quit_cut: float = param(0.4, unit="share of quit hazard", ge=0, le=1, source="assumption; seed 003 §1.5 (promotion hope breaks the ceiling)", description="Further relative cut in the quit hazard of workers on the leader track.")
    promote_internally: bool = param(True, unit="switch", source="seed 003 §1.5; seed 004 §三.4 (后备干部)", description="Fill vacant leader posts at once from the community's leader track.")
    track_allowance: float = param(6000.0, unit="yuan/year per worker on track", ge=0, le=1e6, source="assumption; seed 004 §三.4 (secondments, tiered training)", description="Yearly cost of training and secondments for each worker on the leader track.")


class CareerSupport(Mechanism):
    name = "career_support"
    title = "待遇与晋升"
    description = "Higher pay and a leader track with promotion from within lower gridworker turnover."
    sources = "seed 002; seed 003 §1.5, §3.7; seed 004 §三.4"
    Params = CareerSupportParams
    phases = (Phase.PERIODIC,)

    def setup(self, model) -> None:
        p = self.params
        self.model = model
        self.promotions = 0
        self.pay_factor = (1 + p.pay_rise) ** -p.quit_elasticity  # on every post's quit hazard
        # The leader track seldom changes from one day to the next: hazards are
        # recomputed only when it does.
        self._track_key = b""
        self._set_hazard(model.gridworkers, self._on_track(model.gridworkers))

    def _on_track(self, g, filled: np.ndarray | None = None) -> np.ndarray:
        filled = g.filled if filled is None else filled
        return filled & (g.tier == BACKBONE) & (g.tenure >= self.params.track_after_years * 365)

    def _set_hazard(self, g, on_track: np.ndarray) -> None:
        pay = self.pay_factor
        g.quit_multiplier[:] = np.where(on_track, pay * (1 - self.params.track_quit_cut), pay)
        self._track_key, self._tracked = on_track.tobytes(), np.count_nonzero(on_track)

    def act(self, model, phase: Phase) -> None:
        p, g = self.params, model.gridworkers
        if p.promote_internally and np.count_nonzero(g.filled) < g.n:  # only a vacancy can need a promotion
            self._promote(model)
        filled = g.filled
        on_track = self._on_track(g, filled)
        if on_track.tobytes() != self._track_key:  # career support alone sets quit_multiplier
            self._set_hazard(g, on_track)
        salaries = float(np.add.reduce(filled * g.salary))  # the filled posts' pay bill, as the core counts it
        self.spend((p.pay_rise * salaries + p.track_allowance * self._tracked) / 365)

    def _promote(self, model) -> None:
        g, day = model.gridworkers, model.day
        vacant = np.flatnonzero((g.tier == LEADER) & ~g.filled)
        if len(vacant) == 0:
            return
        track = self._on_track(g)
        for post in vacant:
            c = g.community[post]
            rows = np.arange(model.post_start[c], model.post_start[c + 1])
            rows = rows[track[rows]]
            if len(rows) == 0:
                continue
            best = rows[np.argmax(g.capacity[rows].mean(axis=1))]
            g.capacity[post] = g.capacity[best]
            g.tenure[post] = g.tenure[best]
            g.burnout[post] = g.burnout[best]
            g.vacant_until[post] = -1
            g.vacant_until[best] = day + max(1, model.params.gridworkers.vacancy_days)
            track[best] = False
            self.promotions += 1
            # keep the Mesa agents in step with the posts
            if model.gridworker_agents[best] is not None:
                model.gridworker_agents[best].remove()
                model.gridworker_agents[best] = None
            if model.gridworker_agents[post] is not None:
                model.gridworker_agents[post].remove()
            model.gridworker_agents[post] = Gridworker(model, post)

    def metrics(self) -> dict[str, float]:
        return {"promotions": self.promotions, "on_leader_track": int(self._on_track(self.model.gridworkers).sum())}
