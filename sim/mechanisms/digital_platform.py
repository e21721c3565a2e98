"""Digital platform (一网统管 / 智慧社区).

The problem it addresses: information is still collected door to door, data
are re-verified again and again, and fire and safety inspections are walked
on foot (seed 002); each gridworker knows only their own grid, with stale
data on the others (seed 004 §2.3). Online channels widen participation and
cut management cost (seed 003 §3.6).

What it changes, in four parts (each can be switched off with a zero):

1. Online reporting. Residents who are ``online`` take up the platform with
   chance ``uptake``. For them reporting from a phone removes most of the
   time cost of reporting offline (``online_cost_cut`` of the cost the
   employed bear, ``residents.offline_report_cost_employed``) and makes
   reporting easier for everyone (``online_ease_gain``): their
   ``report_ease`` rises, most for the employed and the young, who are both
   online and short of time (seed 003 §3.6; seed 004 §1.3).
2. IoT sensors for power, gas and flooding (seed 002, 智能监管预警平台) in a
   share ``sensor_coverage`` of buildings, oldest first. An undiscovered
   safety problem of the sensor-detectable sort (``sensor_detectable_share``
   of safety problems) in a covered building raises an alarm the same day
   with chance ``sensor_detection_prob`` (``CHANNELS["sensor"]``). Sensors
   watch around the clock, so they act in ARISE, before residents and
   patrols look.
3. Shared data and the four-colour warning (四色预警, seed 004 §3.3): zones are
   graded red, orange, yellow and green by residents' complaints per
   resident over the last ``warning_window_days`` (quartiles within each
   community). Because the data sit in one shared store (一库汇聚、多端共用,
   seed 004 §3.3), data work can move between zones: the gridworkers of red
   zones hand ``patrol_shift`` of their administrative time (half as much in
   orange zones) to the workers of yellow and green zones, and patrol
   (and knock on doors) with it. Administrative hours in each community are
   unchanged; patrol effort moves to where complaints are. Shared data also
   cut the data-entry burden of everyone by ``data_admin_cut`` (seed 002).
4. Closed-loop referral (事件上报、联动处置、及时反馈, seed 004 §1.3): a big problem
   the core refers to a department travels through the platform, so the
   referral delay is cut by ``referral_delay_cut``.

Cost: the platform per community and the sensors per covered building, per
year.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS
from sim.model.problems import CHANNELS, ROUTED, UNDISCOVERED

SAFETY = PROBLEM_KINDS.index("safety")
MAX_ADMIN = 0.95


class DigitalPlatformParams(MechanismParams):
    uptake: float = param(0.7, unit="share of online residents", ge=0, le=1, source="assumption; seed 003 §3.6 (WeChat groups, apps)", description="Share of online residents who use the platform to report.")
    online_cost_cut: float = param(0.8, unit="share", ge=0, le=1, source="assumption; seed 003 §3.6 (online channels cut the cost of taking part)", description="Share of the offline reporting cost of the employed that reporting online removes.")
    online_ease_gain: float = param(0.3, unit="relative", ge=0, le=5, source="assumption; seed 004 §1.3 (event reporting on the platform)", description="Relative rise in report ease for platform users, on top of the removed cost.")
    sensor_coverage: float = param(0.3, unit="share of buildings", ge=0, le=1, source="assumption; seed 002 (IoT for power, gas and flooding)", description="Share of buildings with IoT sensors, oldest buildings first.")
    sensor_detectable_share: float = param(0.5, unit="share of safety problems", ge=0, le=1, source="assumption; seed 002 (power, gas and flooding hazards)", description="Share of safety problems a sensor can detect (power, gas, water).")
    sensor_detection_prob: float = param(0.9, unit="1/day", ge=0, le=1, source="assumption; seed 002 (24-hour monitoring)", description="Daily chance a sensor raises an alarm for a detectable problem in its building.")
    warning_window_days: int = param(30, unit="days", ge=1, le=365, source="assumption; seed 004 §3.3 (graded by complaint volume)", description="Window over which complaints are counted for the four-colour grade.")
    patrol_shift: float = param(0.3, unit="share of admin time", ge=0, le=0.9, source="assumption; seed 004 §3.3 (four-colour warning, shared data store)", description="Share of their administrative time red-zone gridworkers hand to yellow and green zones (half in orange zones).")
    data_admin_cut: float = param(0.1, unit="share of admin time", ge=0, le=1, source="assumption; seed 002 (door-to-door data entry), seed 004 §3.3 (一库汇聚、多端共用)", description="Relative cut in every gridworker's administrative share from shared data.")
    referral_delay_cut: float = param(0.5, unit="share", ge=0, le=1, source="assumption; seed 004 §1.3 (closed loop, response within 24 hours)", description="Relative cut in the delay of a referral to a department.")
    platform_cost_per_community: float = param(50000.0, unit="yuan/year", ge=0, le=1e8, source="assumption", description="Yearly cost of the platform, per community.")
    sensor_cost_per_building: float = param(1500.0, unit="yuan/year", ge=0, le=1e6, source="assumption", description="Yearly cost of the sensors of one building.")


class DigitalPlatform(Mechanism):
    name = "digital_platform"
    title = "一网统管 / 智慧社区"
    description = "Online reporting, IoT safety sensors, shared data with a four-colour warning steering patrols, faster referrals."
    sources = "seed 002; seed 003 §3.6; seed 004 §1.3, §3.3"
    Params = DigitalPlatformParams
    phases = (Phase.ARISE, Phase.ROUTE)
    route_priority = 80  # shortens the referrals the core makes afterwards

    def setup(self, model) -> None:
        p, R, g = self.params, model.residents, model.gridworkers
        # 1. online reporting
        self.users = R.online & (self.rng.random(R.n) < p.uptake)
        cost = (1 - R.report_ease[self.users]) * (1 - p.online_cost_cut)
        R.report_ease[self.users] = ((1 - cost) * (1 + p.online_ease_gain)).astype(np.float32)
        # 2. sensors in the oldest buildings
        covered = int(round(p.sensor_coverage * model.n_buildings))
        self.sensor = np.zeros(model.n_buildings, dtype=bool)
        self.sensor[np.argsort(-model.building_age, kind="stable")[:covered]] = True
        self.n_sensors = self.sensor.sum()
        self.daily_cost = (p.platform_cost_per_community * model.n_communities + p.sensor_cost_per_building * self.n_sensors) / 365
        self.seen = 0  # problems already sorted into sensor-detectable or not
        self.watched = np.zeros(0, dtype=np.int64)  # detectable safety problems in covered buildings, by id
        # 3. shared data: less data entry; four-colour shifts start from a neutral factor
        g.admin_share[:] = (g.admin_share * np.float32(1 - p.data_admin_cut)).astype(np.float32)
        self.factor = np.ones(g.n)
        self.zone_residents = np.maximum(np.bincount(model.resident_zone, minlength=model.n_zones), 1)
        # Zones are ranked within their community, so after sorting by community first the
        # grade of each sorted position is fixed: red (top quarter), orange, then yellow and green.
        c_sorted = np.sort(model.zone_community)
        first = np.searchsorted(c_sorted, c_sorted, side="left")
        rank = (np.arange(model.n_zones) - first + 0.5) / np.bincount(model.zone_community, minlength=model.n_communities)[c_sorted]
        red, orange = rank >= 0.75, (rank >= 0.5) & (rank < 0.75)
        self.relief_by_rank = np.where(red, p.patrol_shift, np.where(orange, p.patrol_shift / 2, 0.0))
        self.kept_by_rank, self.taker_by_rank = 1 - self.relief_by_rank, self.relief_by_rank == 0
        self.positions = np.arange(model.n_zones)
        # first_open at dawn of the last warning_window_days + 2 days: problems before the oldest
        # were closed, hence discovered if ever, before the window began (see _recent)
        self.first_open = deque(maxlen=p.warning_window_days + 2)
        self.yesterday = np.zeros(0, dtype=np.int64)
        self.department = np.zeros(0, dtype=bool)
        self.sensor_reports = 0
        self.referrals_sped = 0

    def act(self, model, phase: Phase) -> None:
        if phase is Phase.ARISE:
            self.spend(self.daily_cost)
            recent = self._recent(model)
            self._four_colour(model, recent)
            self._sensors(model)
        elif phase is Phase.ROUTE:
            self._speed_referrals(model)

    def _recent(self, model) -> np.ndarray:
        """Ids of problems discovered in the warning window; keeps those discovered yesterday.

        A problem is discovered only while open, at a time within the day of discovery,
        so one closed before the window began (an id below first_open back then) cannot be
        in it. Today's discoveries are timed today, so yesterday's, whose referrals the
        platform speeds in ROUTE, are known at dawn.
        """
        P, day = model.problems, model.day
        self.first_open.append(model.totals.first_open)
        lo = self.first_open[0]
        recent = lo + (P.discovered[lo : P.n] >= day - self.params.warning_window_days).nonzero()[0]
        d = P.discovered[recent]
        self.yesterday = recent[(d >= day - 1) & (d < day)]
        return recent

    def _four_colour(self, model, recent: np.ndarray) -> None:
        """Grade zones by recent complaints; move admin time from red to yellow/green zones."""
        p, g, n_zones = self.params, model.gridworkers, model.n_zones
        if p.patrol_shift == 0:
            return
        rate = np.bincount(model.building_zone[model.problems.building[recent]], minlength=n_zones) / self.zone_residents
        # rank of each zone within its community, 0 (fewest complaints) to 1 (most); ties broken at random
        order = np.lexsort((self.rng.random(n_zones), rate, model.zone_community))
        position = np.empty(n_zones, dtype=np.intp)
        position[order] = self.positions
        position = position[g.zone]  # each post's zone's place in that ranking
        relief, taker = self.relief_by_rank[position], self.taker_by_rank[position]
        base = g.admin_share / self.factor
        hours = g.hours * base
        # yellow and green zones take over, in each community, the admin hours red and orange zones hand over
        given = np.bincount(g.community, weights=hours * relief, minlength=model.n_communities)
        capacity = np.bincount(g.community, weights=hours * taker, minlength=model.n_communities)
        if min(capacity.tolist()) >= 1e-12:  # the usual case: every community has someone to hand over to
            factor = np.where(taker, 1 + (given / capacity)[g.community], self.kept_by_rank[position])
        else:
            extra = np.where(capacity > 0, given / np.maximum(capacity, 1e-12), 0.0)[g.community]
            factor = np.where(taker, 1 + extra, 1 - relief)
            factor = np.where(capacity[g.community] > 0, factor, 1.0)  # nobody to hand over to: no shift
        share = np.minimum(base * factor, MAX_ADMIN).astype(np.float32)
        g.admin_share[:] = share
        if base.min() >= 1e-12:
            self.factor = share / base
        else:
            self.factor = np.where(base > 0, share / np.maximum(base, 1e-12), 1.0)

    def _sensors(self, model) -> None:
        p, P = self.params, model.problems
        if not self.n_sensors or p.sensor_detection_prob == 0:
            return
        if self.seen < P.n:  # each new problem is or is not of a sensor-detectable sort, once
            detectable = self.rng.random(P.n - self.seen) < p.sensor_detectable_share
            new = self.seen + (P.kind[self.seen : P.n] == SAFETY).nonzero()[0]
            if len(new):  # safety problems are a few a week
                new = new[detectable[new - self.seen] & self.sensor[P.building[new]]]
                self.watched = np.concatenate([self.watched, new])
            self.seen = P.n
        if len(self.watched) == 0:
            return
        # an undiscovered problem is open, so this is every open undiscovered one the sensors watch
        und = self.watched = self.watched[P.status[self.watched] == UNDISCOVERED]
        found = und[self.rng.random(len(und)) < p.sensor_detection_prob]
        if len(found):
            P.discover(found, model.time_in_day(P.arose[found]), CHANNELS["sensor"])
            self.sensor_reports += len(found)

    def _speed_referrals(self, model) -> None:
        """Referrals the core made yesterday travel through the platform: shorter delay."""
        p, P = self.params, model.problems
        if p.referral_delay_cut == 0 or model.day == 0 or len(self.yesterday) == 0:
            return
        ids = self.yesterday[P.status[self.yesterday] == ROUTED]
        if len(ids) == 0:
            return
        if len(self.department) != len(model.pools) + 1:
            # department pools by pool index (one spare entry, False, for "no pool")
            self.department = np.zeros(len(model.pools) + 1, dtype=bool)
            self.department[model.department_pool] = True
        d = P.discovered[ids]
        ids = ids[self.department[P.pool[ids]] & (P.ready[ids] > d)]
        if len(ids) == 0:
            return
        shorter = P.discovered[ids] + (P.ready[ids] - P.discovered[ids]) * (1 - p.referral_delay_cut)
        P.ready[ids] = np.maximum(shorter, model.day)  # it cannot have arrived before today
        self.referrals_sped += len(ids)

    def metrics(self) -> dict[str, float]:
        return {
            "platform_users": float(self.users.sum()),
            "sensor_buildings": float(self.n_sensors),
            "sensor_reports": float(self.sensor_reports),
            "referrals_sped": float(self.referrals_sped),
        }
