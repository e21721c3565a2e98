"""Order matching (群众点单、支部制单、党员接单、群众评单).

The problem it addresses: services for residents stay generic and lag behind
their actual needs (seed 004 §2.3), and registered party members and
volunteers serve little (seed 004 §2.1).

What it changes: seed 004 §1.1 runs the interactive service mode "residents
order, the branch packages, members take the order, residents rate", and
§3.1 asks for more of it ("居民点单、组织派单、党员接单"). In the model:

- 点单 (order): each day an undiscovered small need of the order kinds
  (``kinds``: care and neighbour disputes by default) is posted on the needs
  list by a resident of its building with chance ``post_prob``; posting is a
  report (``CHANNELS["order"]``, the resident's ``reports`` counter).
- 制单 (package): in ROUTE, before the core's routing, the mechanism claims
  every newly discovered small problem of the order kinds (status HELD); the
  zone branch (片区党支部) packages it into an order ready after
  ``packaging_days``.
- 接单 (take): each day every open order is offered to up to
  ``offers_per_day`` party members of its zone registered in the community
  (报到, serving or not: members claim services under their shown identity,
  亮身份, seed 004 §3.1), then, if none took it, to up to ``offers_per_day``
  residents of the zone active in the last 30 days (volunteers); only those
  not busy with another order are asked, and each accepts with their
  current willingness (higher for serving members). The taker
  is marked active (``volunteering``) and finishes after an exponential time
  with mean ``service_days``; the problem's deadline is extended while the
  taker works on it. An order nobody takes within ``wait_days`` goes to the
  core's ordinary service (care pool or community pool).
- 评单 (rate): in SERVE the mechanism closes finished orders through
  ``model.close``, so residents rate them by how long they took and the
  building's efficacy rises, as for any resolved problem.

Orders are extra service capacity drawn from residents, so needs are met
sooner and members and volunteers take part more.

Cost: the branch's running of the needs list per community, and points or
materials per completed order.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS, ProblemKindList
from sim.model.problems import CHANNELS, DISCOVERED, HELD, UNDISCOVERED
from sim.model.residents import ACTIVE_WINDOW
from sim.model.world import slice_starts


class OrderMatchingParams(MechanismParams):
    kinds: ProblemKindList = param(("care", "disputes"), unit="problem kinds", source="seed 004 §1.1 (service orders); seed 004 §3.1 (members in dispute mediation)", description="Kinds of small need handled as orders.")
    post_prob: float = param(0.2, unit="1/day", ge=0, le=1, source="assumption; seed 004 §1.1 (needs list, 三张清单)", description="Daily chance an undiscovered need of the order kinds is posted by a resident of its building.")
    packaging_days: float = param(0.5, unit="days", ge=0, le=30, source="assumption; seed 004 §1.1 (支部制单)", description="Days the zone branch takes to package a posted need into an order.")
    offers_per_day: int = param(3, unit="offers/day", ge=0, le=50, source="assumption", description="Residents an open order is offered to each day.")
    service_days: float = param(1.0, unit="days", ge=0.01, le=60, source="assumption", description="Mean time a member or volunteer takes to carry out an order.")
    wait_days: float = param(3.0, unit="days", ge=0, le=60, source="assumption", description="Days an order stays open to takers before it goes to the ordinary service.")
    cost_per_order_yuan: float = param(20.0, unit="yuan/order", ge=0, le=10000, source="assumption", description="Points or materials per completed order.")
    cost_per_community: float = param(10000.0, unit="yuan/year", ge=0, le=1e7, source="assumption", description="Yearly cost of running the needs list and order board in one community.")



class OrderMatching(Mechanism):
    name = "order_matching"
    title = "群众点单、支部制单、党员接单、群众评单"
    description = "Residents post needs, zone branches package them, party members and volunteers take them, residents rate them."
    sources = "seed 004 §1.1, §3.1 (problem: seed 004 §2.1, §2.3)"
    Params = OrderMatchingParams
    phases = (Phase.DISCOVER, Phase.ROUTE, Phase.SERVE)
    route_priority = 50  # small needs of the order kinds become orders

    def setup(self, model) -> None:
        self.model = model
        self.order_kind = np.isin(np.arange(len(PROBLEM_KINDS)), [PROBLEM_KINDS.index(k) for k in self.params.kinds])
        # residents are sorted by building, hence by zone: zone z owns rows [zone_start[z], zone_start[z + 1])
        self.zone_start = slice_starts(model.resident_zone, model.n_zones)
        self.busy_until = np.zeros(model.residents.n)  # when a taker is free again
        self.busy: set[int] = set()  # rows that may still be busy (all with busy_until > today): a handful
        self.groups: dict[tuple[int, bool], np.ndarray] = {}  # (zone, registered?) -> residents' rows, sorted
        self.groups_key = -1  # registered members when ``groups`` was filled
        # The order board holds a handful of orders at a time: plain lists of ids.
        self.open: list[int] = []  # orders waiting for a taker, in order of posting
        self.taken: list[int] = []  # orders being carried out, in order of taking
        self.orders = self.done = self.fallback = self.by_members = 0
        self.ratings: list[np.ndarray] = []
        self.takers: list[np.ndarray] = []  # who took each order, in order of taking

    def act(self, model, phase: Phase) -> None:
        if phase is Phase.DISCOVER:
            self.spend(self.params.cost_per_community * model.n_communities / 365)
            self._post(model)
        elif phase is Phase.ROUTE:
            self._package(model)
            self._take(model)
        else:
            self._close(model)

    def _needs(self, model, status: int) -> list[int]:
        """Open small problems of the order kinds with ``status``, by id (a handful a day)."""
        kind, big, order_kind = model.problems.kind, model.problems.big, self.order_kind
        return [i for i in model.open_ids(status).tolist() if order_kind[kind[i]] and not big[i]]

    def _post(self, model) -> None:
        """点单: residents post needs on the list; the poster is a resident of the building."""
        p, P = self.params, model.problems
        und = self._needs(model, UNDISCOVERED)
        ids = [i for i in und if self.rng.random() < p.post_prob]  # one draw each, in order of id
        if not ids:  # most days
            return
        ids = np.array(ids)
        b = P.building[ids]
        size = model.building_residents[b]
        ids, b, size = ids[size > 0], b[size > 0], size[size > 0]  # nobody lives there to post it
        if len(ids):
            poster = model.resident_start[b] + (self.rng.random(len(ids)) * size).astype(np.int64)
            P.discover(ids, model.time_in_day(P.arose[ids]), CHANNELS["order"], poster)
            model.residents.mark_active(poster, model.day, model.residents.reports)

    def _package(self, model) -> None:
        """制单: claim new small needs of the order kinds; they become orders after packaging."""
        P = model.problems
        new = self._needs(model, DISCOVERED)
        if new:
            ids = np.array(new)
            P.status[ids] = HELD
            P.ready[ids] = P.discovered[ids] + self.params.packaging_days
            self.open += new
            self.orders += len(new)

    def _take(self, model) -> None:
        """接单: offer ready orders to registered members first, then to active residents of the zone."""
        if not self.open:
            return
        p, P, R, day = self.params, model.problems, model.residents, model.day
        self.open = [i for i in self.open if P.status[i] == HELD]  # the core may have abandoned some
        offer = [i for i in self.open if P.ready[i] < day + 1]
        if not offer:
            return
        taker = self._offer(model, offer)
        got = [i for i, w in zip(offer, taker) if w >= 0]
        if got:
            ids, who = np.array(got), np.array([w for w in taker if w >= 0])
            start = model.time_in_day(P.ready[ids])
            finish = start + self.rng.exponential(p.service_days, len(ids))
            P.started[ids], P.finish[ids], P.work[ids] = start, finish, finish - start
            model.deadline[ids] = np.maximum(model.deadline[ids], np.floor(finish) + 1)  # not abandoned before it is closed
            self.busy_until[who] = finish
            R.mark_active(who, day, R.volunteering)
            self.taken += got
            self.takers.append(who)
        # orders nobody took in time go to the ordinary service
        late = [i for i, w in zip(offer, taker) if w < 0 and P.ready[i] + p.wait_days < day + 1]
        if got or late:
            gone = set(got + late)
            self.open = [i for i in self.open if i not in gone]
        if late:
            late = np.array(late)
            community = model.building_community[P.building[late]]
            care = (P.kind[late] == PROBLEM_KINDS.index("care")) & (model.care_pool[community] >= 0)
            pool = np.where(care, model.care_pool[community], model.community_pool[community])
            model.send_to_pool(late, pool, np.maximum(P.ready[late], day), model.params.service.small_work_days)
            self.fallback += len(late)

    def _offer(self, model, offer: list[int]) -> list[int]:
        """Offer each order to up to ``offers_per_day`` members of its zone, then as many volunteers; returns takers (-1: none).

        Orders on offer are a handful a day, so the rounds run over Python
        scalars. Each round draws, for the orders still open in posting order,
        whom to ask and then whether each accepts; a resident takes at most
        one order a day (the first that asked and was accepted).
        """
        p, R, day, busy = self.params, model.residents, model.day, self.busy_until
        registered = np.count_nonzero(R.party_registered)  # registrations only grow (party_assessment): a new count is a change
        if registered != self.groups_key:
            self.groups, self.groups_key = {}, registered
        building, building_zone = model.problems.building, model.building_zone
        zone = [int(building_zone[building[i]]) for i in offer]
        taker = [-1] * len(offer)
        for members in (True, False):
            self.busy = {r for r in self.busy if busy[r] > day}
            busy_zones = {int(model.resident_zone[r]) for r in self.busy}
            cand = {z: self._candidates(model, z, members, z in busy_zones) for z in {zone[i] for i, t in enumerate(taker) if t < 0}}
            ask = [i for i, t in enumerate(taker) if t < 0 and len(cand[zone[i]])]
            for _ in range(p.offers_per_day):
                if not ask:  # every order taken or no one to ask: no draws
                    break
                # as rng.random(len(ask)) twice, drawn as Python floats
                pick, accept = [self.rng.random() for _ in ask], [self.rng.random() for _ in ask]
                for i, u, v in zip(ask, pick, accept):
                    c = cand[zone[i]]
                    who = int(c[int(u * len(c))])
                    # float(): compare in float64 (a Python float against a float32 would round to float32)
                    if v < float(R.willingness[who]) and busy[who] <= day:  # not yet taken an order today
                        taker[i] = who
                        self.by_members += members
                        busy[who] = day + 1  # reserved today; set to the finish by the caller
                        self.busy.add(who)
                ask = [i for i in ask if taker[i] < 0]
        return taker

    def _candidates(self, model, zone: int, members: bool, any_busy: bool) -> np.ndarray:
        """Residents of ``zone`` free to take an order, by row: registered members, or other residents active lately."""
        R, day = model.residents, model.day
        rows = self.groups.get((zone, members))
        if rows is None:  # cached until registrations change
            a, b = self.zone_start[zone], self.zone_start[zone + 1]
            rows = self.groups[zone, members] = a + np.flatnonzero(R.party_registered[a:b] == members)
        if not members:
            rows = rows[R.last_active[rows] > day - ACTIVE_WINDOW]
        if any_busy:  # some takers of the zone are still at work
            rows = rows[self.busy_until[rows] <= day]
        return rows

    def _close(self, model) -> None:
        """评单: finished orders are closed; residents rate them through the core."""
        if not self.taken:
            return
        P, end = model.problems, model.day + 1
        self.taken = [i for i in self.taken if P.status[i] == HELD]  # the core may have abandoned some
        done = [i for i in self.taken if P.finish[i] < end]
        if done:
            self.taken = [i for i in self.taken if not P.finish[i] < end]
            done = np.array(done)
            model.close(done, P.finish[done], resolved=True)
            self.done += len(done)
            self.spend(self.params.cost_per_order_yuan * len(done))
            self.ratings.append(P.rating[done])

    def metrics(self) -> dict[str, float]:
        rating = np.concatenate(self.ratings) if self.ratings else np.zeros(0)
        return {
            "orders": float(self.orders),
            "orders_taken_done": float(self.done),
            "orders_to_ordinary_service": float(self.fallback),
            "orders_taken_by_members": float(self.by_members),
            "mean_order_rating": float(rating.mean()) if len(rating) else float("nan"),
        }
