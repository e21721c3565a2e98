"""Rider informants (小哥网格员).

The problem it addresses: delivery riders and other new-economy workers pass
through every building each day but are not embedded in grid governance
("小哥网格员" and "民情观察员" exist on paper only, seed 004 §2.1), while
gridworkers walk only their own zone (seed 002: "徒步丈量").

What it changes: seed 004 §3.1 proposes to appoint riders as "rider
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
Earlier discovery means earlier service and fewer problems abandoned.

Cost: the points paid for valid reports.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS, ProblemKindList
from sim.model.problems import CHANNELS, UNDISCOVERED


class RiderInformantsParams(MechanismParams):
    enrolment_share: float = param(0.5, unit="share of riders", ge=0, le=1, source="assumption; seed 004 §3.1 (appointment of rider gridworkers)", description="Share of resident delivery riders appointed as rider gridworkers.")
    buildings_per_day: float = param(30.0, unit="buildings/day", ge=0, le=500, source="assumption (dozens of deliveries a day)", description="Buildings an appointed rider passes in a day, at random across their community.")
    notice_prob: float = param(0.03, unit="probability per pass", ge=0, le=1, source="assumption (a rider sees common areas in passing, a patrol walks through)", description="Chance a rider passing a building notices and reports an undiscovered hazard there.")
    kinds: ProblemKindList = param(("safety", "facilities", "environment"), unit="problem kinds", source="seed 004 §3.1 (随手拍 hazards, patrols)", description="Kinds of problem riders report.")
    points_yuan: float = param(10.0, unit="yuan per valid report", ge=0, le=10000, source="assumption; seed 004 §3.1 (points per valid lead, exchanged for rewards)", description="Value of the points a rider earns for a valid report.")



class RiderInformants(Mechanism):
    name = "rider_informants"
    title = "小哥网格员"
    description = "Delivery riders pass many buildings a day and report hazards for points."
    sources = "seed 004 §3.1 (problem: seed 004 §2.1)"
    Params = RiderInformantsParams
    phases = (Phase.DISCOVER,)

    def setup(self, model) -> None:
        R = model.residents
        self.riders = np.flatnonzero(R.rider & (self.rng.random(R.n) < self.params.enrolment_share))
        # buildings of a community are consecutive: community c owns [start[c], start[c] + count[c])
        count = np.bincount(model.building_community, minlength=model.n_communities)
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        community = model.resident_community[self.riders]
        self.area_start, self.area_size = start[community], count[community]
        # every rider's passes, rider by rider (the same every day; only the buildings are drawn)
        self.passes = round(self.params.buildings_per_day)
        self.who = np.repeat(np.arange(len(self.riders)), self.passes)
        self.who_start = self.area_start[self.who]
        self.who_size = self.area_size[self.who].astype(float)  # exact; spares casting in the daily product
        self.hazard = np.isin(np.arange(len(PROBLEM_KINDS)), [PROBLEM_KINDS.index(k) for k in self.params.kinds])
        self.reports = 0

    def act(self, model, phase: Phase) -> None:
        p = self.params
        if len(self.riders) == 0 or self.passes == 0 or p.notice_prob == 0:
            return
        P = model.problems
        und = model.open_ids(UNDISCOVERED)
        und = und[self.hazard[P.kind[und]]]
        if len(und) == 0:
            return
        # Today's rounds: every rider passes `passes` random buildings of their community.
        building = self.who_start + (self.rng.random(len(self.who)) * self.who_size).astype(np.int64)
        visits = np.bincount(building, minlength=model.n_buildings)
        hit = self.rng.random(len(und)) < 1 - (1 - p.notice_prob) ** visits[P.building[und]]
        found = und[hit]
        if len(found) == 0:
            return
        # the reporter: one of the riders who passed the building, the k-th of its passes in rider order
        fb = P.building[found]
        k = (self.rng.random(len(found)) * visits[fb]).astype(np.int64)
        reporter = self.riders[[self.who[np.flatnonzero(building == b)[i]] for b, i in zip(fb, k)]]
        P.discover(found, model.time_in_day(P.arose[found]), CHANNELS["rider"], reporter)
        model.residents.mark_active(reporter, model.day, model.residents.reports)
        self.reports += len(found)
        self.spend(p.points_yuan * len(found))

    def metrics(self) -> dict[str, float]:
        return {"riders_appointed": float(len(self.riders)), "reports": float(self.reports)}
