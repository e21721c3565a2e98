"""Review cycle (周小结—月会商—季度点评): regular reviews find weak zones and move effort there.

The problem it addresses: each gridworker knows only their own grid and
effort stays where the posts happen to be, not where problems pile up
(seed 004 §二.3). Licheng's periodic linkage mechanism — "weekly summaries
lay the base, monthly consultations crack the problems, quarterly reviews
raise quality" (周小结夯基—月会商破题—季度点评提质) — is meant to find
governance shortfalls early; it analysed 40+ shortfalls and produced 55
measures (seed 004 §一.2).

What it changes in the model:

* **Weekly summary.** Every 7 days each zone's backlog (open problems per
  building, from ``model.totals.open_by_building``) is compared with its
  community's mean; a zone above the mean by more than ``margin`` (and with
  at least ``min_open_per_building``) is flagged.
* **Monthly consultation.** Every four weeks, zones flagged in at least
  ``chronic_weeks`` of the last four summaries are weak spots, and the
  consultation moves effort there until the next one:
  the community takes up ``cases_per_consultation`` of each weak zone's
  oldest big problems waiting for a department and settles them jointly
  with its own workers (they leave the department's queue for the
  community pool: 破题); where a weak zone's patrols do not cover its
  buildings (expected visits below ``coverage_target`` of them), up to
  ``posts_per_weak_zone`` posts move in from the least-burdened zones of
  the community (a zone keeps at least one post; the core reads each
  post's ``zone`` for patrols, discovery and door-knocking); and the
  community's gridworkers serve the weak zones' queued problems first.
* **Quarterly review.** Every 13 weeks, weak zones that are still flagged
  are escalated: their ``escalations_per_zone`` oldest big problems waiting
  for a department are pulled forward (a pending referral arrives the next
  day; a queued one moves to the front of the department's queue).

Cost: staff time for the meetings, per community per year.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.problems import QUEUED, ROUTED

WEEK = 7


class ReviewCycleParams(MechanismParams):
    margin: float = param(0.25, unit="share above the community mean", ge=0, le=10, source="assumption; seed 004 §三.3 (warnings graded by complaint volume)", description="How far above its community's mean backlog a zone must be to be flagged in a weekly summary.")
    min_open_per_building: float = param(0.5, unit="open problems per building", ge=0, le=100, source="assumption", description="Least backlog for a zone to be flagged at all.")
    chronic_weeks: int = param(3, unit="weeks of the last four", ge=1, le=4, source="assumption; seed 004 §一.2 (weekly summaries feed monthly consultations)", description="Weekly flags (of the last four) that make a zone a weak spot at the monthly consultation.")
    cases_per_consultation: int = param(3, unit="problems per weak zone per month", ge=0, le=100, source="assumption; seed 004 §一.2 (monthly consultations crack problems: 40+ shortfalls, 55 measures)", description="Oldest big problems of a weak zone waiting for a department that the community takes up and settles itself.")
    coverage_target: float = param(0.9, unit="share of buildings visited a day", ge=0, le=1, source="assumption", description="Patrol coverage below which a weak zone receives posts from other zones.")
    posts_per_weak_zone: int = param(1, unit="posts", ge=0, le=10, source="assumption; seed 004 §一.2 (reallocate effort to shortfalls)", description="Most posts moved into a weak zone until the next consultation.")
    priority: bool = param(True, unit="switch", source="assumption; seed 004 §一.2 (月会商破题)", description="Whether gridworkers serve weak zones' queued problems first.")
    escalations_per_zone: int = param(5, unit="problems per zone per quarter", ge=0, le=100, source="assumption; seed 004 §一.2 (季度点评提质: 40+ shortfalls, 55 measures)", description="Oldest big problems of a still-weak zone pulled forward at the quarterly review.")
    cost_per_community: float = param(8000.0, unit="yuan/year per community", ge=0, le=1e7, source="assumption (staff time for weekly, monthly and quarterly meetings)", description="Yearly cost of running the review cycle in one community.")


class ReviewCycle(Mechanism):
    name = "review_cycle"
    title = "周小结—月会商—季度点评"
    description = "Weekly summaries, monthly consultations and quarterly reviews move posts and priority to zones with chronic backlog."
    sources = "seed 004 §一.2"
    Params = ReviewCycleParams
    phases = (Phase.ROUTE, Phase.PERIODIC)
    route_priority = 70  # reviews act on what is already routed

    @classmethod
    def first_action_day(cls, params, core) -> int:
        """The first monthly consultation (the end of the fourth week): weekly summaries before it only flag zones."""
        return 4 * WEEK - 1

    def setup(self, model) -> None:
        self.model = model
        self.home = model.gridworkers.zone.copy()
        self.moved = np.zeros(0, dtype=int)
        self.flags: deque[np.ndarray] = deque(maxlen=4)
        self.weak = np.zeros(model.n_zones, dtype=bool)
        self.weak_communities: list[int] = []  # communities with a weak zone, until the next consultation
        self.zone_buildings = np.bincount(model.building_zone, minlength=model.n_zones)
        # divisors of the weekly means: buildings of each zone, zones of each community (at least 1)
        self.zone_size = np.maximum(self.zone_buildings, 1)
        self.community_size = np.maximum(np.bincount(model.zone_community, minlength=model.n_communities), 1)
        self.daily_cost = self.params.cost_per_community * model.n_communities / 365
        self.consultations = self.weak_zone_months = self.posts_moved = self.cracked = self.escalated = 0

    def act(self, model, phase: Phase) -> None:
        if phase is Phase.ROUTE:
            if self.weak_communities and self.params.priority:
                self._prioritise(model)
            return
        self.spend(self.daily_cost)
        if model.day % WEEK != WEEK - 1:
            return
        week = model.day // WEEK
        backlog = self._weekly_summary(model)
        if week % 4 == 3:
            self._consult(model, backlog)
        if week % 13 == 12:
            self._review(model)

    def zone_backlog(self, model) -> np.ndarray:
        """Open problems per building, by zone."""
        open_by_zone = np.bincount(model.building_zone, weights=model.totals.open_by_building, minlength=model.n_zones)
        return open_by_zone / self.zone_size

    def _weekly_summary(self, model) -> np.ndarray:
        p = self.params
        backlog = self.zone_backlog(model)
        mean = np.bincount(model.zone_community, weights=backlog, minlength=model.n_communities) / self.community_size
        self.flags.append((backlog > (1 + p.margin) * mean[model.zone_community]) & (backlog >= p.min_open_per_building))
        return backlog

    def _consult(self, model, backlog: np.ndarray) -> None:
        """Monthly consultation: name weak zones and move effort there until the next one."""
        p, g = self.params, model.gridworkers
        g.zone[self.moved] = self.home[self.moved]
        self.moved = np.zeros(0, dtype=int)
        self.weak = np.sum(self.flags, axis=0) >= p.chronic_weeks
        self.consultations += 1
        weak = np.flatnonzero(self.weak)
        self.weak_communities = np.unique(model.zone_community[weak]).tolist()
        if len(weak) == 0:  # about half the months
            return
        self.weak_zone_months += len(weak)
        weak = weak[np.argsort(-backlog[weak], kind="stable")]
        self._crack_cases(model, weak)
        # patrol posts, where a weak zone's buildings are not covered
        hours = g.patrol_hours() * g.p.buildings_per_patrol_hour
        cover = np.bincount(g.zone, weights=hours, minlength=model.n_zones) / self.zone_size
        posts = np.bincount(g.zone[g.filled], minlength=model.n_zones)
        gave = np.zeros(model.n_zones, dtype=bool)
        moved: list[int] = []
        for z in weak:
            for _ in range(p.posts_per_weak_zone):
                donors = np.flatnonzero((model.zone_community == model.zone_community[z]) & ~self.weak & ~gave & (posts >= 2))
                if cover[z] >= p.coverage_target or len(donors) == 0:
                    break
                donor = donors[np.argmin(backlog[donors])]
                post = np.flatnonzero((g.zone == donor) & g.filled)[-1]
                g.zone[post] = z
                for zone, sign in ((donor, -1), (z, 1)):
                    posts[zone] += sign
                    cover[zone] += sign * hours[post] / self.zone_buildings[zone]
                gave[donor] = True
                moved.append(int(post))
        self.moved = np.array(moved, dtype=int)
        self.posts_moved += len(moved)

    def _waiting_at_departments(self, model, zones: np.ndarray, per_zone: int) -> np.ndarray:
        """The oldest ``per_zone`` big problems of each zone waiting for a department."""
        P = model.problems
        start = model.totals.first_open
        status = P.status[start : P.n]
        ids = start + np.flatnonzero((status == ROUTED) | (status == QUEUED))
        in_zone = np.zeros(model.n_zones, dtype=bool)
        in_zone[zones] = True
        ids = ids[model.is_department_pool(P.pool[ids]) & in_zone[model.building_zone[P.building[ids]]]]
        zone = model.building_zone[P.building[ids]]
        order = np.lexsort((P.arose[ids], zone))  # by zone, oldest first
        ids, zone = ids[order], zone[order]
        return ids[np.arange(len(ids)) - np.searchsorted(zone, zone) < per_zone]

    @staticmethod
    def _reorder(queue, ids: np.ndarray, drop: bool) -> None:
        """Move ``ids`` to the front of a pool's queue, or drop them from it."""
        jobs = np.array(queue, dtype=np.int64)
        if len(jobs) == 0 or len(ids) == 0:
            return
        listed = np.zeros(max(jobs.max(), ids.max()) + 1, dtype=bool)
        listed[ids] = True
        hit = listed[jobs]
        if hit.any():
            queue.clear()
            queue.extend((jobs[~hit] if drop else np.concatenate([jobs[hit], jobs[~hit]])).tolist())

    def _crack_cases(self, model, weak: np.ndarray) -> None:
        """The consultation takes up weak zones' oldest department cases itself."""
        P = model.problems
        ids = self._waiting_at_departments(model, weak, self.params.cases_per_consultation)
        for index in np.unique(P.pool[ids]):
            self._reorder(model.pools[index].queue, ids, drop=True)
        community = model.community_pool[model.building_community[P.building[ids]]]
        model.send_to_pool(ids, community, np.maximum(P.ready[ids], model.day + 1.0), model.params.service.big_work_days, rng=self.rng)
        self.cracked += len(ids)

    def _prioritise(self, model) -> None:
        """Gridworkers serve the weak zones' queued problems first."""
        P = model.problems
        for c in self.weak_communities:
            queue = model.pools[model.community_pool[c]].queue
            if not queue:
                continue
            ids = np.array(queue, dtype=np.int64)
            first = self.weak[model.building_zone[P.building[ids]]]
            if first.any() and not first[: first.sum()].all():
                queue.clear()
                queue.extend(np.concatenate([ids[first], ids[~first]]).tolist())

    def _review(self, model) -> None:
        """Quarterly review: still-weak zones' oldest department cases are pulled forward."""
        P, day = model.problems, model.day
        still = np.flatnonzero(self.weak & self.flags[-1])
        if len(still) == 0:
            return
        ids = self._waiting_at_departments(model, still, self.params.escalations_per_zone)
        pending = ids[(P.status[ids] == ROUTED) & (P.ready[ids] > day + 1)]
        P.ready[pending] = day + 1.0
        for index in np.unique(P.pool[ids[P.status[ids] == QUEUED]]):
            self._reorder(model.pools[index].queue, ids, drop=False)
        self.escalated += len(ids)

    def metrics(self) -> dict[str, float]:
        return {
            "consultations": self.consultations,
            "weak_zone_months": self.weak_zone_months,
            "posts_moved": self.posts_moved,
            "cases_taken_up": self.cracked,
            "escalated": self.escalated,
        }
