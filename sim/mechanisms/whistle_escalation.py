"""Whistle and report (社区吹哨、部门报到).

The problem it addresses: communities must handle cross-department matters
without matching enforcement, dispatch or decision powers, so "small things
are not fully managed and big things are beyond reach" (小事管不全、大事管不了,
seed 004 §二.2). In the core, a big problem the community cannot settle itself
is referred to the responsible department after a slow referral
(``departments.referral_delay_days``) and waits there behind every other
referral for the department's thin community-facing staff.

What it changes: seed 004 §三.2 proposes to deepen "the community blows the
whistle, departments report" as a joint-enforcement and rapid-response
mechanism that gives the community temporary dispatch power. In ROUTE, before
the core's default routing, each community blows the whistle on newly
discovered big problems, oldest first, up to ``max_summons_per_month`` a
month. A summoned case reaches the department responsible for its kind (the
department behind ``model.department_pool[kind]``) after a short response
delay (exponential, mean ``response_days``) instead of the slow referral, and
that department serves it from staff it commits to summons, in a dedicated
summons pool added at setup rather than behind the ordinary referrals. The
departments together commit ``summon_staff_per_community`` server-days a day
for each community, split among them by their expected load of big problems,
as whole officers on part duty (like the core's departments): a case, once
taken up, needs its ordinary work at full speed.
Big problems beyond the monthly quota take the core's usual route. Faster
arrival and dedicated capacity mean more big problems are resolved before
residents give up; resolutions feed residents' efficacy through the core.

Which of the two does the work: the committed staff. In the baseline
community (one year, 6 seeds) the share of big problems resolved rose from
0.21 to 0.45 with the defaults; a 20-day response instead of one day still
gave 0.45, while 0.5 staff instead of 2 gave 0.27. Big problems wait for
capacity, not for the summons to arrive, so ``summon_staff_per_community``
is the lever to study and the cost to weigh.

Cost: the department staff committed to summons, per server-year.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS
from sim.model.problems import DISCOVERED, RESOLVED


class WhistleEscalationParams(MechanismParams):
    response_days: float = param(1.0, unit="days", ge=0, le=60, source="assumption; seed 004 §三.2 asks for rapid response (快速响应) with no figure; the mean is the 24-hour response of Licheng's platform (seed 004 §一.3)", description="Mean delay before a summoned department takes up a case.")
    summon_staff_per_community: float = param(2.0, unit="servers per community", ge=0, le=20, source="assumption; seed 004 §三.2 (departments report to the community)", description="Department staff committed to summoned cases, per community served (split over the departments by their load of big problems).")
    max_summons_per_month: float = param(10.0, unit="summons per community per month", ge=0, le=1000, source="assumption; seed 004 §一.1 (220+ urgent problems solved in 8 pilot communities)", description="Most big problems a community may blow the whistle on in a month.")
    work_factor: float = param(1.0, unit="ratio", ge=0.1, le=5, source="assumption (joint on-site handling needs the same work as a referral)", description="Work of a summoned case relative to an ordinary big problem.")
    staff_cost_yuan: float = param(100000.0, unit="yuan per server-year", ge=0, le=1e7, source="assumption", description="Yearly cost of one department server committed to summons.")


class WhistleEscalation(Mechanism):
    name = "whistle_escalation"
    title = "吹哨报到"
    description = "Communities summon departments for big problems: fast response and dedicated department capacity."
    sources = "seed 004 §三.2 (problem: seed 004 §二.2)"
    Params = WhistleEscalationParams
    phases = (Phase.ROUTE,)
    route_priority = 20  # urgent big problems are summoned first, within the monthly quota

    def setup(self, model) -> None:
        p = self.params
        self.model = model
        self.summon_pool = np.full(len(PROBLEM_KINDS), -1)
        self.staff = p.summon_staff_per_community * model.n_communities
        if self.staff > 0:
            # Departments commit staff in proportion to the big problems of their kinds.
            kinds = model.params.problems.kinds
            load = {k: getattr(kinds, k).rate * getattr(kinds, k).big_share for k in PROBLEM_KINDS}
            departments = [d for d in model.departments if d.kinds]
            weight = np.array([sum(load[k] for k in d.kinds) for d in departments]) + 1e-12
            for dept, staff in zip(departments, self.staff * weight / weight.sum()):
                # whole officers on part duty, as the core's departments: a case takes its
                # work at full speed once started, and the officer then turns to other work
                servers = max(1, int(np.ceil(staff)))
                pool = model.add_pool(f"department {dept.index} summons", servers, duty=staff / servers)
                model.pools[pool].set_speed(np.ones(servers), 0.0)
                for kind in dept.kinds:
                    self.summon_pool[PROBLEM_KINDS.index(kind)] = pool
        self.used = [0] * model.n_communities  # summons this month, by community
        self._count_quota()
        self.summoned: list[int] = []  # summoned problems, in order of summons

    def act(self, model, phase: Phase) -> None:
        p = self.params
        if model.month_begins():
            self.used = [0] * model.n_communities
            self._count_quota()
        self.spend(self.staff * p.staff_cost_yuan / 365)
        if self.staff <= 0 or max(self.left) <= 0:  # no staff, or every community has used this month's quota
            return
        # A day has a handful of new cases: they are ranked as Python scalars.
        P = model.problems
        cases = [i for i in model.open_ids(DISCOVERED).tolist() if P.big.item(i)]
        if not cases:
            return
        cases.sort(key=P.discovered.item)  # oldest first (a stable sort)
        ids, community, rank = [], [], [0] * model.n_communities
        for i in cases:  # within the quota: the rank of a case within its community against what it has left
            c = model.building_community.item(P.building.item(i))
            if rank[c] < self.left[c]:
                ids.append(i)
                community.append(c)
            rank[c] += 1
        if not ids:
            return
        ids = np.array(ids)
        ready = P.discovered[ids] + self.rng.exponential(p.response_days, len(ids)) if p.response_days > 0 else P.discovered[ids].copy()
        work = model.params.service.big_work_days * p.work_factor
        model.send_to_pool(ids, self.summon_pool[P.kind[ids]], ready, work, rng=self.rng)
        for c in community:
            self.used[c] += 1
        self._count_quota()
        self.summoned += ids.tolist()

    def _count_quota(self) -> None:
        """Summons each community has left this month."""
        self.left = [math.floor(self.params.max_summons_per_month - used) for used in self.used]

    def metrics(self) -> dict[str, float]:
        ids = np.array(self.summoned, dtype=np.int64)
        resolved = float((self.model.problems.status[ids] == RESOLVED).mean()) if len(ids) else float("nan")
        return {"summons": float(len(ids)), "summons_resolved_share": resolved}
