"""GovernanceCore: the world, its people and one day of community governance.

The core knows nothing of files, scenarios or batches. It takes validated
parameters and mechanism instances and runs the daily schedule:

1. ARISE     problems arise in buildings (Poisson, by kind)
2. DISCOVER  residents report, gridworkers patrol (and ask residents to join)
3. ROUTE     mechanisms may claim problems; the rest go to a service pool or
             are referred to a department
4. SERVE     pools start and finish jobs; overdue problems are abandoned
5. DECIDE    residents join activities and meetings, and learn from outcomes
6. PERIODIC  gridworkers' burnout and turnover; monthly budgets, donations
             and activities; then the day's metrics are recorded

In each phase the core works first and mechanisms act after it, except in
ROUTE (see :class:`~sim.model.mechanism.Phase`).
"""

from __future__ import annotations

import itertools
import weakref
import zlib
from collections import defaultdict
from collections.abc import Iterable

import mesa
import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid

from . import metrics
from .gridworkers import CAP, LEADER, Gridworker, Gridworkers
from .mechanism import Mechanism, Phase
from .organisations import CommunityCommittee, Department, Enterprise, SocialOrganisation
from .params import PROBLEM_KINDS, CoreParams
from .problems import (
    DISCOVERED,
    IN_SERVICE,
    QUEUED,
    ROUTED,
    RESOLVED,
    UNDISCOVERED,
    CHANNELS,
    Problems,
)
from .residents import Resident, Residents
from .sampling import poisson_cells
from .service import ServicePool
from .world import build_layout, slice_starts



class _AgentIdCounters(dict):
    """Mesa 3.3's per-model agent id counters (``Agent._ids``), without holding the models.

    Mesa keeps them in a class-level defaultdict keyed by the model, which keeps
    every model a process builds alive (mesa#3179; later Mesa numbers agents in
    the model): a batch worker grew by about 285 MB with each district run, and
    the explorer by as much with each Reset. Keyed by ``id(model)`` instead, each
    entry goes when its model does; the ids agents get are the same. (A weak-keyed
    dictionary did as much but made a district's 500,000 agents 0.5 s slower to build.)
    """

    def __getitem__(self, model):
        counter = self.get(id(model))
        if counter is None:
            counter = self[id(model)] = itertools.count(1)
            weakref.finalize(model, self.pop, id(model), None)
        return counter


if isinstance(getattr(mesa.Agent, "_ids", None), defaultdict):
    mesa.Agent._ids = _AgentIdCounters()

YEAR = 365
MONTH_STARTS = tuple(m * YEAR // 12 for m in range(12))
"""Days of the year on which a month begins: twelve months a year, so the
committee's yearly budget and its monthly plans keep to the same calendar."""
STREAMS = ("world", "arrivals", "discovery", "service", "residents", "staff", "hiring", "institutions")


class GovernanceCore(mesa.Model):
    """The governance world. Build it through :class:`sim.GovernanceModel`."""

    def __init__(self, *, params: CoreParams | None = None, mechanisms: Iterable[Mechanism] = (), rng=None) -> None:
        super().__init__(rng=rng)
        # One random stream per process, derived from the run's seed by name, so that
        # switching a mechanism on does not reshuffle the draws of everything else
        # (common random numbers for paired comparisons).
        self.streams = {name: self.stream(name) for name in STREAMS}
        self.params = params or CoreParams()
        self.mechanisms = sorted(mechanisms, key=lambda m: m.name)
        route_order = sorted(self.mechanisms, key=lambda m: (m.route_priority, m.name))
        self._acting = {
            phase: [m for m in (route_order if phase is Phase.ROUTE else self.mechanisms) if phase in m.phases] for phase in Phase
        }
        self.day = -1
        self._build_world()
        self._build_residents()
        self._build_gridworkers()
        self._build_institutions()
        self._build_pools()
        self.problems = Problems(capacity=max(1024, int(self.expected_daily_problems() * 400)))
        self.deadline = np.zeros(0)
        self.arrival_multiplier = np.ones(self.n_buildings)
        self.extra_activities = np.zeros(self.n_communities)
        self.salary_cost = 0.0
        self.totals = metrics.Totals()
        self.residents.update_willingness(0)
        for mechanism in self.mechanisms:
            mechanism.rng = self.stream(f"mechanism.{mechanism.name}")
            mechanism.setup(self)
        self._monthly(0)
        self.datacollector = metrics.DailySeries()
        self.today: dict[str, float] = {}

    # ------------------------------------------------------------------ building
    def _build_world(self) -> None:
        w = self.params.world
        self.layout = layout = build_layout(w)
        self.n_buildings, self.n_zones, self.n_communities = layout.n_buildings, layout.n_zones, w.communities
        self.grid = OrthogonalMooreGrid((layout.width, layout.height), torus=False, random=self.random)
        self.building_zone = layout.building_zone
        self.building_community = layout.building_community
        self.zone_community = layout.zone_community
        self.building_age = np.clip(self.streams["world"].normal(w.building_age_mean, 8.0, self.n_buildings), 0, None)
        self.property_managed = self.streams["world"].random(self.n_buildings) < w.property_managed_share
        pp = self.params.problems
        self._kind_rate = np.array([getattr(pp.kinds, k).rate for k in PROBLEM_KINDS]) / 1000
        self._kind_big_share = np.array([getattr(pp.kinds, k).big_share for k in PROBLEM_KINDS])
        self.building_pressure = (1 + pp.age_pressure * self.building_age) * (1 + pp.unmanaged_pressure * ~self.property_managed)
        xy = (layout.building_x, layout.building_y)
        self.layers = {}
        for name, values, fill in (
            ("building", np.arange(self.n_buildings), -1),
            ("zone", self.building_zone, -1),
            ("community", self.building_community, -1),
            ("building_age", self.building_age, np.nan),
            ("property_managed", self.property_managed.astype(float), np.nan),
            ("residents", None, 0.0),
            ("participation", None, np.nan),
            ("open_problems", None, 0.0),
        ):
            dtype = int if isinstance(fill, int) else float
            layer = self.grid.create_property_layer(name, default_value=dtype(0), dtype=dtype)
            layer.data[:] = fill  # after creation: Mesa 3.5 warns about a NaN default
            if values is not None:
                layer.data[xy] = values
            self.layers[name] = layer

    def _build_residents(self) -> None:
        n = self.params.world.residents
        size = self.streams["world"].lognormal(0.0, 0.3, self.n_buildings)
        building = np.sort(self.streams["world"].choice(self.n_buildings, size=n, p=size / size.sum()))
        self.residents = Residents(building, self.streams["world"], self.params.population, self.params.residents, n_buildings=self.n_buildings)
        self.resident_start = slice_starts(building, self.n_buildings)
        self.building_residents = np.diff(self.resident_start)
        self.resident_zone = self.building_zone[building]
        self.resident_community = self.building_community[building]
        self.community_residents = np.bincount(self.resident_community, minlength=self.n_communities)
        self.layers["residents"].data[self.layout.building_x, self.layout.building_y] = self.building_residents
        self.zone_size = np.bincount(self.resident_zone, minlength=self.n_zones)
        self._building_load = self.building_residents * self.building_pressure
        self._last_resident = self.resident_start[1:] - 1
        self._empty_buildings = np.flatnonzero(self.building_residents == 0)
        for row in range(n):
            Resident(self, row)

    def _build_gridworkers(self) -> None:
        p = self.params.gridworkers
        posts = max(self.n_zones, round(p.per_zone * self.n_zones))
        zone = np.sort(np.arange(posts) % self.n_zones)
        community = self.zone_community[zone]
        self.gridworkers = Gridworkers(zone, community, self.streams["staff"], p)
        self.post_start = slice_starts(community, self.n_communities)
        for c in range(self.n_communities):
            first = self.post_start[c]
            self.gridworkers.make_leaders(np.arange(first, min(first + p.leaders_per_community, self.post_start[c + 1])))
        self.gridworker_agents = [Gridworker(self, row) for row in range(posts)]

    def _build_institutions(self) -> None:
        o = self.params.organisations
        self.committees = [CommunityCommittee(self, c, self.params.committee.budget_yuan) for c in range(self.n_communities)]
        self.enterprises: list[Enterprise] = []
        self.social_orgs: list[SocialOrganisation] = []
        for c in range(self.n_communities):
            for _ in range(self._round_random(o.enterprises_per_community)):
                self.enterprises.append(Enterprise(self, c, bool(self.streams["institutions"].random() < o.enterprise_active_share)))
            for _ in range(self._round_random(o.social_orgs_per_community)):
                external = bool(self.streams["institutions"].random() < o.social_org_external_share)
                self.social_orgs.append(SocialOrganisation(self, c, external, o.social_org_servers))
        d = self.params.departments
        # Each department's share of staff time for community cases, in whole servers on part duty.
        per_department = d.staff_per_community * self.n_communities / d.count
        servers = max(1, int(np.ceil(per_department)))
        self.departments = [
            Department(self, i, tuple(k for j, k in enumerate(PROBLEM_KINDS) if j % d.count == i), servers, per_department / servers)
            for i in range(d.count)
        ]

    def _build_pools(self) -> None:
        C = self.n_communities
        self.pools: list[ServicePool] = []
        self.community_pool = np.array([self.add_pool(f"community {c}", self.post_start[c + 1] - self.post_start[c]) for c in range(C)])
        self.care_pool = np.full(C, -1)
        for c in range(C):
            staff = sum(s.servers for s in self.social_orgs if s.community == c)
            if staff > 0:
                self.care_pool[c] = self.add_pool(f"social organisations {c}", staff)
                self.pools[self.care_pool[c]].set_speed(np.ones(staff), 0.0)
        self.department_pool = np.zeros(len(PROBLEM_KINDS), dtype=int)
        for dept in self.departments:
            # No staff for community cases (duty 0): referred problems wait until abandoned.
            pool = self.add_pool(f"department {dept.index}", dept.servers, duty=max(dept.duty, 1e-9))
            self.pools[pool].set_speed(np.full(dept.servers, 1.0 if dept.duty > 0 else 0.0), 0.0)
            for kind in dept.kinds:
                self.department_pool[PROBLEM_KINDS.index(kind)] = pool
        self.department_pools = frozenset(self.department_pool.tolist())

    def is_department_pool(self, pool: np.ndarray) -> np.ndarray:
        """Whether each pool index is a department's (``-1``, no pool, is not).

        For one pool, ``pool in model.department_pools`` is cheaper.
        """
        if len(getattr(self, "_department_mask", ())) != len(self.pools) + 1:  # mechanisms add pools as they run
            self._department_mask = np.zeros(len(self.pools) + 1, dtype=bool)
            self._department_mask[self.department_pool] = True
        return self._department_mask[pool]

    def add_pool(self, name: str, servers: int, duty: float = 1.0) -> int:
        """A new service pool; returns its index in ``model.pools``."""
        self.pools.append(ServicePool(name, servers, index=len(self.pools), duty=duty))
        return len(self.pools) - 1

    def move_queued(self, ids: np.ndarray, pool: int) -> None:
        """Move waiting problems to another pool; they join its queue today, not in the past."""
        P = self.problems
        ids = ids[np.isin(P.status[ids], (QUEUED, ROUTED))]
        P.pool[ids] = pool
        P.ready[ids] = np.maximum(P.ready[ids], self.day)
        P.status[ids] = ROUTED

    def _round_random(self, x: float) -> int:
        whole = int(x)
        return whole + int(self.streams["institutions"].random() < x - whole)

    # ------------------------------------------------------------------ helpers
    def expected_daily_problems(self) -> float:
        rates = sum(getattr(self.params.problems.kinds, k).rate for k in PROBLEM_KINDS)
        return rates * self.params.world.residents / 1000

    def stream(self, name: str) -> np.random.Generator:
        """An independent random generator for one named process of this run."""
        seed = self.rng.bit_generator.seed_seq
        key = (*getattr(seed, "spawn_key", ()), zlib.crc32(name.encode()))
        return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=key))

    def active_shocks(self) -> list:
        """Shocks (floods, epidemics) under way today."""
        return [shock for shock in self.params.shocks if shock.active(self.day)]

    def building_cell(self, building: int):
        """The grid cell of a building (楼栋)."""
        return self.grid[(int(self.layout.building_x[building]), int(self.layout.building_y[building]))]

    def zone_residents(self, zone: int) -> slice:
        bpz = self.params.world.buildings_per_zone
        return slice(self.resident_start[zone * bpz], self.resident_start[(zone + 1) * bpz])

    def community_capacity(self, capacity: str, tier: int | None = None) -> np.ndarray:
        """Mean of one capacity over each community's filled posts (of one tier, if given)."""
        g = self.gridworkers
        w = g.filled.astype(float)
        if tier is not None and np.count_nonzero(g.filled & (g.tier == tier)):
            w = w * (g.tier == tier)
        total = np.bincount(g.community, weights=w * g.capacity[:, CAP[capacity]], minlength=self.n_communities)
        return total / np.maximum(np.bincount(g.community, weights=w, minlength=self.n_communities), 1e-9)

    def draw_work(self, mean: np.ndarray | float, n: int | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
        """Work jobs need (worker-days), from the configured distribution.

        ``mean`` is one mean per job, or one mean for ``n`` jobs; ``rng``: a
        mechanism's own stream (default: the core's service stream). Draws are
        standard variates times the scale: the same numbers numpy's
        ``gamma``/``exponential`` give, without their slow per-element
        parameter handling.
        """
        s = self.params.service
        n = len(mean) if n is None else n
        rng = self.streams["service"] if rng is None else rng
        if s.distribution == "exponential":
            return rng.standard_exponential(n) * mean
        if s.distribution == "deterministic" or s.cv == 0:
            return np.broadcast_to(np.asarray(mean, dtype=float), (n,)).copy()
        if s.distribution == "gamma":
            shape = 1 / s.cv**2
            return rng.standard_gamma(shape, n) * (mean / shape)
        mean = np.broadcast_to(np.asarray(mean, dtype=float), (n,))
        sigma2 = np.log(1 + s.cv**2)
        return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), n)

    def month_begins(self) -> bool:
        """Whether a month of the calendar (twelve a year, see ``MONTH_STARTS``) begins today."""
        return self.day % YEAR in MONTH_STARTS

    def chance_today(self, daily: float, arose: float) -> float:
        """Chance of an event of daily chance ``daily`` for a problem that arose at ``arose``.

        A problem that arose today is exposed only for the rest of the day, as
        in the core's own discovery, so a channel does not find it faster than
        a day's watch allows.
        """
        exposed = self.day + 1 - max(arose, self.day)
        return daily if exposed >= 1 else 1 - (1 - daily) ** exposed

    def time_in_day(self, earliest: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
        """A uniform time within today, not before ``earliest`` (for mechanisms).

        ``rng`` is the mechanism's own stream, so that the core's streams
        draw the same numbers whether or not the mechanism is on.
        """
        lo = np.maximum(earliest, self.day)
        return lo + rng.random(len(lo)) * (self.day + 1 - lo)

    def _hooks(self, phase: Phase) -> None:
        for mechanism in self._acting[phase]:
            mechanism.act(self, phase)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        self.day += 1
        self.resolved_today = np.zeros(self.n_buildings)
        self.abandoned_today = np.zeros(self.n_buildings)
        self.arise()
        self._hooks(Phase.ARISE)
        self.discover()
        self._hooks(Phase.DISCOVER)
        self._hooks(Phase.ROUTE)
        self.route()
        self.serve()
        self._hooks(Phase.SERVE)
        self.decide()
        self._hooks(Phase.DECIDE)
        self.periodic()
        self._hooks(Phase.PERIODIC)
        self.record()

    def arise(self) -> None:
        """Problems arise in buildings: Poisson by building and kind."""
        shocks = self.active_shocks()
        key = (tuple(map(id, shocks)), self.arrival_multiplier.tobytes())
        if key != getattr(self, "_arrival_key", None):  # rates change only with shocks and the multiplier
            rate = self._kind_rate
            for shock in shocks:
                rate = rate * np.where(np.isin(PROBLEM_KINDS, shock.kinds), shock.surge, 1.0)
            lam = np.multiply.outer(self._building_load * self.arrival_multiplier, rate)
            self._arrival_cum, self._arrival_key = np.cumsum(lam.ravel()), key
        building, kind = np.divmod(poisson_cells(self.streams["arrivals"], self._arrival_cum), len(PROBLEM_KINDS))
        self.add_problems(building, kind, self.streams["arrivals"].random(len(kind)) < self._kind_big_share[kind])

    def add_problems(self, building: np.ndarray, kind: np.ndarray, big: np.ndarray) -> np.ndarray:
        """New problems arising today (used by the core and by shocks)."""
        pp = self.params.problems
        arose = self.day + self.streams["arrivals"].random(len(building))
        ids = self.problems.add(building, kind, big, arose)
        if len(self.deadline) < len(self.problems.status):
            self.deadline = np.resize(self.deadline, len(self.problems.status))
        self.deadline[ids] = arose + np.where(big, pp.patience_big_days, pp.patience_small_days)
        return ids

    def open_ids(self, status: int) -> np.ndarray:
        """Ids of problems with ``status``, scanning only the still-open tail."""
        start = self.totals.first_open
        return start + (self.problems.status[start : self.problems.n] == status).nonzero()[0]

    def discover(self) -> None:
        """Residents report problems in their building; patrols find others and ask residents to join."""
        g = self.gridworkers
        patrol = g.patrol_hours()
        und = self.open_ids(UNDISCOVERED)
        if len(und):
            self._find(und, patrol)
        self.totals.patrol_hours += float(np.add.reduce(patrol))
        # Knocking on doors, patrols ask residents at home to take part.
        mob = 0.5 + g.capacity[:, CAP["mobilising"]]
        contacts = np.bincount(g.zone, weights=patrol * g.p.contacts_per_patrol_hour * mob, minlength=self.n_zones)
        self.mobilise(np.repeat((contacts / self._zone_at_home).astype(np.float32), self.zone_size) * self.residents.at_home)

    def _find(self, und: np.ndarray, patrol: np.ndarray) -> None:
        """Which undiscovered problems are found today, when, and by whom.

        Reports and patrol finds are competing Poisson processes over the part
        of today a problem has existed, so discovery delays are exponential
        and independent of when in the day a problem arose.
        """
        P, R, g = self.problems, self.residents, self.gridworkers
        b = P.building[und]
        # Each resident reports at rate willingness × report_prob × ease (per day).
        rate = R.willingness * self.params.residents.report_prob * R.report_ease
        cum = np.cumsum(rate, dtype=float)
        per_building = cum[self._last_resident]
        per_building[1:] -= per_building[:-1].copy()  # differences of the running sum (np.diff, cheaper)
        per_building[self._empty_buildings] = 0
        # Patrols visit buildings of their zone; a visit finds a problem with detection_prob.
        visits = np.bincount(g.zone, weights=patrol * g.p.buildings_per_patrol_hour, minlength=self.n_zones)
        found_prob = np.minimum(1.0, visits / self.params.world.buildings_per_zone) * g.p.detection_prob
        patrol_rate = -np.log1p(-np.minimum(found_prob, 1 - 1e-9))[self.building_zone[b]]
        report_rate = per_building[b]
        total = report_rate + patrol_rate
        start = np.maximum(P.arose[und], self.day)
        u = self.streams["discovery"].random(len(und))
        hit = (u < -np.expm1(-total * (self.day + 1 - start))).nonzero()[0]
        if len(hit) == 0:
            return
        und, u, total, start, report_rate = und[hit], u[hit], total[hit], start[hit], report_rate[hit]
        # u given a hit is uniform below the hit probability: the time is a truncated exponential.
        t = np.minimum(start - np.log1p(-u) / total, np.nextafter(self.day + 1.0, 0))
        by_resident = self.streams["discovery"].random(len(hit)) * total < report_rate
        found, caught = und[by_resident], und[~by_resident]
        if len(found):
            fb = P.building[found]
            lo = self.resident_start[fb]
            base = np.where(lo > 0, cum[lo - 1], 0.0)
            target = base + self.streams["discovery"].random(len(found)) * per_building[fb]
            reporter = np.minimum(np.maximum(np.searchsorted(cum, target, side="right"), lo), self.resident_start[fb + 1] - 1)
            P.discover(found, t[by_resident], CHANNELS["resident"], reporter)
            R.mark_active(reporter, self.day, R.reports)
        if len(caught):
            P.discover(caught, t[~by_resident], CHANNELS["patrol"])

    @property
    def _zone_at_home(self) -> np.ndarray:
        if not hasattr(self, "_zone_at_home_cache"):
            at_home = np.bincount(self.resident_zone, weights=self.residents.at_home, minlength=self.n_zones)
            self._zone_at_home_cache = np.where(self.zone_size > 0, at_home, 1.0)  # a zone without residents: no 0/0, and no one to ask
        return self._zone_at_home_cache

    def mobilise(self, prob: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Ask residents to take part, each with its own probability; returns who was asked.

        A mechanism passes its own ``rng``: the core's residents' stream then
        draws the same numbers every day whether or not the mechanism is on.
        """
        rng = self.streams["residents"] if rng is None else rng
        asked = (rng.random(self.residents.n, dtype=np.float32) < prob).nonzero()[0]
        self.residents.mobilised_until[asked] = self.day + self.params.residents.mobilisation_days
        return asked

    def route(self) -> None:
        """Default routing of what mechanisms left: community, care or department."""
        P = self.problems
        ids = self.open_ids(DISCOVERED)
        if len(ids) == 0:
            return
        s = self.params.service
        building, kind, big = P.building[ids], P.kind[ids], P.big[ids]
        # Big problems: the community settles a share itself, the rest go to a department.
        refer = big & (self.streams["service"].random(len(ids)) >= s.community_big_share)
        pool = np.where(big, self.community_pool[self.building_community[building]], self.ordinary_pool(building, kind))
        P.pool[ids] = np.where(refer, self.department_pool[kind], pool)
        P.work[ids] = self.draw_work(np.where(big, s.big_work_days, s.small_work_days))
        P.ready[ids] = P.discovered[ids]
        P.status[ids] = ROUTED  # released into their queue in SERVE, in time order
        if np.count_nonzero(refer):
            # Referrals travel to the department: faster where leaders coordinate well.
            community = self.building_community[building[refer]]
            coordination = self.community_capacity("coordination", tier=LEADER)[community]
            delay = self.streams["service"].standard_exponential(len(community)) * (self.params.departments.referral_delay_days * (1.5 - coordination))
            P.ready[ids[refer]] += delay

    def ordinary_pool(self, building: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """The pool that ordinarily serves a small problem of ``kind`` in ``building``.

        Care needs go to the community's social organisations where it has a
        care pool, everything else to its gridworkers. Kept as a table by
        building and kind, rebuilt when a care pool is added.
        """
        if getattr(self, "_ordinary_key", None) != self.care_pool.tobytes():
            community = self.community_pool[self.building_community]
            care = self.care_pool[self.building_community]
            table = np.repeat(community[:, None], len(PROBLEM_KINDS), axis=1)
            table[:, PROBLEM_KINDS.index("care")] = np.where(care >= 0, care, community)
            self._ordinary_table, self._ordinary_key = table, self.care_pool.tobytes()
        return self._ordinary_table[building, kind]

    def send_to_pool(self, ids: np.ndarray, pool: int | np.ndarray, ready: np.ndarray, work_mean: np.ndarray | float, *, rng: np.random.Generator) -> None:
        """Route problems to a pool, to join its queue at time ``ready`` (for mechanisms).

        Their work is drawn from ``rng``, the mechanism's own stream, so that
        the core's service stream is left alone.
        """
        if len(ids) == 0:
            return
        P = self.problems
        P.pool[ids] = pool
        P.ready[ids] = ready
        P.work[ids] = self.draw_work(work_mean, len(ids), rng=rng)
        P.status[ids] = ROUTED

    def serve(self) -> None:
        """Release what is ready into queues, serve, resolve finished, abandon overdue."""
        P, t_end = self.problems, self.day + 1.0
        ready = self.open_ids(ROUTED)
        ready = ready[P.ready[ready] < t_end]
        if len(ready):
            ready = ready[np.argsort(P.ready[ready], kind="stable")]
            P.status[ready] = QUEUED
            for j, pool in zip(ready.tolist(), P.pool[ready].tolist()):
                self.pools[pool].queue.append(j)
        speed = self.gridworkers.service_speed(self.params.service.capacity_effect)
        for c in range(self.n_communities):
            self.pools[self.community_pool[c]].set_speed(speed[self.post_start[c] : self.post_start[c + 1]], self.day)
        deadline = self.deadline if self.params.problems.abandonment else None
        for pool in self.pools:
            pool.serve(self.day, P, deadline)
        busy = self.open_ids(IN_SERVICE)
        done = busy[P.finish[busy] < t_end]
        self.close(done, P.finish[done], resolved=True, timed=True)
        if deadline is not None:
            start = self.totals.first_open
            status = P.status[start : P.n]
            waiting = (status < RESOLVED) & (status != IN_SERVICE)
            overdue = start + (waiting & (self.deadline[start : P.n] < t_end)).nonzero()[0]
            self.close(overdue, self.deadline[overdue], resolved=False)

    def close(self, ids: np.ndarray, t: np.ndarray, resolved: bool, *, timed: bool = False) -> None:
        """Resolve or abandon problems; their buildings learn of it.

        ``timed``: their ready, start and finish times are all set already (a
        pool's finished jobs, orders carried out), so none needs filling in.
        """
        if len(ids) == 0:
            return
        self.problems.close(ids, t, resolved, self.params.problems.rating_half_life_days, timed=timed)
        target = self.resolved_today if resolved else self.abandoned_today
        if len(ids) <= 4:
            for b in self.problems.building[ids].tolist():
                target[b] += 1
        else:
            np.add.at(target, self.problems.building[ids], np.float64(1))  # a float64 one keeps ufunc.at on its fast path

    def decide(self) -> None:
        """Residents decide whether to join activities and meetings, then learn."""
        R, day = self.residents, self.day
        willing = R.update_willingness(day)
        c = self.params.committee
        joined = (self.streams["residents"].random(R.n, dtype=np.float32) < self._invite_prob * willing).nonzero()[0]
        R.mark_active(joined, day, R.volunteering)
        if day % c.meeting_interval_days == 0 and c.meeting_invitees > 0:
            self.hold_meeting(c.meeting_invitees)
        R.learn(self.resolved_today, self.abandoned_today, day)

    def hold_meeting(self, invitees_per_community: float) -> np.ndarray:
        """A deliberation session in every community: invitees attend if willing."""
        R = self.residents
        weight = R.at_home * (0.5 + R.belonging)
        total = np.bincount(self.resident_community, weights=weight, minlength=self.n_communities)
        invited = np.minimum(1.0, invitees_per_community * weight / total[self.resident_community])
        came = (self.streams["residents"].random(R.n) < invited * R.willingness).nonzero()[0]
        R.mark_active(came, self.day, R.deliberations)
        for committee in self.committees:
            committee.meetings += 1
        return came

    def periodic(self) -> None:
        """Gridworkers' daily dynamics; monthly and yearly events; costs."""
        g = self.gridworkers
        changed = g.daily(self.day, self.streams["staff"], self.streams["hiring"])
        for row in changed:
            if self.gridworker_agents[row] is not None:
                self.gridworker_agents[row].remove()
            self.gridworker_agents[row] = Gridworker(self, row) if g.filled[row] else None
        self.salary_cost += float(np.add.reduce(g.filled * g.salary)) / YEAR
        if self.day > 0 and self.day % YEAR == 0:
            for committee in self.committees:
                committee.budget += self.params.committee.budget_yuan
        if self.day > 0 and self.month_begins():
            self._monthly(self.day)

    def _monthly(self, day: int) -> None:
        """Donations arrive; committees plan this month's activities."""
        o, c = self.params.organisations, self.params.committee
        for e in self.enterprises:
            self.committees[e.community].budget += e.monthly(o.donation_prob, o.donation_yuan)
        supply = self.extra_activities.copy()
        months_left = 12 - MONTH_STARTS.index(day % YEAR)
        for committee in self.committees:
            # Spend the budget evenly over the rest of the year; donations buy extra
            # activities, up to twice the normal programme.
            affordable = committee.budget / months_left / c.activity_cost_yuan
            planned = min(2 * c.activities_per_month, affordable)
            committee.pay(planned * c.activity_cost_yuan)
            committee.activities_this_month = planned
            supply[committee.community] += planned
        for s in self.social_orgs:
            supply[s.community] += s.activities_per_month
        for e in self.enterprises:
            supply[e.community] += e.volunteer_activities_per_month
        # Invitations grow (less than proportionally) with activities on offer relative to the committee's
        # normal programme, and reach those at home in the daytime more often.
        self.activity_supply = supply / max(c.activities_per_month, 1.0)
        R, b = self.residents, self.params.residents
        home = R.at_home / R.at_home.mean()
        reach = self.activity_supply ** b.activity_reach_elasticity
        self._invite_prob = (b.activity_invite_prob * reach[self.resident_community] * home).astype(np.float32)

    def record(self) -> None:
        self.totals.advance(self)
        self.today = metrics.daily(self)
        self.datacollector.collect(self)
        xy = (self.layout.building_x, self.layout.building_y)
        self.layers["participation"].data[xy] = self.residents.building_active_share(self.day)
        self.layers["open_problems"].data[xy] = self.totals.open_by_building

    # ------------------------------------------------------------------ results
    def summary(self) -> dict[str, float]:
        """The run's summary metrics (see docs/ODD.md, 'Observation')."""
        return metrics.summary(self)

    def run_days(self, days: int) -> None:
        for _ in range(days):
            self.step()
