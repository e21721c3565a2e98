"""Micro-venture philanthropy contest (微创投公益大赛).

What it changes: once a year, on ``contest_day``, the subdistrict runs a
contest for small community service projects (Wangzhuang since 2017, seed
000 §3; government purchase of services, seed 003 §1.4):

* **Proposals.** Each social organisation of ``model.social_orgs`` proposes
  with probability ``propose_prob``; resident culture and sports teams
  (``teams_per_community``, Poisson) and professional organisations brought
  in from outside (``entrants_per_community``, Poisson; 外引) propose too.
  Each proposal has a true quality in [0, 1], drawn around a mean that is
  higher for professional organisations.
* **Third-party review.** A social-work association scores each proposal
  as its quality plus noise (``review_noise``); the best-scored proposals
  above ``min_score`` win a grant of ``grant_yuan`` until the contest budget
  (``budget_per_community`` × communities) is spent. Noise means some good
  projects lose and some weak ones win.
* **Delivery.** For ``term_days`` a funded project adds ``servers_per_project``
  servers to the community's care pool (``model.care_pool[c]``, created if
  the community has none), at a speed that grows with its quality, and
  ``activities_per_project`` activities a month (``model.extra_activities``).
  Both stop when the term ends; a care pool that only projects staffed then
  closes, and the care needs waiting in it go to the community's
  gridworkers. A winning outside organisation becomes a social organisation
  of the community (``SocialOrganisation``, external).
* **Incubation.** A funded resident team, coached by the professional
  organisation and the community workers, becomes a resident-grown social
  organisation at the end of its term with probability ``incubation_prob`` ×
  (0.5 + the community workers' mean project-operation capacity, seed 000
  §2). It then runs the core's activities of an organisation and adds
  ``incubated_servers`` lasting servers to the care pool.

Cost: grants plus the third-party review and supervision per proposal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.organisations import SocialOrganisation

YEAR = 365
ORG, TEAM, ENTRANT = 0, 1, 2


@dataclass
class Project:
    community: int
    source: int  # ORG, TEAM or ENTRANT
    quality: float
    ends: int
    pool: int
    server: np.ndarray
    activities: float


class MicroVentureParams(MechanismParams):
    contest_day: int = param(90, unit="day of year", ge=0, le=364, source="assumption", description="Day of the year the contest awards its grants.")
    term_days: int = param(365, unit="days", ge=30, le=1095, source="assumption (one-year projects)", description="How long a funded project delivers services.")
    budget_per_community: float = param(30000.0, unit="yuan/year", ge=0, le=1e8, source="assumption: about one project a community a year (seed 000 §3: a 16-community subdistrict's contest); seed 003 §1.4 (government purchase of services)", description="Contest budget per community and year (pooled over the district).")
    grant_yuan: float = param(30000.0, unit="yuan", ge=1, le=1e7, source="assumption (micro-venture grants of some tens of thousands of yuan)", description="Grant for one project.")
    propose_prob: float = param(0.7, unit="probability", ge=0, le=1, source="assumption", description="Chance that an existing social organisation enters the contest.")
    teams_per_community: float = param(1.0, unit="proposals per community", ge=0, le=20, source="seed 000 §3 (resident culture and sports teams); number assumed", description="Mean proposals from resident teams per community and contest.")
    entrants_per_community: float = param(0.5, unit="proposals per community", ge=0, le=20, source="seed 000 §3 (professional organisations brought in); number assumed", description="Mean proposals from outside professional organisations per community and contest.")
    quality_external: float = param(0.6, unit="quality (0-1)", ge=0, le=1, source="assumption; seed 000 §3 (professional organisations)", description="Mean true quality of a professional organisation's proposal.")
    quality_resident: float = param(0.45, unit="quality (0-1)", ge=0, le=1, source="assumption", description="Mean true quality of a resident-grown organisation's or team's proposal.")
    quality_sd: float = param(0.15, unit="quality", ge=0, le=1, source="assumption", description="Spread of true quality among proposals.")
    review_noise: float = param(0.1, unit="quality", ge=0, le=1, source="assumption; seed 000 §3 (third-party review by a social-work association)", description="Standard deviation of the reviewers' error in scoring quality.")
    min_score: float = param(0.35, unit="quality", ge=0, le=1, source="assumption", description="Lowest review score that can be funded.")
    servers_per_project: int = param(1, unit="servers", ge=0, le=20, source="assumption", description="Service staff a funded project adds to the community's care pool.")
    activities_per_project: float = param(2.0, unit="activities/month", ge=0, le=50, source="assumption: a 30,000-yuan grant buys about 20 activities a year at the committee's 1,500 yuan each", description="Activities a month a funded project of average quality (0.5) runs.")
    incubation_prob: float = param(0.5, unit="probability", ge=0, le=1, source="assumption; seed 000 §3 (incubating endogenous organisations)", description="Chance that a funded resident team becomes an organisation, at average worker project capacity (0.5).")
    incubated_servers: int = param(1, unit="servers", ge=0, le=20, source="assumption", description="Lasting service staff of an incubated resident-grown organisation.")
    review_cost_per_proposal: float = param(2000.0, unit="yuan", ge=0, le=1e6, source="assumption; seed 000 §3 (review, supervision and evaluation bought from a social-work association)", description="Third-party review and supervision cost per proposal.")


class MicroVenture(Mechanism):
    name = "micro_venture"
    title = "微创投"
    description = "A yearly contest funds social-organisation projects after a noisy third-party review; resident teams are incubated."
    sources = "seed 000 §3; seed 003 §1.4"
    Params = MicroVentureParams
    phases = (Phase.PERIODIC,)

    @classmethod
    def first_action_day(cls, params, core) -> int:
        """The first contest's awards."""
        return params.contest_day

    @classmethod
    def scheduled_days(cls, params, core, days: int) -> list[int]:
        """The contests' awards, once a year."""
        return list(range(params.contest_day, days, YEAR))

    def setup(self, model) -> None:
        self.projects: list[Project] = []
        self.own_pool: dict[int, int] = {}  # care pools this mechanism made, by community
        self.proposals = self.funded = self.incubated = self.embedded = 0
        self.quality_proposed = self.quality_funded = 0.0

    def act(self, model, phase: Phase) -> None:
        day = model.day
        if day % YEAR == self.params.contest_day:
            self._contest(model)
        ending = [pr for pr in self.projects if pr.ends == day]
        if ending:
            self.projects = [pr for pr in self.projects if pr.ends != day]
            for pr in ending:
                self._finish(model, pr)

    def _contest(self, model) -> None:
        p, rng, C = self.params, self.rng, model.n_communities
        community, source, orgs = [], [], []
        for org in model.social_orgs:
            if rng.random() < p.propose_prob:
                community.append(org.community)
                source.append(ORG)
                orgs.append(org)
        for kind, mean in ((TEAM, p.teams_per_community), (ENTRANT, p.entrants_per_community)):
            n = rng.poisson(mean, C)
            community.extend(np.repeat(np.arange(C), n).tolist())
            source.extend([kind] * int(n.sum()))
            orgs.extend([None] * int(n.sum()))
        if not community:
            return
        community, source = np.array(community), np.array(source)
        external = np.array([o.external if o is not None else s == ENTRANT for o, s in zip(orgs, source)])
        quality = np.clip(rng.normal(np.where(external, p.quality_external, p.quality_resident), p.quality_sd), 0, 1)
        score = quality + rng.normal(0, p.review_noise, len(quality))
        self.spend(p.review_cost_per_proposal * len(quality))
        self.proposals += len(quality)
        self.quality_proposed += float(quality.sum())
        order = np.argsort(-score, kind="stable")
        order = order[score[order] >= p.min_score][: int(p.budget_per_community * C // p.grant_yuan)]
        for i in order:
            self._fund(model, int(community[i]), int(source[i]), float(quality[i]))

    def _care_pool(self, model, c: int) -> int:
        if model.care_pool[c] < 0:
            if c not in self.own_pool:  # a community without social organisations' staff
                self.own_pool[c] = model.add_pool(f"social organisations {c}", 0)
            model.care_pool[c] = self.own_pool[c]
        return int(model.care_pool[c])

    def _add_servers(self, model, c: int, speeds: np.ndarray) -> tuple[int, np.ndarray]:
        pool_id = self._care_pool(model, c)
        pool = model.pools[pool_id]
        first = len(pool.speed)
        pool.set_speed(np.concatenate([pool.speed, speeds]), model.day)
        return pool_id, np.arange(first, first + len(speeds))

    def _fund(self, model, c: int, source: int, quality: float) -> None:
        p = self.params
        self.spend(p.grant_yuan)
        self.funded += 1
        self.quality_funded += quality
        pool, server = self._add_servers(model, c, np.full(p.servers_per_project, 2.0 * quality))
        activities = p.activities_per_project * 2.0 * quality
        model.extra_activities[c] += activities
        self.projects.append(Project(c, source, quality, model.day + p.term_days, pool, server, activities))
        if source == ENTRANT:  # the outside organisation settles in the community (外引)
            org = SocialOrganisation(model, c, True, 0)
            org.activities_per_month = 0.0
            model.social_orgs.append(org)
            self.embedded += 1

    def _finish(self, model, pr: Project) -> None:
        p = self.params
        pool = model.pools[pr.pool]
        speed = pool.speed.copy()
        speed[pr.server] = 0.0
        pool.set_speed(speed, model.day)
        if not speed.any():  # the pool was the project's alone: care needs go back to the gridworkers
            model.care_pool[pr.community] = -1
            start = model.totals.first_open
            waiting = start + np.flatnonzero(model.problems.pool[start : model.problems.n] == pr.pool)
            model.move_queued(waiting, model.community_pool[pr.community])
        model.extra_activities[pr.community] = max(0.0, model.extra_activities[pr.community] - pr.activities)
        if pr.source != TEAM:
            return
        project_capacity = model.community_capacity("project")[pr.community]
        if self.rng.random() < min(1.0, p.incubation_prob * (0.5 + project_capacity)):
            org = SocialOrganisation(model, pr.community, False, p.incubated_servers)
            model.social_orgs.append(org)
            if p.incubated_servers:
                self._add_servers(model, pr.community, np.ones(p.incubated_servers))
            self.incubated += 1

    def metrics(self) -> dict[str, float]:
        return {
            "proposals": float(self.proposals),
            "projects_funded": float(self.funded),
            "mean_quality_proposed": self.quality_proposed / self.proposals if self.proposals else float("nan"),
            "mean_quality_funded": self.quality_funded / self.funded if self.funded else float("nan"),
            "organisations_incubated": float(self.incubated),
            "organisations_brought_in": float(self.embedded),
        }
