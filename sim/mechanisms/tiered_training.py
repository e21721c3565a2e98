"""Tiered training (三层级六能力 / 分层培训) of community workers.

What it changes: workers are trained by tier in the capacities that tier
needs (seed 000 §2): new workers (under two years) in service to residents
and mobilising residents, backbone workers in project operation and
deliberation, leaders in coordination and governance innovation. The
schedule follows Yuyao (seed 003 §3.7; §1.3 annual training): every year, on
``schedule_day`` of the year, workers hired since the last session attend
onboarding training (once per hire), backbone workers attend rotation
training once every ``rotation_years`` and leaders once every
``leader_rotation_years`` (with three years, a third of them each year, by
post). A session lasts
``session_days`` days during which trainees are off duty: their whole working
time is taken (``admin_share`` raised to 1 for those days and restored after;
the burnout the core would count for it is taken back, since training is not
administrative overload). At the end of the session each trained capacity
moves ``gain`` of the way towards 1 (``gridworkers.capacity``).

Switch ``tiered``: when false the same trainees attend the same days at the
same cost, but take a generic course spread over all six capacities (each
gains a third of ``gain``), for comparison with targeted training.

Switch ``promotion``: when a leader post falls vacant and is refilled, the
most capable backbone worker of the community is promoted into it (seed 004
§三.4, the "flock of geese" plan 群雁齐飞 for core staff and reserves) and
the new hire takes the backbone worker's post, instead of an outsider with
entry-level capacities leading the community.

In the core, service capacity sets service speed, mobilising capacity the
contacts a patrol makes and the mean coordination capacity the referral
delay to departments. Project capacity matters only with ``micro_venture``
(projects' delivery) and deliberation capacity only with
``dual_track_deliberation`` (groups' and the platform's success);
innovation capacity is read by nothing yet. So in ``tiered_training.toml``
alone the backbone workers' training and half the leaders' are pure cost,
and tiered training comes out close to generic training: the comparison is
meaningful in presets that switch those mechanisms on too (``wangzhuang``).

Cost: yuan per trainee-day (trainers, venues, study visits).
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.gridworkers import BACKBONE, CAP, CAPACITIES, LEADER, NEW

YEAR = 365
TIER_CAPACITIES = {
    NEW: ("service", "mobilising"),
    BACKBONE: ("project", "deliberation"),
    LEADER: ("coordination", "innovation"),
}
"""Capacities trained at each tier (seed 000 §2)."""


class TieredTrainingParams(MechanismParams):
    tiered: bool = param(True, unit="switch", source="seed 000 §2 (三层级六能力); false: generic training of the same cost, for comparison", description="Train each tier in its own two capacities (true) or everyone in all six (false).")
    schedule_day: int = param(60, unit="day of year", ge=0, le=364, source="assumption", description="Day of the year the yearly training opens.")
    session_days: int = param(5, unit="days", ge=1, le=60, source="assumption", description="Days a training session takes trainees off duty.")
    rotation_years: int = param(3, unit="years", ge=1, le=10, source="seed 003 §3.7 (rotation training every three years)", description="Years between rotation trainings of a backbone worker.")
    leader_rotation_years: int = param(3, unit="years", ge=1, le=10, source="seed 003 §3.7 (rotation training every three years); §1.3 reports yearly training of leaders (年度培训)", description="Years between rotation trainings of a leader.")
    gain: float = param(0.15, unit="share of the gap to 1", ge=0, le=1, source="assumption", description="Step of each targeted capacity towards 1 after one session.")
    promotion: bool = param(True, unit="switch", source="seed 004 §三.4 (tiered cadre plan with reserves); seed 003 §1.5", description="Fill a refilled leader post by promoting the community's most capable backbone worker.")
    cost_per_trainee_day: float = param(400.0, unit="yuan per trainee-day", ge=0, le=1e5, source="assumption", description="Cost of one worker's day of training.")


class TieredTraining(Mechanism):
    name = "tiered_training"
    title = "三层级六能力"
    description = "Yearly onboarding and three-yearly rotation training by tier and capacity; backbone workers promoted to leader posts."
    sources = "seed 000 §2; seed 003 §1.3, §3.7; seed 004 §三.4"
    Params = TieredTrainingParams
    phases = (Phase.ARISE, Phase.PERIODIC)

    @classmethod
    def first_action_day(cls, params, core) -> int:
        """The day the first session ends and its trainees' capacities rise."""
        return params.schedule_day + params.session_days - 1

    @classmethod
    def scheduled_days(cls, params, core, days: int) -> list[int]:
        """The yearly sessions' last days, when trainees' capacities rise."""
        return list(range(params.schedule_day + params.session_days - 1, days, YEAR))

    def setup(self, model) -> None:
        self.trainees = np.zeros(0, dtype=int)
        self.tiers = np.zeros(0, dtype=np.int8)
        self.ends = -1
        self.trainee_days = 0
        self.promotions = 0
        self._hires = model.gridworkers.hires

    def act(self, model, phase: Phase) -> None:
        g, day, p = model.gridworkers, model.day, self.params
        if phase is Phase.ARISE:
            if day % YEAR == p.schedule_day:
                self._open(model)
            if day <= self.ends and len(self.trainees):
                rows = self.trainees
                self._burnout = g.burnout[rows].copy()
                self._admin = np.minimum(g.admin_share[rows], np.float32(1.0))
                g.admin_share[rows] = 1.0  # off duty: no patrol, no service today
            return
        if day <= self.ends and len(self.trainees):
            rows = self.trainees
            taken = np.maximum(0, 1 - g.p.burnout_tolerance) - np.maximum(0, self._admin - g.p.burnout_tolerance)
            same_holder = g.tenure[rows] > 0
            g.burnout[rows] -= same_holder * g.p.burnout_rate * taken * (1 - self._burnout)
            np.clip(g.burnout, 0, 1, out=g.burnout)
            g.admin_share[rows] = self._admin
            if day == self.ends:
                self._train(g)
        if p.promotion and g.hires != self._hires:
            self._promote(model)
        self._hires = g.hires

    def _open(self, model) -> None:
        """Onboarding for workers hired since the last session; rotation for the backbone and leader posts whose turn it is."""
        g, p = model.gridworkers, self.params
        year = model.day // YEAR
        posts = np.arange(g.n)
        every = np.where(g.tier == LEADER, p.leader_rotation_years, p.rotation_years)
        rotation = (g.tier != NEW) & (posts % every == year % every)
        onboarding = (g.tier == NEW) & (g.tenure < YEAR)  # once per hire: a worker stays new for two years
        self.trainees = np.flatnonzero(g.filled & (onboarding | rotation))
        self.tiers = g.tier[self.trainees].copy()
        self.ends = model.day + p.session_days - 1
        days = len(self.trainees) * p.session_days
        self.trainee_days += days
        self.spend(days * p.cost_per_trainee_day)

    def _train(self, g) -> None:
        p = self.params
        step = np.zeros((len(self.trainees), len(CAPACITIES)), dtype=np.float32)
        if p.tiered:
            for tier, names in TIER_CAPACITIES.items():
                for name in names:
                    step[self.tiers == tier, CAP[name]] = p.gain
        else:
            step[:] = p.gain * 2 / len(CAPACITIES)  # the same total, spread over all six
        cap = g.capacity[self.trainees]
        g.capacity[self.trainees] = cap + step * (1 - cap)

    def _promote(self, model) -> None:
        """A refilled leader post goes to the community's most capable backbone worker."""
        g = model.gridworkers
        for post in np.flatnonzero(g.filled & (g.tier == LEADER) & (g.tenure == 0)):
            c = g.community[post]
            lo, hi = model.post_start[c], model.post_start[c + 1]
            pool = lo + np.flatnonzero(g.filled[lo:hi] & (g.tier[lo:hi] == BACKBONE))
            if len(pool) == 0:
                continue
            best = pool[np.argmax(g.capacity[pool].mean(axis=1))]
            for column in (g.capacity, g.tenure, g.burnout):
                column[[post, best]] = column[[best, post]]
            g.tier[best] = NEW
            self.promotions += 1

    def metrics(self) -> dict[str, float]:
        return {"trainee_days": float(self.trainee_days), "promotions": float(self.promotions)}
