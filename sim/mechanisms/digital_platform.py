"""Digital platform (一网统管 / 智慧社区).

The problem it addresses: information is still collected door to door, data
are re-verified again and again, and fire and safety inspections are walked
on foot (seed 002); each gridworker knows only their own grid, with stale
data on the others (seed 004 §二.3). Online channels widen participation and
cut management cost (seed 003 §3.6).

What it changes, in four parts (each can be switched off with a zero):

1. Online reporting. Residents who are ``online`` take up the platform with
   chance ``uptake``. For them reporting from a phone removes most of the
   time cost of reporting offline (``online_cost_cut`` of the cost the
   employed bear, ``residents.offline_report_cost_employed``) and makes
   reporting easier for everyone (``online_ease_gain``): their
   ``report_ease`` rises, most for the employed and the young, who are both
   online and short of time (seed 003 §3.6; seed 004 §一.3).
2. IoT sensors for power, gas and flooding (seed 002, 智能监管预警平台) in a
   share ``sensor_coverage`` of buildings, oldest first. An undiscovered
   safety problem of the sensor-detectable sort (``sensor_detectable_share``
   of safety problems) in a covered building raises an alarm within a day
   with chance ``sensor_detection_prob`` (on the day it arises, pro rata to
   the part of the day it has existed; ``CHANNELS["sensor"]``). Sensors
   watch around the clock, so they act in ARISE, before residents and
   patrols look.
3. Shared data and the four-colour warning (四色预警, seed 004 §三.3): zones are
   graded red, orange, yellow and green by residents' complaints (their own
   reports and posted needs; not patrol, sensor, rider, informant or
   volunteer finds) over the last ``warning_window_days`` (quartiles within each
   community). Because the data sit in one shared store (一库汇聚、多端共用,
   seed 004 §三.3), data work can move between zones: the gridworkers of red
   zones hand ``patrol_shift`` of their administrative time (half as much in
   orange zones) to the workers of yellow and green zones, and patrol
   (and knock on doors) with it. Administrative hours in each community are
   unchanged; patrol effort moves to where complaints are. Shared data also
   cut the data-entry burden of everyone by ``data_admin_cut`` (seed 002).
4. Closed-loop referral (事件上报、联动处置、及时反馈, seed 004 §一.3): a big problem
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
COMPLAINTS = (CHANNELS["resident"], CHANNELS["order"])
"""Channels of residents' own complaints (诉求): what the four-colour warning counts,
not what patrols, sensors, riders or informants find."""
_IS_COMPLAINT = np.isin(np.arange(-1, max(CHANNELS.values()) + 1), COMPLAINTS)  # by channel code + 1
MAX_ADMIN = 0.95


class DigitalPlatformParams(MechanismParams):
    uptake: float = param(0.7, unit="share of online residents", ge=0, le=1, source="assumption; seed 003 §3.6 (WeChat groups, apps)", description="Share of online residents who use the platform to report.")
    online_cost_cut: float = param(0.8, unit="share", ge=0, le=1, source="assumption; seed 003 §3.6 (online channels cut the cost of taking part)", description="Share of the offline reporting cost of the employed that reporting online removes.")
    online_ease_gain: float = param(0.3, unit="relative", ge=0, le=5, source="assumption; seed 004 §一.3 (event reporting on the platform)", description="Relative rise in report ease for platform users, on top of the removed cost.")
    sensor_coverage: float = param(0.3, unit="share of buildings", ge=0, le=1, source="assumption; seed 002 (IoT for power, gas and flooding)", description="Share of buildings with IoT sensors, oldest buildings first.")
    sensor_detectable_share: float = param(0.5, unit="share of safety problems", ge=0, le=1, source="assumption; seed 002 (power, gas and flooding hazards)", description="Share of safety problems a sensor can detect (power, gas, water).")
    sensor_detection_prob: float = param(0.9, unit="1/day", ge=0, le=1, source="assumption; seed 002 (24-hour monitoring)", description="Daily chance a sensor raises an alarm for a detectable problem in its building.")
    warning_window_days: int = param(30, unit="days", ge=1, le=365, source="assumption; seed 004 §三.3 (graded by complaint volume)", description="Window over which complaints are counted for the four-colour grade.")
    patrol_shift: float = param(0.3, unit="share of admin time", ge=0, le=0.9, source="assumption; seed 004 §三.3 (four-colour warning, shared data store)", description="Share of their administrative time red-zone gridworkers hand to yellow and green zones (half in orange zones).")
    data_admin_cut: float = param(0.1, unit="share of admin time", ge=0, le=1, source="assumption; seed 002 (door-to-door data entry), seed 004 §三.3 (一库汇聚、多端共用)", description="Relative cut in every gridworker's administrative share from shared data.")
    referral_delay_cut: float = param(0.5, unit="share", ge=0, le=1, source="assumption; seed 004 §一.3 (closed loop, response within 24 hours)", description="Relative cut in the delay of a referral to a department.")
    platform_cost_per_community: float = param(50000.0, unit="yuan/year", ge=0, le=1e8, source="assumption", description="Yearly cost of the platform, per community.")
    sensor_cost_per_building: float = param(1500.0, unit="yuan/year", ge=0, le=1e6, source="assumption", description="Yearly cost of the sensors of one building.")


class DigitalPlatform(Mechanism):
    name = "digital_platform"
    title = "一网统管 / 智慧社区"
    description = "Online reporting, IoT safety sensors, shared data with a four-colour warning steering patrols, faster referrals."
    sources = "seed 002; seed 003 §3.6; seed 004 §一.3, §三.3"
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
        self.n_sensors = int(self.sensor.sum())
        self.daily_cost = (p.platform_cost_per_community * model.n_communities + p.sensor_cost_per_building * self.n_sensors) / 365
        self.seen = 0  # problems already sorted into sensor-detectable or not
        self.watched: list[int] = []  # detectable safety problems in covered buildings, by id
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
        self.settled = None  # inputs of the four-colour shift once it gives back what it was given
        self.hours_of, self.hours = None, g.hours  # the posts' hours, kept with the vacancies and contracts they follow from
        # complaints per zone over the warning window: a running sum of each day's discoveries by zone
        self.complaints = np.zeros(model.n_zones, dtype=np.int64)
        self.window: deque[np.ndarray] = deque()
        self.scan_from = 0  # no problem discovered since yesterday's dawn has a lower id
        self.yesterday = np.zeros(0, dtype=np.int64)  # problems discovered yesterday
        self.sensor_reports = 0
        self.referrals_sped = 0

    def act(self, model, phase: Phase) -> None:
        if phase is Phase.ARISE:
            p, P = self.params, model.problems
            self.spend(self.daily_cost)
            # the day's draws at once (as in two calls): tie-breaks of the zones, then sorts of the new problems
            ties = model.n_zones if p.patrol_shift else 0
            new = P.n - self.seen if self.n_sensors and p.sensor_detection_prob else 0
            draw = self.rng.random(ties + new)
            complaints = self._count_complaints(model)
            if ties:
                self._four_colour(model, complaints, draw[:ties])
            self._sensors(model, draw[ties:])
        elif phase is Phase.ROUTE:
            self._speed_referrals(model)

    def _count_complaints(self, model) -> np.ndarray:
        """Residents' complaints in the warning window, by zone; keeps the problems discovered yesterday.

        A problem is discovered once, while open, at a time within the day of discovery, so
        one discovered since yesterday's dawn has an id from the first problem open then on.
        Yesterday's discoveries join the window; those of the day it leaves behind drop out.
        A time rounded up to dawn (or later) is counted on its own until its day is yesterday.
        """
        P, day = model.problems, model.day
        d = P.discovered[self.scan_from : P.n]
        hits = (d >= day - 1).nonzero()[0]
        times, found = d[hits], self.scan_from + hits
        self.scan_from, late = model.totals.first_open, found[:0]
        if max(times.tolist(), default=day - 1) >= day:  # only a time rounded up to dawn: found again tomorrow
            late, found = found[times >= day], found[times < day]
            self.scan_from = min(self.scan_from, int(late[0]))
        self.yesterday = found
        counts = self._complaints_by_zone(model, found)
        self.complaints += counts
        if len(self.window) == self.params.warning_window_days:
            self.complaints -= self.window.popleft()
        self.window.append(counts)
        if len(late) == 0:
            return self.complaints
        return self.complaints + self._complaints_by_zone(model, late)

    def _complaints_by_zone(self, model, found: np.ndarray) -> np.ndarray:
        P = model.problems
        found = found[_IS_COMPLAINT[P.channel[found] + 1]]
        return np.bincount(model.building_zone[P.building[found]], minlength=model.n_zones)

    def _four_colour(self, model, complaints: np.ndarray, ties: np.ndarray) -> None:
        """Grade zones by recent complaints; move admin time from red to yellow/green zones.

        ``ties`` are the day's random tie-breaks, one per zone.
        """
        g = model.gridworkers
        # rank of each zone within its community, 0 (fewest complaints) to 1 (most); ties broken at random
        order = np.lexsort((ties, complaints / self.zone_residents, model.zone_community))
        zone_relief = np.empty(model.n_zones)  # of the workers of each zone, by that rank
        zone_relief[order] = self.relief_by_rank
        # The shift depends on the posts' relief, communities, hours and admin shares, and on the factors.
        # Once it gives back what it was given, it is skipped for as long as they stay as they are.
        hours_of = (g.vacant_until.tobytes(), g.contract_hours.tobytes())
        inputs = (zone_relief.tobytes(), g.zone.tobytes(), g.community.tobytes(), hours_of, g.admin_share.tobytes())
        if inputs == self.settled:
            return
        if self.hours_of != hours_of:
            self.hours_of, self.hours = hours_of, g.hours
        relief = zone_relief[g.zone]
        taker = relief == 0
        base = g.admin_share / self.factor
        hours = self.hours * base
        # yellow and green zones take over, in each community, the admin hours red and orange zones hand over
        given = np.bincount(g.community, weights=hours * relief, minlength=model.n_communities)
        capacity = np.bincount(g.community, weights=hours * taker, minlength=model.n_communities)
        if min(capacity.tolist()) >= 1e-12:  # the usual case: every community has someone to hand over to
            factor = np.where(taker, 1 + (given / capacity)[g.community], 1 - relief)
        else:
            extra = np.where(capacity > 0, given / np.maximum(capacity, 1e-12), 0.0)[g.community]
            factor = np.where(taker, 1 + extra, 1 - relief)
            factor = np.where(capacity[g.community] > 0, factor, 1.0)  # nobody to hand over to: no shift
        share = np.minimum(base * factor, MAX_ADMIN).astype(np.float32)
        g.admin_share[:] = share
        if np.minimum.reduce(base) >= 1e-12:
            self.factor = share / base
        else:
            self.factor = np.where(base > 0, share / np.maximum(base, 1e-12), 1.0)
        # settled if tomorrow's base is today's: the same inputs give the same shift
        self.settled = (*inputs[:-1], share.tobytes()) if (share / self.factor).tobytes() == base.tobytes() else None

    def _sensors(self, model, draw: np.ndarray) -> None:
        """Alarms for detectable safety problems in covered buildings.

        ``draw`` has one random number for each problem arisen since the last call, to sort it.
        """
        p, P = self.params, model.problems
        if not self.n_sensors or p.sensor_detection_prob == 0:
            return
        if len(draw):  # each new problem is or is not of a sensor-detectable sort, once
            kind = P.kind[self.seen : P.n].tolist()
            if SAFETY in kind:  # safety problems are a few a week
                safety = np.array([j for j, k in enumerate(kind) if k == SAFETY])
                new = self.seen + safety[draw[safety] < p.sensor_detectable_share]
                self.watched += new[self.sensor[P.building[new]]].tolist()
            self.seen = P.n
        if not self.watched:
            return
        # an undiscovered problem is open, so this is every open undiscovered one the sensors watch
        und = self.watched = [i for i, s in zip(self.watched, P.status[self.watched].tolist()) if s == UNDISCOVERED]
        draws = self.rng.random(len(und)).tolist()
        found = np.array([i for i, u in zip(und, draws) if u < model.chance_today(p.sensor_detection_prob, P.arose.item(i))], dtype=np.int64)
        if len(found):
            P.discover(found, model.time_in_day(P.arose[found], rng=self.rng), CHANNELS["sensor"])
            self.sensor_reports += len(found)

    def _speed_referrals(self, model) -> None:
        """Referrals the core made yesterday travel through the platform: shorter delay."""
        p, P, day = self.params, model.problems, model.day
        if p.referral_delay_cut == 0 or len(self.yesterday) == 0:
            return
        for i in self.yesterday[P.status[self.yesterday] == ROUTED].tolist():  # a handful: Python scalars
            if P.pool.item(i) in model.department_pools:
                t, ready = P.discovered.item(i), P.ready.item(i)
                if ready > t:
                    P.ready[i] = max(t + (ready - t) * (1 - p.referral_delay_cut), day)  # it cannot have arrived before today
                    self.referrals_sped += 1

    def metrics(self) -> dict[str, float]:
        return {
            "platform_users": float(self.users.sum()),
            "sensor_buildings": float(self.n_sensors),
            "sensor_reports": float(self.sensor_reports),
            "referrals_sped": float(self.referrals_sped),
        }
