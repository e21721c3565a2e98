"""Emergency conversion (平战转化): reserves and partner units become emergency squads in a shock.

The problem it addresses: a flood or an epidemic brings a surge of problems
that the community's few workers cannot handle (seed 003 §1.2: the party
organisation was short of hands). Licheng's "peacetime-wartime conversion"
(seed 004 §一.2) keeps reserves ready in peacetime (talent, mobile staff,
flood and epidemic supplies, regular drills); in an emergency gridworkers
and building heads pass on orders and the helper groups and partner units
turn into emergency squads for coordination, field work, publicity and
logistics. In Yuyao's epidemic every household sent one healthy member as a
volunteer (seed 003 §1.2).

What it changes in the model:

* **Peacetime.** Every ``drill_interval_days`` a drill invites the reserve
  (registered party members and regular volunteers); those willing take
  part and are active (``volunteering``). 0 means no peacetime drills.
* **Conversion.** From ``response_days`` after a shock (``[[shocks]]`` in
  the scenario) begins, and while it lasts, the reserve forms squads:
  registered party members, residents who volunteer at least
  ``regular_acts_per_year`` times a year, and residents who answer the
  household call. The call (``model.mobilise``) asks a share
  ``household_share`` of adults under 60 (one healthy member a household);
  those willing join. Each active co-building unit sends
  ``enterprise_staff`` employees.
* **Squad capacity.** Each day a share ``duty_share`` of the squad members
  is on duty (and active); with the units' staff they are servers of the
  community's emergency pool, each giving ``hours_per_duty`` / 8 work-days.
  In ROUTE the squads take newly discovered small problems of the shock's
  kinds, and the same share of the backlog waiting for the gridworkers, in
  proportion to their capacity against the gridworkers'. When the shock
  ends they stand down; jobs not started go back to the gridworkers.

Cost: stockpiles and drills each year, and supplies (meals, protective
gear) for each squad person-day.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS
from sim.model.problems import DISCOVERED, QUEUED
from sim.model.residents import ELDERLY


class EmergencyConversionParams(MechanismParams):
    response_days: int = param(1, unit="days", ge=0, le=60, source="seed 004 §一.2 (应急时期迅速响应; drills keep response quick); delay assumed", description="Days after a shock begins until the squads are on duty.")
    household_share: float = param(0.68, unit="share of adults under 60", ge=0, le=1, source="seed 003 §1.2 (each household sent one healthy member): with about two adults a household (assumption) and 27% of adults 60 and over, 0.5 / 0.73", description="Share of adults under 60 asked to join the squads when a shock begins.")
    regular_acts_per_year: float = param(12.0, unit="acts/year", ge=0, le=365, source="assumption (the reserve found through the 1+4+N system, seed 004 §一.2)", description="Volunteering rate from which a resident counts as a regular volunteer in the reserve.")
    duty_share: float = param(0.25, unit="share per day", ge=0, le=1, source="assumption", description="Share of squad members on duty on a shock day.")
    hours_per_duty: float = param(4.0, unit="hours", ge=0, le=12, source="assumption", description="Hours of work a squad member on duty gives.")
    enterprise_staff: float = param(5.0, unit="persons per active unit", ge=0, le=200, source="assumption; seed 004 §一.2 (联建单位转化为应急专班)", description="Employees an active co-building unit sends to the squads each shock day.")
    drill_interval_days: int = param(180, unit="days", ge=0, le=3650, source="seed 004 §一.2 (定期开展预案演练); interval assumed", description="Days between peacetime drills; 0: no drills.")
    readiness_cost_per_community: float = param(10000.0, unit="yuan/year per community", ge=0, le=1e7, source="assumption; seed 004 §一.2 (flood and epidemic supplies, drills)", description="Yearly cost of stockpiles and drills in one community.")
    cost_per_person_day: float = param(30.0, unit="yuan per squad person-day", ge=0, le=1e4, source="assumption (meals, protective gear)", description="Supplies for one squad member on duty for a day.")


class EmergencyConversion(Mechanism):
    name = "emergency_conversion"
    title = "平战转化"
    description = "In a flood or epidemic, party members, volunteers, called residents and partner units form emergency squads."
    sources = "seed 003 §1.2; seed 004 §一.2"
    Params = EmergencyConversionParams
    phases = (Phase.ROUTE,)
    route_priority = 10  # during a shock the squads take their share first

    @classmethod
    def first_action_day(cls, params, core) -> int | None:
        """The first drill or emergency response, whichever comes first (None: neither).

        Squads answer a shock only while it lasts, from ``response_days`` after it begins.
        """
        days = [shock.day + params.response_days for shock in core.shocks if params.response_days < shock.duration_days]
        if params.drill_interval_days:
            days.append(params.drill_interval_days)
        return min(days, default=None)

    @classmethod
    def scheduled_days(cls, params, core, days: int) -> list[int]:
        """The peacetime drills: none while squads are on duty, up to the day they stand down
        (the squads' response follows a shock, which is marked itself)."""
        if not params.drill_interval_days:
            return []
        on_duty = [(s.day + params.response_days, s.day + s.duration_days) for s in core.shocks if params.response_days < s.duration_days]
        return [d for d in range(params.drill_interval_days, days, params.drill_interval_days) if not any(lo <= d <= hi for lo, hi in on_duty)]

    def setup(self, model) -> None:
        self.model = model
        self.pool = np.array([model.add_pool(f"emergency squads {c}", 0) for c in range(model.n_communities)])
        self.roster: np.ndarray | None = None
        self.person_days = 0.0
        self.responders = 0
        self.taken = 0

    def act(self, model, phase: Phase) -> None:
        p = self.params
        self.spend(p.readiness_cost_per_community * model.n_communities / 365)
        shocks = [s for s in model.active_shocks() if model.day >= s.day + p.response_days]
        if shocks:
            if self.roster is None:
                self.roster = self._form_squads(model)
            shock_kind = np.zeros(len(PROBLEM_KINDS), dtype=bool)  # by kind code: a kind of an active shock
            shock_kind[[PROBLEM_KINDS.index(k) for s in shocks for k in s.kinds]] = True
            self._serve_shock(model, shock_kind)
        elif self.roster is not None:
            self._stand_down(model)
        elif p.drill_interval_days and model.day > 0 and model.day % p.drill_interval_days == 0:
            R = model.residents
            reserve = self._reserve(model)
            R.mark_active(reserve[self.rng.random(len(reserve)) < R.willingness[reserve]], model.day, R.volunteering)

    def _reserve(self, model) -> np.ndarray:
        R = model.residents
        regular = R.volunteering * 365 / max(model.day + 1, 30) >= self.params.regular_acts_per_year
        return np.flatnonzero(R.party_registered | regular)

    def _form_squads(self, model) -> np.ndarray:
        R = model.residents
        asked = model.mobilise(np.where(R.age_group != ELDERLY, np.float32(self.params.household_share), np.float32(0)), rng=self.rng)
        answered = asked[self.rng.random(len(asked)) < R.willingness[asked]]
        self.responders += len(answered)
        return np.union1d(self._reserve(model), answered)

    def _serve_shock(self, model, shock_kind: np.ndarray) -> None:
        p, P, R, day = self.params, model.problems, model.residents, model.day
        on = self.roster[self.rng.random(len(self.roster)) < p.duty_share]
        R.mark_active(on, day, R.volunteering)
        units = np.bincount([e.community for e in model.enterprises if e.active], minlength=model.n_communities)
        people = np.bincount(model.resident_community[on], minlength=model.n_communities) + np.rint(units * p.enterprise_staff).astype(int)
        self.person_days += people.sum()
        self.spend(people.sum() * p.cost_per_person_day)
        speed = p.hours_per_duty / 8
        gw = np.bincount(model.gridworkers.community, weights=model.gridworkers.service_speed(model.params.service.capacity_effect), minlength=model.n_communities)
        share = people * speed / np.maximum(people * speed + gw, 1e-9)
        for c, index in enumerate(self.pool):
            pool, community = model.pools[index], model.pools[model.community_pool[c]]
            speeds = np.zeros(max(people[c], len(pool.speed)))
            speeds[: people[c]] = speed
            pool.set_speed(speeds, day)
            # the squads take their share of the backlog, from the back of the queue
            queue = np.fromiter(community.queue, dtype=np.int64, count=len(community.queue))
            waiting = queue[(P.status[queue] == QUEUED) & (P.pool[queue] == community.index)]
            small = waiting[~P.big[waiting]][::-1][: int(round(len(waiting) * share[c]))]
            model.move_queued(small[::-1], index)
        ids = model.open_ids(DISCOVERED)
        ids = ids[~P.big[ids] & shock_kind[P.kind[ids]]]
        community = model.building_community[P.building[ids]]
        take = self.rng.random(len(ids)) < share[community]
        ids = ids[take]
        model.send_to_pool(ids, self.pool[community[take]], P.discovered[ids], model.params.service.small_work_days, rng=self.rng)
        self.taken += len(ids)

    def _stand_down(self, model) -> None:
        P = model.problems
        for c, index in enumerate(self.pool):
            pool = model.pools[index]
            pool.set_speed(np.zeros(len(pool.speed)), model.day)
            queue = np.fromiter(pool.queue, dtype=np.int64, count=len(pool.queue))
            model.move_queued(queue[(P.status[queue] == QUEUED) & (P.pool[queue] == index)], model.community_pool[c])
        self.roster = None

    def metrics(self) -> dict[str, float]:
        return {"squad_person_days": self.person_days, "household_responders": self.responders, "problems_taken": self.taken}
