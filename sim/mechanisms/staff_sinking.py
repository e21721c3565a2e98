"""Staff sinking (三个下沉).

The problem it addresses: communities carry the work of the whole
subdistrict with too few hands (社区工作不堪重负), and the offices above them
stay out of reach (seed 002). Seed 002 proposes "three sinkings" to open the
vertical channel: subdistrict leaders serve as community first secretaries
(街道领导挂点兼任社区党委第一书记); subdistrict office staff help the
community govern its estates "no less than two half-days a week"
(每周不少于两个半天进驻社区); and members of the community party committee
serve as secretaries of the estate (zone) branches (社区党委委员兼任小区（片区）
党支部书记). This mechanism models the first two; the zone branches of the
third are those of ``party_network``.

What it changes in the model:

* **Office staff in the community.** Every community gets a service pool of
  ``staff_per_community`` subdistrict staff. Each gives ``half_days_per_week``
  half-days a week of ``half_day_work`` work-days each; the pool's speed is
  that time spread over the week (a case waits for the next visit, so a
  half-day job takes about three and a half days), which keeps the capacity
  exactly what the half-days supply.
* **Cases beyond the community.** Office staff carry the subdistrict's
  authority, so in ROUTE they take newly discovered big problems (oldest
  first) whenever their own queue is shorter than their number: cases the
  community alone would have to refer to a department (or settle only
  rarely) are settled on site.
* **Backlog help.** When more small problems wait in the community queue
  than the community has posts, staff who are free take jobs from the back
  of that queue (where waits are longest). Big cases come first, and in the
  baseline community they keep the staff busy, so this happens only where
  big problems are few or the gridworkers far overloaded.
* **First secretaries.** A subdistrict leader as first secretary carries
  the community's referrals upward: the delay before a big problem referred
  today reaches its department (the core's ``referral_delay_days``, scaled
  by coordination) is cut by ``referral_cut``.

Cost: the staff's half-days (time taken from the subdistrict office) and
the first secretaries' time.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.problems import DISCOVERED, QUEUED, RESOLVED, ROUTED


class StaffSinkingParams(MechanismParams):
    staff_per_community: int = param(4, unit="persons per community", ge=0, le=50, source="assumption; seed 002 (街道机关力量下沉)", description="Subdistrict office staff assigned to each community.")
    half_days_per_week: float = param(2.0, unit="half-days/week", ge=0, le=10, source="seed 002: no less than two half-days a week in the community", description="Half-days a week each staff member works in the community.")
    half_day_work: float = param(0.5, unit="work-days per half-day", ge=0, le=1, source="assumption (half of a full-time server's day)", description="Service a staff member gives in one half-day.")
    referral_cut: float = param(0.3, unit="share of referral delay", ge=0, le=1, source="assumption; seed 002 (subdistrict leaders as community first secretaries)", description="Relative cut in the delay before a referred big problem reaches its department.")
    cost_per_half_day: float = param(200.0, unit="yuan per staff half-day", ge=0, le=1e5, source="assumption: about 100,000 yuan a year for a subdistrict civil servant, 250 working days", description="Cost of one staff half-day in the community.")
    first_secretary_cost: float = param(20000.0, unit="yuan/year per community", ge=0, le=1e7, source="assumption", description="Yearly cost of a subdistrict leader's time as first secretary.")


class StaffSinking(Mechanism):
    name = "staff_sinking"
    title = "三个下沉"
    description = "Subdistrict staff work in communities two half-days a week and take cases; leaders as first secretaries speed referrals."
    sources = "seed 002"
    Params = StaffSinkingParams
    phases = (Phase.ROUTE, Phase.PERIODIC)
    route_priority = 30  # sunk staff take big problems the summons left

    def setup(self, model) -> None:
        p = self.params
        self.model = model
        n = p.staff_per_community
        speed = p.half_days_per_week * p.half_day_work / 7
        self.pool = np.array([model.add_pool(f"subdistrict staff {c}", n) for c in range(model.n_communities)])
        for pool in self.pool:
            model.pools[pool].set_speed(np.full(n, speed), 0.0)
        self.active = n > 0 and speed > 0
        self.posts = np.diff(model.post_start).tolist()  # gridworker posts by community
        self.referrals_cut = 0
        half_days = p.staff_per_community * p.half_days_per_week / 7  # a community's staff half-days a day
        self.daily_cost = model.n_communities * (half_days * p.cost_per_half_day + p.first_secretary_cost / 365)

    def act(self, model, phase: Phase) -> None:
        if phase is Phase.ROUTE:
            if self.active:
                self._take_cases(model)
            return
        self._shorten_referrals(model)
        self.spend(self.daily_cost)

    def _take_cases(self, model) -> None:
        # A day has a handful of new big cases: they are sorted and split as Python scalars.
        P, day, n = model.problems, model.day, self.params.staff_per_community
        big = [i for i in model.open_ids(DISCOVERED).tolist() if P.big.item(i)]
        big.sort(key=P.arose.item)  # oldest first (a stable sort)
        cases: dict[int, list[int]] = {}  # by community
        for i in big:
            cases.setdefault(model.building_community.item(P.building.item(i)), []).append(i)
        for c in range(model.n_communities):
            community = model.pools[model.community_pool[c]]
            backlog = len(community.queue) - self.posts[c]
            if c not in cases and backlog <= 0:
                continue  # nothing to take on
            staff = model.pools[self.pool[c]]
            room = n - sum(P.status.item(j) == QUEUED for j in staff.queue)
            if room > 0 and c in cases:
                ids = np.array(cases[c][:room])
                model.send_to_pool(ids, self.pool[c], P.discovered[ids], model.params.service.big_work_days, rng=self.rng)
                room -= len(ids)
            if room > 0 and backlog > 0:
                free = min(room, int((staff.free_at <= day).sum()), backlog)
                if free > 0:
                    self._help_with_backlog(model, community, self.pool[c], free)

    @staticmethod
    def _help_with_backlog(model, community, pool: int, k: int) -> None:
        """Free staff take up to ``k`` small jobs from the back of the community queue."""
        P = model.problems
        queue = np.fromiter(community.queue, dtype=np.int64, count=len(community.queue))
        waiting = queue[(P.status[queue] == QUEUED) & ~P.big[queue] & (P.pool[queue] == community.index)]
        model.move_queued(waiting[::-1][:k], pool)

    def _shorten_referrals(self, model) -> None:
        """First secretaries: referrals made today reach the department sooner."""
        P, day = model.problems, model.day
        routed = [i for i in model.open_ids(ROUTED).tolist() if P.discovered.item(i) >= day]  # routed today: a handful
        if not routed:
            return
        ids = [i for i in routed if P.pool.item(i) in model.department_pools and P.ready.item(i) > day + 1]
        if ids:
            ids = np.array(ids)
            shorter = P.discovered[ids] + (1 - self.params.referral_cut) * (P.ready[ids] - P.discovered[ids])
            P.ready[ids] = np.maximum(shorter, day + 1.0)
            self.referrals_cut += len(ids)

    def metrics(self) -> dict[str, float]:
        P = self.model.problems
        served = np.isin(P.view("pool"), self.pool)
        status = P.view("status")
        return {
            "problems_taken_by_staff": int(served.sum()),
            "big_problems_resolved_by_staff": int((served & P.view("big") & (status == RESOLVED)).sum()),
            "referrals_shortened": self.referrals_cut,
        }
