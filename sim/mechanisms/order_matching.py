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
        self.busy_until = np.zeros(model.residents.n)  # when a taker is free again
        self.open = np.zeros(0, dtype=np.int64)  # orders waiting for a taker
        self.taken = np.zeros(0, dtype=np.int64)  # orders being carried out
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

    def _post(self, model) -> None:
        """点单: residents post needs on the list; the poster is a resident of the building."""
        p, P = self.params, model.problems
        und = model.open_ids(UNDISCOVERED)
        und = und[self.order_kind[P.kind[und]] & ~P.big[und]]
        b = P.building[und]
        lo, size = model.resident_start[b], model.building_residents[b]
        posted = (self.rng.random(len(und)) < p.post_prob) & (size > 0)
        ids, lo, size = und[posted], lo[posted], size[posted]
        if len(ids):
            poster = lo + (self.rng.random(len(ids)) * size).astype(np.int64)
            P.discover(ids, model.time_in_day(P.arose[ids]), CHANNELS["order"], poster)
            model.residents.mark_active(poster, model.day, model.residents.reports)

    def _package(self, model) -> None:
        """制单: claim new small needs of the order kinds; they become orders after packaging."""
        P = model.problems
        ids = model.open_ids(DISCOVERED)
        ids = ids[self.order_kind[P.kind[ids]] & ~P.big[ids]]
        if len(ids):
            P.status[ids] = HELD
            P.ready[ids] = P.discovered[ids] + self.params.packaging_days
            self.open = np.concatenate([self.open, ids])
            self.orders += len(ids)

    def _take(self, model) -> None:
        """接单: offer ready orders to registered members first, then to active residents of the zone."""
        p, P, R, day = self.params, model.problems, model.residents, model.day
        self.open = self.open[P.status[self.open] == HELD]  # the core may have abandoned some
        offer = self.open[P.ready[self.open] < day + 1]
        if len(offer) and p.offers_per_day > 0:
            zone = model.building_zone[P.building[offer]]
            taker = np.full(len(offer), -1)
            members = R.party_registered
            for group in (members, R.active(day) & ~members):
                cand = np.flatnonzero(group & (self.busy_until <= day))  # sorted by building, hence by zone
                first = np.searchsorted(model.resident_zone[cand], np.arange(model.n_zones + 1))
                lo, size = first[zone], first[zone + 1] - first[zone]
                for _ in range(p.offers_per_day):
                    ask = np.flatnonzero((taker < 0) & (size > 0))
                    who = cand[lo[ask] + (self.rng.random(len(ask)) * size[ask]).astype(np.int64)]
                    yes = (self.rng.random(len(ask)) < R.willingness[who]) & (self.busy_until[who] <= day)
                    who, pick = np.unique(who[yes], return_index=True)  # one order per taker a day
                    taker[ask[yes][pick]] = who
                    self.busy_until[who] = day + 1  # reserved today; set to the finish below
            got = taker >= 0
            ids, who = offer[got], taker[got]
            if len(ids):
                start = model.time_in_day(P.ready[ids])
                finish = start + self.rng.exponential(p.service_days, len(ids))
                P.started[ids], P.finish[ids], P.work[ids] = start, finish, finish - start
                model.deadline[ids] = np.maximum(model.deadline[ids], np.floor(finish) + 1)  # not abandoned before it is closed
                self.busy_until[who] = finish
                R.mark_active(who, day, R.volunteering)
                self.taken = np.concatenate([self.taken, ids])
                self.open = np.setdiff1d(self.open, ids, assume_unique=True)
                self.by_members += int(members[who].sum())
                self.takers.append(who)
        # orders nobody took in time go to the ordinary service
        late = self.open[P.ready[self.open] + p.wait_days < day + 1]
        if len(late):
            community = model.building_community[P.building[late]]
            care = (P.kind[late] == PROBLEM_KINDS.index("care")) & (model.care_pool[community] >= 0)
            pool = np.where(care, model.care_pool[community], model.community_pool[community])
            model.send_to_pool(late, pool, np.maximum(P.ready[late], day), model.params.service.small_work_days)
            self.open = np.setdiff1d(self.open, late, assume_unique=True)
            self.fallback += len(late)

    def _close(self, model) -> None:
        """评单: finished orders are closed; residents rate them through the core."""
        P = model.problems
        self.taken = self.taken[P.status[self.taken] == HELD]
        done = self.taken[P.finish[self.taken] < model.day + 1]
        if len(done):
            model.close(done, P.finish[done], resolved=True)
            self.taken = np.setdiff1d(self.taken, done, assume_unique=True)
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
