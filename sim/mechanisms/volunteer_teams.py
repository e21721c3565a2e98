"""Volunteer teams (七支队伍 / 帮帮团): standing resident teams that patrol and settle small problems.

The problem it addresses: gridworkers alone cannot see every building, and
most residents only join activities that are arranged for them (seed 003
§2.4). Seed 002 proposes standing teams for public safety, environment and
services (心理咨询队、社区义工队、义务消防队、民生保障队、环境提升队 …, the
"seven teams") formed from retired party cadres and willing residents, so
that residents prevent and handle problems themselves (群防群治, 自我整治、
自我管理). Licheng formed 330 volunteer teams with 7,494 members and wants
volunteers in mediation, patrols and care for the old and disabled (seed 004
§一.3, §三.4).

What it changes in the model:

* **Recruitment.** At setup each community recruits ``members_per_1000``
  members per 1,000 adults, drawn with weights equal to residents' current
  willingness (so mostly the retired, party members who serve, those who
  belong). Each member joins a team of one of ``kinds``.
* **Duty.** Every day each member is on duty with probability
  ``duty_days_per_week / 7``; on duty they are active (``volunteering``),
  which also feeds belonging and the neighbours' social influence.
* **Patrol (DISCOVER).** Members on duty walk through
  ``buildings_per_duty`` buildings of their zone and find undiscovered
  problems of their team's kind with probability ``detection_prob``.
* **Settling (ROUTE).** A share ``settle_share`` of newly discovered small
  problems of the teams' kinds goes to the community's volunteer pool: one
  server per member, serving at ``hours_per_duty`` / 8 work-days on duty
  days and idle otherwise. The rest go to gridworkers as usual.

Cost: insurance, vests, tools and training per member per year.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS, ProblemKindList
from sim.model.problems import CHANNELS, DISCOVERED, UNDISCOVERED

CHANNEL = CHANNELS["volunteer"]  # discovery by volunteer-team patrols


class VolunteerTeamsParams(MechanismParams):
    members_per_1000: float = param(15.0, unit="members per 1,000 adults", ge=0, le=300, source="seed 004 §一.3: 7,494 members of 330 teams, taken as Licheng-wide (the seed gives no scope) over about 500,000 adults (assumed)", description="Team members recruited per 1,000 adult residents.")
    kinds: ProblemKindList = param(("safety", "environment", "care", "disputes"), unit="problem kinds", source="seed 002 (volunteer fire, environment, livelihood, counselling teams); seed 004 §三.4 (mediation, patrols, care)", description="Kinds of problem the teams look after, one team kind each.")
    duty_days_per_week: float = param(2.0, unit="days/week", ge=0, le=7, source="assumption", description="Days a week a member is on duty.")
    buildings_per_duty: float = param(3.0, unit="buildings", ge=0, le=50, source="assumption", description="Buildings of their zone a member walks through on a duty day.")
    detection_prob: float = param(0.5, unit="probability", ge=0, le=1, source="assumption (below a trained gridworker's)", description="Chance a member passing a building finds an undiscovered problem of their kind there.")
    settle_share: float = param(0.4, unit="share", ge=0, le=1, source="assumption; seed 002 (自我整治、自我管理)", description="Share of newly discovered small problems of the teams' kinds the teams take on themselves.")
    hours_per_duty: float = param(4.0, unit="hours", ge=0, le=12, source="assumption (half a day)", description="Hours of work a member on duty gives to settling problems.")
    cost_per_member: float = param(300.0, unit="yuan/year per member", ge=0, le=1e5, source="assumption (insurance, vests, tools, training)", description="Yearly cost of equipping and insuring one member.")



class VolunteerTeams(Mechanism):
    name = "volunteer_teams"
    title = "七支队伍 / 帮帮团"
    description = "Standing volunteer teams patrol their zones and settle small safety, environment, care and dispute problems."
    sources = "seed 002; seed 004 §一.2, §三.4"
    Params = VolunteerTeamsParams
    phases = (Phase.DISCOVER, Phase.ROUTE)
    route_priority = 60  # teams take small problems of their kinds still unclaimed

    def setup(self, model) -> None:
        p, R = self.params, model.residents
        self.model = model
        self.kind_index = np.array([PROBLEM_KINDS.index(k) for k in p.kinds], dtype=int)
        # Weighted sampling without replacement, per community: smallest exponential keys win.
        key = self.rng.exponential(size=R.n) / np.maximum(R.willingness, 1e-9)
        want = np.rint(model.community_residents * p.members_per_1000 / 1000).astype(int)
        order = np.lexsort((key, model.resident_community))
        first = np.searchsorted(model.resident_community[order], np.arange(model.n_communities))
        rank = np.arange(R.n) - np.repeat(first, np.bincount(model.resident_community, minlength=model.n_communities))
        self.members = np.sort(order[rank < want[model.resident_community[order]]])
        self.team = self.rng.integers(0, max(len(p.kinds), 1), len(self.members))  # index into kinds
        self.zone = model.resident_zone[self.members]
        # Residents are sorted by community, so members are too: the servers of community
        # c's pool are members pool_start[c]:pool_start[c + 1].
        community = model.resident_community[self.members]
        self.pool_start = np.concatenate([[0], np.cumsum(np.bincount(community, minlength=model.n_communities))])
        self.pool = np.array([model.add_pool(f"volunteer teams {c}", self.pool_start[c + 1] - self.pool_start[c]) for c in range(model.n_communities)])
        self.on_duty = np.zeros(len(self.members), dtype=bool)
        # Constant lookups as Python lists, so that the daily hooks index instead of searching.
        K = len(PROBLEM_KINDS)
        team_kind = self.kind_index[self.team] if len(self.kind_index) else 0  # no kinds: the teams never act
        self._cell_members = [[] for _ in range(model.n_zones * K)]  # members patrolling each (zone, kind) cell
        for i, cell in enumerate((self.zone * K + team_kind).tolist()):
            self._cell_members[cell].append(i)
        self._building_cell = (model.building_zone * K).tolist()  # + a problem's kind: its (zone, kind) cell
        # Chance of finding a problem in a cell patrolled by k members on duty, by k.
        visits = np.arange(len(self.members) + 1) * p.buildings_per_duty
        self._find_prob = (np.minimum(1.0, visits / model.params.world.buildings_per_zone) * p.detection_prob).tolist()
        kinds = set(self.kind_index.tolist())
        self._takes = [k in kinds for k in range(K)]  # kinds whose small problems the teams take
        self._building_community = model.building_community.tolist()
        self._pools = self.pool.tolist()
        self._pool_slices = [slice(lo, hi) for lo, hi in zip(self.pool_start[:-1].tolist(), self.pool_start[1:].tolist())]
        self._has_members = [s.stop > s.start for s in self._pool_slices]  # by community
        self.found = 0
        self.taken = 0

    def act(self, model, phase: Phase) -> None:
        if len(self.members) == 0 or len(self.kind_index) == 0:
            return
        if phase is Phase.DISCOVER:
            self._patrol(model)
        else:
            self._settle(model)

    def _patrol(self, model) -> None:
        """Today's duty roster, then the patrols of members on duty.

        A day has a handful of undiscovered problems: they are looked at one by one
        in Python rather than through a dozen numpy calls.
        """
        p, P, R = self.params, model.problems, model.residents
        self.on_duty = self.rng.random(len(self.members)) < p.duty_days_per_week / 7
        R.mark_active(self.members[self.on_duty], model.day, R.volunteering)
        speed = self.on_duty * (p.hours_per_duty / 8)  # work-days a member settles today
        for c, pool in enumerate(self._pools):
            model.pools[pool].set_speed(speed[self._pool_slices[c]], model.day)
        self.spend(p.cost_per_member * len(self.members) / 365)
        und = model.open_ids(UNDISCOVERED)
        if len(und) == 0:
            return  # nothing to find (and no draws to make)
        on_duty = self.on_duty.tolist()
        und = und.tolist()
        u = self.rng.random(len(und)).tolist()
        found = []
        for j, v in zip(und, u):
            patrolling = sum(on_duty[i] for i in self._cell_members[self._building_cell[P.building.item(j)] + P.kind.item(j)])
            if v < model.chance_today(self._find_prob[patrolling], P.arose.item(j)):
                found.append(j)
        if found:
            found = np.array(found)
            P.discover(found, model.time_in_day(P.arose[found], rng=self.rng), CHANNEL)
            self.found += len(found)

    def _settle(self, model) -> None:
        """A share of newly discovered small problems of the teams' kinds goes to the teams' pool."""
        p, P = self.params, model.problems
        ids = [j for j in model.open_ids(DISCOVERED).tolist() if self._takes[P.kind.item(j)] and not P.big.item(j)]
        if not ids:
            return  # nothing to take (and no draws to make)
        community = [self._building_community[P.building.item(j)] for j in ids]
        u = self.rng.random(len(ids)).tolist()
        take = [i for i, c in enumerate(community) if self._has_members[c] and u[i] < p.settle_share]
        if take:
            ids = np.array([ids[i] for i in take])
            pools = np.array([self._pools[community[i]] for i in take])
            model.send_to_pool(ids, pools, P.discovered[ids], model.params.service.small_work_days, rng=self.rng)
            self.taken += len(ids)

    def metrics(self) -> dict[str, float]:
        return {"members": len(self.members), "problems_found": self.found, "problems_taken": self.taken}
