"""Order matching (群众点单、支部制单、成员接单、群众评单).

The problem it addresses: services for residents stay generic and lag behind
their actual needs (seed 004 §二.3), and registered party members and
volunteers serve little (seed 004 §二.1).

What it changes: seed 004 §一.1 runs the interactive service mode "residents
order, the branch packages, members take the order, residents rate"
(成员接单: members of the community's organisations), and §三.1 asks for
party members in particular to take orders ("居民点单、组织派单、党员接单"),
which is why the model offers an order to party members first. In the model:

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
  亮身份, seed 004 §三.1), then, if none took it, to up to ``offers_per_day``
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

Orders are extra service capacity drawn from residents: members and
volunteers take part more, and gridworkers' time goes to other problems. An
order is not fast, though: packaging, a day's offers and the taker's work
(about two days with the defaults) take longer than a gridworker needs for
a small problem in an unhurried community. In the baseline community the
needs of the order kinds are met later and rated a little lower (a year,
30 runs: satisfaction −0.8 points, share resolved within a day 15% → 8%).

Cost: the branch's running of the needs list per community, and points or
materials per completed order.
"""

from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS, ProblemKindList
from sim.model.problems import CHANNELS, DISCOVERED, HELD, UNDISCOVERED
from sim.model.residents import ACTIVE_WINDOW
from sim.model.world import slice_starts


class OrderMatchingParams(MechanismParams):
    kinds: ProblemKindList = param(("care", "disputes"), unit="problem kinds", source="seed 004 §一.1 (service orders); seed 004 §三.1 (members in dispute mediation)", description="Kinds of small need handled as orders.")
    post_prob: float = param(0.2, unit="1/day", ge=0, le=1, source="assumption; seed 004 §一.1 (needs list, 三张清单)", description="Daily chance an undiscovered need of the order kinds is posted by a resident of its building.")
    packaging_days: float = param(0.5, unit="days", ge=0, le=30, source="assumption; seed 004 §一.1 (支部制单)", description="Days the zone branch takes to package a posted need into an order.")
    offers_per_day: int = param(3, unit="offers/day", ge=0, le=50, source="assumption", description="Residents an open order is offered to each day.")
    service_days: float = param(1.0, unit="days", ge=0.01, le=60, source="assumption", description="Mean time a member or volunteer takes to carry out an order.")
    wait_days: float = param(3.0, unit="days", ge=0, le=60, source="assumption", description="Days an order stays open to takers before it goes to the ordinary service.")
    cost_per_order_yuan: float = param(20.0, unit="yuan/order", ge=0, le=10000, source="assumption", description="Points or materials per completed order.")
    cost_per_community: float = param(10000.0, unit="yuan/year", ge=0, le=1e7, source="assumption", description="Yearly cost of running the needs list and order board in one community.")



class OrderMatching(Mechanism):
    name = "order_matching"
    title = "群众点单、支部制单、成员接单、群众评单"
    description = "Residents post needs, zone branches package them, party members and volunteers take them, residents rate them."
    sources = "seed 004 §一.1, §三.1 (problem: seed 004 §二.1, §二.3)"
    Params = OrderMatchingParams
    phases = (Phase.DISCOVER, Phase.ROUTE, Phase.SERVE)
    route_priority = 50  # small needs of the order kinds become orders

    # A day brings a handful of needs, orders and takers, so the daily work runs
    # over short Python lists and scalars: each numpy call costs microseconds.

    def setup(self, model) -> None:
        self.model = model
        self.order_kind = [k in self.params.kinds for k in PROBLEM_KINDS]  # by kind code
        # residents are sorted by building, hence by zone: zone z owns rows [zone_start[z], zone_start[z + 1])
        self.zone_start = slice_starts(model.resident_zone, model.n_zones).tolist()
        self.busy: dict[int, float] = {}  # takers at work or reserved today: row -> when free again (a handful)
        self.groups: dict[tuple[int, bool], list[int] | np.ndarray] = {}  # (zone, registered?) -> residents' rows, sorted
        self.groups_key = -1  # registered members when ``groups`` was filled
        self.needs: list[int] = []  # small needs of the order kinds not yet routed, by id (see ``_needs``)
        self.seen = 0  # problems below this id have been looked at for ``needs``
        self.open: list[tuple[int, float]] = []  # orders waiting for a taker, (id, ready), in order of posting
        self.taken: list[tuple[int, float]] = []  # orders being carried out, (id, finish), in order of taking
        self.orders = self.done = self.fallback = self.by_members = 0
        self.rated: list[int] = []  # completed orders, in order of closing (for their ratings)
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
        """Open small problems of the order kinds with ``status`` (undiscovered or discovered), by id.

        Rather than scanning the open problems each day, the few small needs
        not yet routed are kept in ``needs``: only problems that arose since
        the last look are read, and a need leaves the list once it is routed
        or closed (a problem's status never goes back).
        """
        P = model.problems
        if P.n > self.seen:
            new, kind = range(self.seen, P.n), P.kind[self.seen : P.n].tolist()
            self.needs += [i for i, k in zip(new, kind) if self.order_kind[k] and not P.big.item(i)]
            self.seen = P.n
        needs, found = [], []
        for i in self.needs:
            s = P.status.item(i)
            if s == UNDISCOVERED or s == DISCOVERED:
                needs.append(i)
                if s == status:
                    found.append(i)
        self.needs = needs
        return found

    def _post(self, model) -> None:
        """点单: residents post needs on the list; the poster is a resident of the building."""
        p, P = self.params, model.problems
        und = self._needs(model, UNDISCOVERED)
        if not und:
            return
        size = model.building_residents
        draws = self.rng.random(len(und)).tolist()  # one each, in order of id
        posted = [(i, P.building.item(i)) for i, u in zip(und, draws) if u < model.chance_today(p.post_prob, P.arose.item(i))]
        posted = [(i, b) for i, b in posted if size[b] > 0]  # someone lives there to post it
        if not posted:  # most days
            return
        # the poster is the int(u * size)-th resident of the building, u drawn as rng.random(len(posted))
        u = self.rng.random(len(posted)).tolist()
        poster = np.array([model.resident_start[b] + int(x * size[b]) for (_, b), x in zip(posted, u)])
        ids = np.array([i for i, _ in posted])
        P.discover(ids, model.time_in_day(P.arose[ids], rng=self.rng), CHANNELS["order"], poster)
        model.residents.mark_active(poster, model.day, model.residents.reports)

    def _package(self, model) -> None:
        """制单: claim new small needs of the order kinds; they become orders after packaging."""
        P = model.problems
        for i in self._needs(model, DISCOVERED):
            P.status[i] = HELD
            P.ready[i] = ready = P.discovered[i] + self.params.packaging_days
            self.open.append((i, float(ready)))
            self.orders += 1

    def _take(self, model) -> None:
        """接单: offer ready orders to registered members first, then to active residents of the zone."""
        if not self.open:
            return
        p, P, R, day = self.params, model.problems, model.residents, model.day
        held, offer = [], []  # orders still open (the core may have abandoned some); those ready today
        for order in self.open:
            if P.status.item(order[0]) == HELD:
                held.append(order)
                if order[1] < day + 1:
                    offer.append(order)
        self.open = held
        if not offer:
            return
        taker = self._offer(model, [i for i, _ in offer])
        got = [(i, w) for (i, _), w in zip(offer, taker) if w >= 0]
        if got:
            ids, who = np.array([i for i, _ in got]), np.array([w for _, w in got])
            start = model.time_in_day(P.ready[ids], rng=self.rng).tolist()
            work = self.rng.exponential(p.service_days, len(got)).tolist()
            for (i, w), s, d in zip(got, start, work):
                finish = s + d
                P.started[i], P.finish[i], P.work[i] = s, finish, finish - s
                model.deadline[i] = max(model.deadline[i], float(math.floor(finish) + 1))  # not abandoned before it is closed
                self.busy[w] = finish
                self.taken.append((i, finish))
            R.mark_active(who, day, R.volunteering)
            self.takers.append(who)
        # orders nobody took in time go to the ordinary service
        late = [i for (i, t), w in zip(offer, taker) if w < 0 and t + p.wait_days < day + 1]
        if got or late:
            gone = {i for i, _ in got} | set(late)
            self.open = [(i, t) for i, t in self.open if i not in gone]
        if late:
            late = np.array(late)
            pool = model.ordinary_pool(P.building[late], P.kind[late])
            model.send_to_pool(late, pool, np.maximum(P.ready[late], day), model.params.service.small_work_days, rng=self.rng)
            self.fallback += len(late)

    def _offer(self, model, offer: list[int]) -> list[int]:
        """Offer each order to up to ``offers_per_day`` members of its zone, then as many volunteers; returns takers (-1: none).

        Each round draws, for the orders still open in posting order, whom to
        ask and then whether each accepts; a resident takes at most one order
        a day (the first that asked and was accepted).
        """
        p, R, day = self.params, model.residents, model.day
        registered = np.count_nonzero(R.party_registered)  # registrations only grow (party_assessment): a new count is a change
        if registered != self.groups_key:
            self.groups, self.groups_key = {}, registered
        if self.busy:
            self.busy = {r: t for r, t in self.busy.items() if t > day}
        zone = [model.building_zone.item(model.problems.building.item(i)) for i in offer]
        taker = [-1] * len(offer)
        for members in (True, False):
            cand, ask = {}, []  # candidates by zone; orders (by position) that someone may be asked to take
            for k, z in enumerate(zone):
                if taker[k] < 0:
                    if z not in cand:
                        cand[z] = self._candidates(model, z, members)
                    if cand[z][2] > 0:
                        ask.append(k)
            for _ in range(p.offers_per_day):
                if not ask:  # every order taken or no one to ask: no draws
                    break
                u = self.rng.random(2 * len(ask)).tolist()  # as rng.random(len(ask)) for whom to ask, then for accepting
                for k, pick, accept in zip(ask, u, u[len(ask) :]):
                    who = _pick(*cand[zone[k]], pick)
                    # item(): compare in float64 (a Python float against a float32 would round to float32)
                    if accept < R.willingness.item(who) and who not in self.busy:  # not yet taken an order today
                        taker[k] = who
                        self.by_members += members
                        self.busy[who] = day + 1  # reserved today; the finish once taken
                ask = [k for k in ask if taker[k] < 0]
        return taker

    def _candidates(self, model, zone: int, members: bool) -> tuple[list[int] | np.ndarray, list[int], int]:
        """Residents of ``zone`` who may take an order: their rows, the positions among them of those busy with an order, and how many are free.

        The candidates are the zone's registered members (a few dozen, kept
        as a list), or its other residents who were active lately.
        """
        R, (a, b) = model.residents, self.zone_start[zone : zone + 2]
        rows = self.groups.get((zone, members))
        if rows is None:  # cached until registrations change
            rows = a + np.flatnonzero(R.party_registered[a:b] == members)
            self.groups[zone, members] = rows = rows.tolist() if members else rows
        if not members:
            rows = rows[R.last_active[rows] > model.day - ACTIVE_WINDOW]
        busy = []  # positions among them of the zone's takers at work (a handful)
        for r in sorted(self.busy):
            if a <= r < b:
                k = bisect_left(rows, r)
                if k < len(rows) and rows[k] == r:
                    busy.append(k)
        return rows, busy, len(rows) - len(busy)

    def _close(self, model) -> None:
        """评单: finished orders are closed; residents rate them through the core."""
        end = model.day + 1
        done = [i for i, finish in self.taken if finish < end]
        if not done:
            return
        P = model.problems
        self.taken = [(i, finish) for i, finish in self.taken if finish >= end]
        done = [i for i in done if P.status.item(i) == HELD]  # the core may have abandoned some
        if done:
            ids = np.array(done)
            # like a pool's job, an order has its ready, start and finish times set
            model.close(ids, P.finish[ids], resolved=True, timed=True)
            self.done += len(done)
            self.spend(self.params.cost_per_order_yuan * len(done))
            self.rated += done

    def metrics(self) -> dict[str, float]:
        rating = self.model.problems.rating[np.array(self.rated, dtype=np.int64)]
        return {
            "orders": float(self.orders),
            "orders_taken_done": float(self.done),
            "orders_to_ordinary_service": float(self.fallback),
            "orders_taken_by_members": float(self.by_members),
            "mean_order_rating": float(rating.mean()) if len(rating) else float("nan"),
        }


def _pick(rows, busy: list[int], free: int, u: float) -> int:
    """The ``int(u * free)``-th of ``rows`` once the positions ``busy`` (ascending) are left out."""
    k = int(u * free)
    for position in busy:
        if position > k:
            break
        k += 1
    return int(rows[k])
