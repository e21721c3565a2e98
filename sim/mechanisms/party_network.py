"""Party network (红网格 / 党建引领): branches per zone, groups per building.

What it changes: the party organisation is laid over the grid, "community
party organisation + zone branch + building group" (社区党组织+片区党支部+楼栋
党小组, seed 000 §1; seed 003 §3.2; seed 004 §一.1, five levels down to building
groups). A zone has a branch when it holds at least ``branch_min_members``
registered members (the Party Constitution's three-member rule); a building
has a group when it holds at least ``group_min_members``. Members of a
branch then do two things through the model's own state:

* **Informants (党员信息员, seed 000 §1).** In DISCOVER each registered member
  reports problems still undiscovered in their own building at a daily rate
  ``report_prob`` × their willingness, and in the other buildings of their
  zone at ``nearby_weight`` of that rate spread over those buildings. A
  member whose building has no group works for the zone branch instead: the
  same total effort (1 + ``nearby_weight``) spread evenly over all the
  zone's buildings. Members who serve (``party_serving``) count fully,
  registered members who do not serve count ``registered_weight``. Found
  problems get the channel ``CHANNELS["party"]`` and the reporting member is
  marked active (reports).
* **Recruiters.** Every ``visit_interval_days`` each serving member goes
  round their building with probability equal to their willingness
  (marked active, volunteering) and asks ``contacts_per_visit`` neighbours to
  take part (``model.mobilise``), the "party building leads mass building"
  (党建带群建) of seed 000 §1.

Both act only through residents who are party members, so their strength
follows the share who serve, which the party-assessment mechanism changes.

Cost: the branches' and groups' yearly working funds.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.problems import CHANNELS, UNDISCOVERED


def _ranges(keys: np.ndarray, n: int) -> list[tuple[int, int]]:
    """For each value 0..n-1, the range of sorted ``keys`` that holds it (start, stop)."""
    values = np.arange(n)
    return list(zip(np.searchsorted(keys, values, "left").tolist(), np.searchsorted(keys, values, "right").tolist()))


class PartyNetworkParams(MechanismParams):
    branch_min_members: int = param(3, unit="registered members", ge=1, le=100, source="Constitution of the CPC art. 30 (three full members form a basic organisation); seed 004 §一.1 (zone branches)", description="Registered members a zone needs for its branch (片区党支部).")
    group_min_members: int = param(2, unit="registered members", ge=1, le=50, source="assumption; seed 000 §1, seed 003 §3.2 (building groups 楼栋党小组)", description="Registered members a building needs for its own group (楼栋党小组).")
    report_prob: float = param(0.3, unit="1/day", ge=0, le=1, source="assumption; seed 000 §1 (party informants 党员信息员 in the grid teams)", description="Daily chance that a willing serving member reports a problem in their building.")
    nearby_weight: float = param(0.3, unit="ratio", ge=0, le=5, source="assumption; seed 004 §一.1 (branches reach the front line of their zone)", description="Informant effort on the other buildings of the zone, relative to their own building (spread over those buildings).")
    registered_weight: float = param(0.2, unit="ratio", ge=0, le=1, source="assumption; seed 004 §二.1 ('registered, not serving' 报到少履职)", description="Informant effort of a registered member who does not serve, relative to one who serves (only serving members go round recruiting).")
    visit_interval_days: int = param(7, unit="days", ge=1, le=365, source="assumption", description="Days between rounds of serving members visiting their neighbours.")
    contacts_per_visit: float = param(3.0, unit="residents", ge=0, le=50, source="assumption; seed 000 §1 (党建带群建)", description="Neighbours a member asks to take part on one round of visits.")
    cost_per_branch: float = param(3000.0, unit="yuan/year", ge=0, le=1e6, source="assumption (branch working funds)", description="Yearly working funds of one zone branch.")
    cost_per_group: float = param(500.0, unit="yuan/year", ge=0, le=1e6, source="assumption", description="Yearly working funds of one building group.")


class PartyNetwork(Mechanism):
    name = "party_network"
    title = "红网格"
    description = "Zone branches and building groups: party members report problems and recruit neighbours."
    sources = "seed 000 §1; seed 002; seed 003 §3.2; seed 004 §一.1"
    Params = PartyNetworkParams
    phases = (Phase.DISCOVER, Phase.PERIODIC)

    def setup(self, model) -> None:
        self.reports = 0
        self.asked = 0
        self.visits = 0
        self._building_zone = model.building_zone.tolist()
        self._building_size = np.maximum(model.building_residents, 1)
        self._organise(model)

    def _organise(self, model) -> None:
        """Who is in which branch and group (members may register or start serving)."""
        p, R = self.params, model.residents
        rows = np.flatnonzero(R.party_registered)
        self.members = rows  # sorted: so by building and by zone too
        member_building = R.building[rows]
        member_zone = model.resident_zone[rows]
        per_zone = np.bincount(member_zone, minlength=model.n_zones)
        per_building = np.bincount(member_building, minlength=model.n_buildings)
        self.has_branch = per_zone >= p.branch_min_members
        self.has_group = (per_building >= p.group_min_members) & self.has_branch[model.building_zone]
        self.daily_cost = (p.cost_per_branch * self.has_branch.sum() + p.cost_per_group * self.has_group.sum()) / 365
        # Members only ever register or start serving (the core keeps both fixed), so the
        # two counts tell when to organise again, and who serves is fixed until then.
        self._key = (len(rows), np.count_nonzero(R.party_serving))
        organised = self.has_branch[member_zone]
        serving = R.party_serving[rows]
        weight = np.where(serving, 1.0, p.registered_weight) * organised  # effort per unit of willingness
        self.recruiters = rows[serving & organised]
        # Effort is summed by one bincount over the members taken twice: first a group's
        # members into their building (the rest into a spare bin), then every member into
        # (zone, in a group or not). Each bin adds its members in order, as two bincounts would.
        grouped = self.has_group[member_building]
        own_bin = np.where(grouped, member_building, model.n_buildings)
        zone_bin = model.n_buildings + 1 + 2 * member_zone + grouped
        self._twice = np.concatenate([rows, rows])
        self._weight_twice = np.concatenate([weight, weight])
        self._bins = np.concatenate([own_bin, zone_bin])
        self._n_bins = model.n_buildings + 1 + 2 * model.n_zones
        self._building_range = _ranges(member_building, model.n_buildings)
        self._zone_range = _ranges(member_zone, model.n_zones)

    def act(self, model, phase: Phase) -> None:
        p, R = self.params, model.residents
        if phase is Phase.PERIODIC:
            self.spend(self.daily_cost)
            return
        if (np.count_nonzero(R.party_registered), np.count_nonzero(R.party_serving)) != self._key:
            self._organise(model)
        self._inform(model)
        if model.day % p.visit_interval_days == 0:
            self._recruit(model, self.recruiters)

    def _inform(self, model) -> None:
        """Members report undiscovered problems in their building and nearby.

        A day has a handful of undiscovered problems and finds fewer, so this works on
        Python floats (the same float64 operations as numpy's, in the same order) and
        calls numpy only for the members' effort sums, the draws and exp/log (whose
        numpy results can differ from ``math``'s in the last bit).
        """
        P, R, p = model.problems, model.residents, self.params
        und = model.open_ids(UNDISCOVERED)
        if len(und) == 0:
            return
        effort = self._weight_twice * R.willingness[self._twice]
        sums = np.bincount(self._bins, weights=effort, minlength=self._n_bins).tolist()
        nb = model.n_buildings
        zone_sums = sums[nb + 1 :]  # (ungrouped, grouped) by zone
        if not any(zone_sums):
            return  # nobody makes an effort (every member is in exactly one zone bin)
        bpz = model.params.world.buildings_per_zone
        nearby, day = p.nearby_weight, model.day
        und = und.tolist()
        b = [P.building.item(j) for j in und]
        z = [self._building_zone[x] for x in b]
        own = [sums[x] for x in b]
        near = [nearby * (zone_sums[2 * y + 1] - o) / max(bpz - 1, 1) + (1 + nearby) * zone_sums[2 * y] / bpz for y, o in zip(z, own)]
        rate = [p.report_prob * (o + n) for o, n in zip(own, near)]
        # A Poisson process over the part of today each problem has existed (as the core's channels).
        start = [max(P.arose.item(j), day) for j in und]
        exposure = [r * (day + 1 - t) for r, t in zip(rate, start)]
        u = self.rng.random(len(und)).tolist()
        # 1 - exp(-x) < x: a draw of at least x cannot hit, so exp is needed only below x.
        maybe = [i for i, x in enumerate(exposure) if u[i] < 1.000001 * x]
        if not maybe:
            return
        no_hit = np.expm1([-exposure[i] for i in maybe]).tolist()  # minus the chance of a hit
        hit = [i for i, q in zip(maybe, no_hit) if u[i] < -q]
        if not hit:
            return
        step = np.log1p([-u[i] for i in hit]).tolist()
        last = math.nextafter(day + 1.0, 0)
        when = [min(start[i] - s / rate[i], last) for i, s in zip(hit, step)]
        # The reporter: a member of the building's group, else one of the zone branch, by effort.
        which = self.rng.random(len(hit)).tolist()
        pick_u = self.rng.random(len(hit)).tolist()
        cum = np.add.accumulate(effort[: len(self.members)])  # np.cumsum without its Python wrapper
        pick = []
        for i, w, v in zip(hit, which, pick_u):
            lo, hi = self._building_range[b[i]] if w * (own[i] + near[i]) < own[i] else self._zone_range[z[i]]
            base = cum.item(lo - 1) if lo > 0 else 0.0
            x = base + v * (cum.item(hi - 1) - base)
            pick.append(min(max(int(cum.searchsorted(x, "right")), lo), hi - 1))
        reporter = self.members[pick]
        P.discover(np.array([und[i] for i in hit]), when, CHANNELS["party"], reporter)
        R.mark_active(reporter, day, R.reports)
        self.reports += len(hit)

    def _recruit(self, model, serving_rows: np.ndarray) -> None:
        """Serving members who go round today ask neighbours in their building to take part."""
        R, p = model.residents, self.params
        went = serving_rows[self.rng.random(len(serving_rows)) < R.willingness[serving_rows]]
        if len(went) == 0:
            return
        R.mark_active(went, model.day, R.volunteering)
        contacts = np.bincount(R.building[went], minlength=model.n_buildings) * p.contacts_per_visit
        prob = (contacts / self._building_size).astype(np.float32)
        self.asked += len(model.mobilise(R.by_building(prob), rng=self.rng))
        self.visits += len(went)

    def metrics(self) -> dict[str, float]:
        return {
            "branches": float(self.has_branch.sum()),
            "groups": float(self.has_group.sum()),
            "problems_reported": float(self.reports),
            "residents_asked": float(self.asked),
            "member_visits": float(self.visits),
        }
