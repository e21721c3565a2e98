"""Points incentives (积分制): points for taking part, exchanged for rewards.

Sources. Seed 004 §三.1 recommends two points schemes: a points-based
evaluation of co-building units tied to their annual review (责任清单、积分考评
制度), and points for delivery riders' valid leads (按有效线索给予积分兑换奖励,
modelled by ``rider_informants``). A points scheme for every resident's
reports, deliberation and volunteering is not in the seeds: the project's
brief asks for one (its form, common as 积分超市 "points supermarkets", is
an assumption here), so every residents' parameter below is an assumption.

What it changes:

* **Residents earn points** for every report, deliberation and act of
  volunteering, read day by day from the core's counters, whoever caused
  the act (the core or another mechanism).
* **Points are exchanged** every ``redeem_interval_days`` for rewards worth
  ``yuan_per_point`` once a resident holds ``redeem_min_points``, paid from
  a yearly budget per community (``self.spend``). When a community's budget
  is spent, exchange stops until the next year's budget.
* **Extrinsic motivation.** While rewards are honoured, the prospect of a
  reward enters residents' willingness as ``residents.logit_bonus``:
  ``bonus_account`` for residents who have earned points (they hold an
  account and know the scheme), ``bonus_other`` for everyone else (publicity).
  Both scale with what an act earns, the mean of the three points per act
  times ``yuan_per_point``, against the defaults' 4.17 yuan, to the power
  ``reward_elasticity``: bigger rewards pull harder, with diminishing
  returns, and no reward pulls nobody (Gneezy and Rustichini 2000, "Pay
  enough or don't pay at all"). At the default rewards the factor is 1.
* **Crowding-out** (switch ``crowding_out``): paying for civic acts can
  erode the intrinsic motivation that drove them (Frey and Jegen 2001,
  *J. Econ. Surveys* 15(5); Gneezy and Rustichini 2000, *QJE* 115(3)). When
  on, each reward cuts the resident's belonging by ``crowding_out_rate``
  (relative); it stays cut when rewards stop.
* **Co-building units** earn points for volunteer activities and donations.
  Since those points count in their annual review, each month a passive unit
  becomes active (sends employee volunteers) with probability
  ``unit_activation_prob`` × (1 + points / ``unit_points_scale``).

Cost: rewards paid plus the yearly cost of running the scheme.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param

YEAR = 365


class PointsIncentiveParams(MechanismParams):
    points_per_report: float = param(10.0, unit="points", ge=0, le=1000, source="assumption (the seeds give points for valid leads to riders only, seed 004 §三.1)", description="Points for a report of a problem.")
    points_per_deliberation: float = param(10.0, unit="points", ge=0, le=1000, source="assumption (not in the seeds)", description="Points for taking part in a deliberation.")
    points_per_volunteering: float = param(5.0, unit="points", ge=0, le=1000, source="assumption (not in the seeds)", description="Points for an act of volunteering (joining an activity).")
    yuan_per_point: float = param(0.5, unit="yuan/point", ge=0, le=100, source="assumption (points-supermarket goods: 100 points about 50 yuan)", description="Value of one point when exchanged.")
    redeem_interval_days: int = param(30, unit="days", ge=1, le=365, source="assumption", description="Days between exchange days.")
    redeem_min_points: float = param(20.0, unit="points", ge=0, le=100000, source="assumption", description="Points a resident needs to exchange.")
    budget_per_community: float = param(60000.0, unit="yuan/year", ge=0, le=1e8, source="assumption", description="Yearly reward budget of one community.")
    bonus_account: float = param(0.4, unit="logit", ge=0, le=5, source="assumption (extrinsic motivation; size assumed)", description="Willingness gain for residents who have earned points, while rewards are honoured.")
    bonus_other: float = param(0.1, unit="logit", ge=0, le=5, source="assumption (publicity of the scheme)", description="Willingness gain for residents without points, while rewards are honoured.")
    reward_elasticity: float = param(0.5, unit="ratio", ge=0, le=2, source="assumption; Gneezy and Rustichini 2000, QJE 115(3) (effort grows with the size of a reward; size assumed)", description="How the willingness gain scales with what an act earns: bonus x (yuan per act / 4.17 yuan)^elasticity; 0: the reward's size does not matter while the budget lasts.")
    crowding_out: bool = param(False, unit="switch", source="Frey and Jegen 2001; Gneezy and Rustichini 2000", description="Whether rewards crowd out intrinsic motivation (belonging).")
    crowding_out_rate: float = param(0.03, unit="share per reward", ge=0, le=1, source="assumption; Frey and Jegen 2001 (size assumed)", description="Relative loss of belonging at each reward, when crowding-out is on.")
    unit_activation_prob: float = param(0.03, unit="1/month", ge=0, le=1, source="assumption; seed 004 §三.1 (points evaluation of co-building units in the annual review)", description="Monthly chance that a passive co-building unit without points becomes active.")
    unit_points_per_activity: float = param(10.0, unit="points", ge=0, le=1000, source="assumption", description="Points a unit earns per volunteer activity it runs.")
    unit_points_per_10k_yuan: float = param(5.0, unit="points", ge=0, le=1000, source="assumption", description="Points a unit earns per 10,000 yuan donated.")
    unit_points_scale: float = param(20.0, unit="points", ge=1, le=10000, source="assumption", description="Points at which a passive unit's monthly activation chance doubles.")
    running_cost_per_community: float = param(10000.0, unit="yuan/year", ge=0, le=1e7, source="assumption (platform, staff time, points supermarket)", description="Yearly cost of running the scheme in one community.")


def yuan_per_act(p: PointsIncentiveParams) -> float:
    """What an act earns in yuan: the mean of the points for a report, a deliberation and
    volunteering, times the value of a point."""
    return (p.points_per_report + p.points_per_deliberation + p.points_per_volunteering) / 3 * p.yuan_per_point


REFERENCE_YUAN_PER_ACT = yuan_per_act(PointsIncentiveParams())
"""What an act earns at the default rewards (about 4.17 yuan), where the bonuses hold as given."""


def reward_pull(p: PointsIncentiveParams) -> float:
    """Factor on the willingness bonuses for the rewards on offer: 1 at the defaults."""
    return (yuan_per_act(p) / REFERENCE_YUAN_PER_ACT) ** p.reward_elasticity


class PointsIncentive(Mechanism):
    name = "points_incentive"
    title = "积分制"
    description = "Points for reporting, deliberating and volunteering, exchanged for rewards; points evaluation of co-building units."
    sources = "seed 004 §三.1 (co-building units); residents' points: assumption"
    Params = PointsIncentiveParams
    phases = (Phase.DECIDE, Phase.PERIODIC)

    def setup(self, model) -> None:
        p, R = self.params, model.residents
        self._counts = [R.reports.copy(), R.deliberations.copy(), R.volunteering.copy()]  # as of the last credit
        self._total = R.reports + R.deliberations + R.volunteering
        self.points = np.zeros(R.n, dtype=np.float32)
        self.account = np.zeros(R.n, dtype=bool)
        self.bonus = np.zeros(R.n, dtype=np.float32)  # this mechanism's share of logit_bonus
        self.budget_left = np.full(model.n_communities, p.budget_per_community)
        pull = reward_pull(p)
        self._bonus_levels = (p.bonus_account * pull, p.bonus_other * pull)  # for an account holder, for everyone else
        self.unit_points = np.zeros(len(model.enterprises))
        self._donated = np.zeros(len(model.enterprises))  # every donation since the start earns points
        self.points_earned = self.rewards = self.rewarded = self.units_activated = 0.0
        self._honour()
        self._set_bonus(model, np.arange(R.n))

    def _earn(self, R) -> np.ndarray:
        """Credit points for acts since yesterday; returns the rows that acted.

        Counters only grow, so a changed total finds who acted. (Reading only the rows
        stamped in ``last_active`` since the last credit was tried: it is no faster, as
        those are twice as many and still need their counters compared.)
        """
        p = self.params
        total = R.reports + R.deliberations
        total += R.volunteering
        rows = (total != self._total).nonzero()[0]
        self._total = total
        if len(rows) == 0:
            return rows
        gain = None
        for counter, snapshot, points in zip((R.reports, R.deliberations, R.volunteering), self._counts, (p.points_per_report, p.points_per_deliberation, p.points_per_volunteering)):
            now = counter[rows]
            acts = (now - snapshot[rows]) * points
            if gain is None:
                gain = acts  # acts >= 0, so this is 0.0 + acts: the running sum from zero
            else:
                gain += acts
            snapshot[rows] = now
        self.points[rows] += gain.astype(np.float32)
        self.points_earned += float(np.add.reduce(gain))  # what gain.sum() does, without its Python wrapper
        return rows

    def _honour(self) -> None:
        """Rewards are honoured while a community's budget lasts: call whenever budgets change."""
        self._honoured = self.budget_left > 0
        self._account_bonus = (self._bonus_levels[0] * self._honoured).astype(np.float32)  # by community

    def _set_bonus(self, model, rows: np.ndarray) -> None:
        """Update this mechanism's logit term for ``rows`` (added to whatever others set)."""
        target = (np.where(self.account[rows], *self._bonus_levels) * self._honoured[model.resident_community[rows]]).astype(np.float32)
        self._shift_bonus(model, rows, target)

    def _shift_bonus(self, model, rows: np.ndarray, target) -> None:
        """Set this mechanism's logit term of ``rows`` to ``target``."""
        model.residents.logit_bonus[rows] += target - self.bonus[rows]
        self.bonus[rows] = target

    def act(self, model, phase: Phase) -> None:
        p, R = self.params, model.residents
        if phase is Phase.DECIDE:
            earned = self._earn(R)
            new = earned[~self.account[earned]]
            if len(new):
                self.account[new] = True
                self._shift_bonus(model, new, self._account_bonus[model.resident_community[new]])  # as _set_bonus would
            return
        day = model.day
        self.spend(p.running_cost_per_community * model.n_communities / YEAR)
        if day > 0 and day % YEAR == 0:
            self.budget_left[:] = p.budget_per_community
            self._honour()
            self._set_bonus(model, np.arange(R.n))
        if day > 0 and day % p.redeem_interval_days == 0:
            self._redeem(model)
        if day > 0 and model.month_begins():
            self._units(model)

    def _redeem(self, model) -> None:
        """Exchange day: rewards paid in random order while the community's budget lasts."""
        p, R = self.params, model.residents
        rows = np.flatnonzero(self.points >= max(p.redeem_min_points, 1e-9))
        rows = rows[self.rng.permutation(len(rows))]
        yuan = self.points[rows].astype(float) * p.yuan_per_point
        community = model.resident_community[rows]
        order = np.argsort(community, kind="stable")
        rows, yuan, community = rows[order], yuan[order], community[order]
        spent_before = np.concatenate([[0.0], np.cumsum(yuan)])[:-1]
        first = np.searchsorted(community, np.arange(model.n_communities), "left")
        spent_before -= spent_before[first[community]] if len(rows) else 0.0
        paid = spent_before + yuan <= self.budget_left[community]
        rows, yuan = rows[paid], yuan[paid]
        np.subtract.at(self.budget_left, model.resident_community[rows], yuan)
        self.points[rows] = 0
        self.spend(float(yuan.sum()))
        self.rewards += float(yuan.sum())
        self.rewarded += len(rows)
        if p.crowding_out and len(rows):
            R.belonging[rows] *= np.float32(1 - p.crowding_out_rate)
        exhausted = np.flatnonzero(self.budget_left < p.redeem_min_points * p.yuan_per_point)
        # A community already out of budget at the last exchange has every bonus at 0:
        # setting them again would change nothing.
        newly = exhausted[self._honoured[exhausted]]
        self.budget_left[exhausted] = 0.0
        self._honour()
        if len(newly):
            self._set_bonus(model, np.flatnonzero(np.isin(model.resident_community, newly)))

    def _units(self, model) -> None:
        """Co-building units earn points; passive units with points activate more often."""
        p = self.params
        donated = np.array([e.donated for e in model.enterprises], dtype=float)
        self.unit_points += (donated - self._donated) / 10000 * p.unit_points_per_10k_yuan
        self._donated = donated
        for i, e in enumerate(model.enterprises):
            if e.active:
                self.unit_points[i] += p.unit_points_per_activity * e.volunteer_activities_per_month
            elif self.rng.random() < min(1.0, p.unit_activation_prob * (1 + self.unit_points[i] / p.unit_points_scale)):
                e.active = True
                e.volunteer_activities_per_month = max(e.volunteer_activities_per_month, 1.0)
                self.units_activated += 1

    def metrics(self) -> dict[str, float]:
        return {
            "points_earned": self.points_earned,
            "rewards_yuan": self.rewards,
            "rewards_paid": self.rewarded,
            "account_share": float(self.account.mean()),
            "units_activated": self.units_activated,
        }
