"""Rider informants (小哥网格员).

The problem it addresses: delivery riders and other new-economy workers pass
through every building each day but are not embedded in grid governance
("小哥网格员" and "民情观察员" exist on paper only, seed 004 §二.1), while
gridworkers go door to door in their own zone only (seed 002).

What it changes: seed 004 §三.1 proposes to appoint riders as "rider
gridworkers" with incentives: they report hazards they pass with a phone
snapshot (随手拍) and earn points, exchanged for rewards, per valid lead. At
setup a share ``enrolment_share`` of the residents with the ``rider`` flag is
appointed. Every day (DISCOVER, after the core's resident reports and
patrols) each appointed rider passes ``buildings_per_day`` buildings drawn at
random across their community. A still undiscovered problem of a hazard kind
(``kinds``: safety, facilities and environment by default) in a building that
riders pass is reported with chance ``notice_prob`` per pass, through
``CHANNELS["rider"]`` with the rider as reporter. Reporting is an act of
taking part: the rider's ``reports`` counter and ``last_active`` are updated
(so young, employed residents who otherwise rarely take part now do), and
each valid report earns ``points_yuan`` of points, which the mechanism pays.
The points are what the scheme costs; riders' response to them is not
modelled separately but set by ``enrolment_share`` and ``notice_prob``, so
changing ``points_yuan`` alone changes the cost, not the reports.
Earlier discovery means earlier service and fewer problems abandoned.

Cost: the points paid for valid reports.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS, ProblemKindList
from sim.model.problems import CHANNELS, UNDISCOVERED


class RiderInformantsParams(MechanismParams):
    enrolment_share: float = param(0.5, unit="share of riders", ge=0, le=1, source="assumption; seed 004 §三.1 (appointment of rider gridworkers)", description="Share of resident delivery riders appointed as rider gridworkers.")
    buildings_per_day: int = param(30, unit="buildings/day", ge=0, le=500, source="assumption (dozens of deliveries a day)", description="Buildings an appointed rider passes in a day, at random across their community.")
    notice_prob: float = param(0.03, unit="probability per pass", ge=0, le=1, source="assumption (a rider sees common areas in passing, a patrol walks through)", description="Chance a rider passing a building notices and reports an undiscovered hazard there.")
    kinds: ProblemKindList = param(("safety", "facilities", "environment"), unit="problem kinds", source="seed 004 §三.1 (随手拍 hazards, patrols)", description="Kinds of problem riders report.")
    points_yuan: float = param(10.0, unit="yuan per valid report", ge=0, le=10000, source="assumption; seed 004 §三.1 (points per valid lead, exchanged for rewards)", description="Value of the points a rider earns for a valid report.")



class RiderInformants(Mechanism):
    name = "rider_informants"
    title = "小哥网格员"
    description = "Delivery riders pass many buildings a day and report hazards for points."
    sources = "seed 004 §三.1 (problem: seed 004 §二.1)"
    Params = RiderInformantsParams
    phases = (Phase.DISCOVER,)

    def setup(self, model) -> None:
        R, p = model.residents, self.params
        self.riders = np.flatnonzero(R.rider & (self.rng.random(R.n) < p.enrolment_share))
        # buildings of a community are consecutive: community c owns [start[c], start[c] + count[c])
        count = np.bincount(model.building_community, minlength=model.n_communities)
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        community = model.resident_community[self.riders]
        # every rider's passes, rider by rider (the same every day; only the buildings are drawn)
        self.passes = p.buildings_per_day
        who = np.repeat(np.arange(len(self.riders)), self.passes)
        self.who_size = count[community][who].astype(float)  # exact; spares casting in the daily product
        self.who_start = start[community][who] if model.n_communities > 1 else None  # one community starts at 0
        self.building = np.zeros(len(who), dtype=np.int64)  # today's building of every pass
        # chance that a building passed v times has a hazard noticed, by v (numpy's power, as the rule is written)
        self.notice = (1 - (1 - p.notice_prob) ** np.arange(len(who) + 1)).tolist()
        self.hazard = [k in p.kinds for k in PROBLEM_KINDS]  # by kind code
        self.reports = 0

    def act(self, model, phase: Phase) -> None:
        p, P = self.params, model.problems
        if len(self.riders) == 0 or self.passes == 0 or p.notice_prob == 0:
            return
        # A day has a handful of undiscovered hazards: they are handled as Python scalars.
        und = [i for i in model.open_ids(UNDISCOVERED).tolist() if self.hazard[P.kind.item(i)]]
        if not und:
            return
        # Today's rounds: every rider passes `passes` random buildings of their community, the
        # int(u * size)-th (numpy's cast to int, as astype) from the community's first.
        building = np.multiply(self.rng.random(len(self.building)), self.who_size, out=self.building, casting="unsafe")
        if self.who_start is not None:
            building += self.who_start
        visits = np.bincount(building, minlength=model.n_buildings)
        # as rng.random(len(und)) < 1 - (1 - notice_prob) ** visits, a hazard at a time (pro rata on its first day)
        at = [P.building.item(i) for i in und]
        draws = self.rng.random(len(und)).tolist()
        found = [(i, b) for i, b, u in zip(und, at, draws) if u < model.chance_today(self.notice[visits.item(b)], P.arose.item(i))]
        if not found:
            return
        # the reporter: one of the riders who passed the building, who made the int(u * visits)-th of its
        # passes in rider order (rider r made passes [r * passes, (r + 1) * passes))
        u = self.rng.random(len(found)).tolist()
        reporter = np.array([self.riders[np.flatnonzero(building == b)[int(x * visits.item(b))] // self.passes] for (_, b), x in zip(found, u)])
        found = np.array([i for i, _ in found])
        P.discover(found, model.time_in_day(P.arose[found], rng=self.rng), CHANNELS["rider"], reporter)
        model.residents.mark_active(reporter, model.day, model.residents.reports)
        self.reports += len(found)
        self.spend(p.points_yuan * len(found))

    def metrics(self) -> dict[str, float]:
        return {"riders_appointed": float(len(self.riders)), "reports": float(self.reports)}
