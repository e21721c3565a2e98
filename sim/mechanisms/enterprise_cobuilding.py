"""Enterprise co-building (结对共建 / 社区合伙人).

The problem it addresses: co-building units respond passively, rarely join
daily governance, and their support stays at one-off donations and short
cooperation rather than lasting support (seed 004 §二.1, §二.2).

What it changes: at setup a pairing drive (结对共建, seed 000 §1, §5; units
taken into the alliance, seed 004 §一.1) pairs a share ``pairing_share`` of
the units in ``model.enterprises`` with their community: a paired unit
becomes active and gives a one-off donation of funds or equipment
(``pairing_donation_yuan``) into its community's co-building fund. While a
unit stays active, every month

- its employee volunteers run ``employee_activities_per_month`` activities
  (``enterprise.volunteer_activities_per_month``, which the core adds to the
  community's supply of activities);
- its party group asks ``employees_asked_per_month`` employed residents of
  its community to take part (``model.mobilise``): seed 000 §5, employees
  who live in the area join community projects;
- under the community-partner scheme only, it gives steady support
  (``monthly_support_yuan``) into the fund.

The fund is earmarked: the committee spends ``project_spend_share`` of it
each month on co-building projects (``project_cost_yuan`` each), each run as
one extra community activity that month (``model.extra_activities``), and
never on its ordinary programme, which its own budget pays for. Money
becomes activities only through the committee. Gifts count as the unit's
donations (``enterprise.donated``, which the points evaluation of units
reads).

Paired units drift away (``drift_prob`` a month) and go back to what they
did before the pairing drive: most were passive and again only give the
core's occasional one-off donation; one already active before it keeps its
former activities, but its employees are no longer asked. The
community-partner scheme (社区合伙人, seed 004 §三.2, with the points
evaluation of units in the annual review, seed 004 §三.1) honours steady
contributors, which prevents ``honour_retention`` of that drift. Switched off (``partner_scheme =
false``), the pairing is a one-off campaign: a burst of donations whose
activities fade as units drift back, as seed 004 §二.2 describes.

Cost: running the pairing and the partner scheme (matching, honours,
evaluation), per community per year. Donations are the units' money; the
committee's spending of them appears in the committee's own spending.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param


class EnterpriseCobuildingParams(MechanismParams):
    partner_scheme: bool = param(True, unit="switch", source="seed 004 §三.2 (社区合伙人, honours for steady contributors); seed 004 §三.1 (points evaluation of units)", description="Community-partner scheme: steady monthly support and honours that keep units active (false: one-off pairing).")
    pairing_share: float = param(0.8, unit="share of units", ge=0, le=1, source="assumption; seed 004 §一.1 (190 units drawn into 8 pilot communities)", description="Share of co-building units paired with their community at the start.")
    pairing_donation_yuan: float = param(20000.0, unit="yuan", ge=0, le=1e7, source="assumption; seed 000 §5 (funds or equipment, e.g. a playground)", description="One-off funds or equipment a unit gives when it is paired.")
    monthly_support_yuan: float = param(2000.0, unit="yuan/month", ge=0, le=1e6, source="assumption; seed 004 §三.2 (long-term, stable support)", description="Steady support of an active partner unit a month (partner scheme only).")
    employee_activities_per_month: float = param(1.0, unit="activities/month", ge=0, le=50, source="assumption; seed 000 §5 (employee volunteers join projects)", description="Activities an active unit's employee volunteers run a month.")
    employees_asked_per_month: float = param(10.0, unit="residents/month", ge=0, le=1000, source="assumption; seed 000 §5 (enterprise party groups mobilise resident employees)", description="Employed residents of its community an active unit asks to take part a month.")
    drift_prob: float = param(0.1, unit="1/month", ge=0, le=1, source="assumption; seed 004 §二.1, §二.2 (passive response, one-off donations)", description="Monthly chance a paired unit drifts back to what it did before the pairing.")
    honour_retention: float = param(0.8, unit="share of drift", ge=0, le=1, source="assumption; seed 004 §三.2 (honours for steady contributors)", description="Share of the drift that honours prevent under the partner scheme.")
    project_cost_yuan: float = param(5000.0, unit="yuan/project", ge=1, le=1e7, source="assumption; seed 000 §5 (co-building projects with funds or equipment)", description="Cost of one co-building project, run as one extra community activity.")
    project_spend_share: float = param(0.25, unit="share per month", ge=0, le=1, source="assumption", description="Share of the co-building money it holds that the committee spends on projects each month.")
    cost_per_community: float = param(10000.0, unit="yuan/year", ge=0, le=1e7, source="assumption", description="Yearly cost of running the pairing and partner scheme in one community.")


class EnterpriseCobuilding(Mechanism):
    name = "enterprise_cobuilding"
    title = "结对共建 / 社区合伙人"
    description = "Units paired with communities give funds and employee volunteers; the partner scheme keeps support steady."
    sources = "seed 000 §1, §5; seed 004 §二.1, §二.2, §三.1, §三.2"
    Params = EnterpriseCobuildingParams
    phases = (Phase.DECIDE,)

    def setup(self, model) -> None:
        p = self.params
        self.fund = np.zeros(model.n_communities)  # co-building money the committee still holds, by community
        self.projects = np.zeros(model.n_communities)  # extra activities this month, by community
        self.given = 0.0
        self.paired = [e for e in model.enterprises if self.rng.random() < p.pairing_share]
        # A unit that drifts away goes back to what it did before the pairing drive
        # (a unit already active before it stays active), not below it.
        self.before = {id(e): (e.active, e.volunteer_activities_per_month) for e in self.paired}
        self.engaged = list(self.paired)  # paired units that have not drifted away
        for e in self.paired:
            self._activate(e, True)
            self._give(e, p.pairing_donation_yuan)
        self.active_months = 0.0

    def _activate(self, e, active: bool) -> None:
        e.active = active
        e.volunteer_activities_per_month = self.params.employee_activities_per_month if active else 0.0

    def _give(self, e, yuan: float) -> None:
        if yuan > 0:
            e.donated += yuan
            self.fund[e.community] += yuan
            self.given += yuan

    def act(self, model, phase: Phase) -> None:
        p = self.params
        self.spend(p.cost_per_community * model.n_communities / 365)
        if model.day == 0 or not model.month_begins():
            return  # monthly, just before the core plans the month's activities
        drift = p.drift_prob * ((1 - p.honour_retention) if p.partner_scheme else 1.0)
        asked = np.zeros(model.n_communities)
        still = []
        for e in self.engaged:
            if self.rng.random() < drift:
                e.active, e.volunteer_activities_per_month = self.before[id(e)]
                continue
            still.append(e)
            asked[e.community] += p.employees_asked_per_month
            if p.partner_scheme:
                self._give(e, p.monthly_support_yuan)
        self.engaged = still
        self.active_months += len(still)
        # employees of active units are asked to take part
        R = model.residents
        if asked.any():
            employed = np.bincount(model.resident_community, weights=R.employed, minlength=model.n_communities)
            share = np.minimum(1.0, asked / np.maximum(employed, 1))
            model.mobilise((R.employed * share[model.resident_community]).astype(np.float32), rng=self.rng)
        # the committee turns co-building money into project activities
        cost = p.project_cost_yuan
        projects = np.zeros(model.n_communities)
        for c, committee in enumerate(model.committees):
            paid = self.fund[c] * p.project_spend_share
            self.fund[c] -= paid
            committee.spent += paid  # the units' money, spent by the committee
            projects[c] = paid / cost
        model.extra_activities += projects - self.projects
        self.projects = projects

    def metrics(self) -> dict[str, float]:
        paired = max(len(self.paired), 1)
        return {
            "paired_units": float(len(self.paired)),
            "active_share_end": sum(e.active for e in self.paired) / paired,  # engaged, or active before the drive
            "given_yuan": self.given,
        }
