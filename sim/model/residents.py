"""Residents (居民), party members (党员) and delivery riders (小哥) as columns.

Decisions follow the civic voluntarism model (Verba, Schlozman and Brady
1995, *Voice and Equality*): people take part because they **can** (free
time, civic skills), because they **want to** (efficacy, belonging) and
because they were **asked** (mobilisation by gridworkers, party members,
neighbours). A threshold-style social influence term (Granovetter 1978) adds
the share of building neighbours active in the last 30 days. Outcomes feed
back: a problem resolved in one's building raises efficacy, an abandoned one
lowers it; taking part raises belonging.

Nothing here says "the elderly take part more": they do so because retired
residents have more free time, have lived longer in the neighbourhood
(belonging), and are at home when gridworkers knock (seed 003 §2.4 describes
the outcome, the model derives it).
"""

from __future__ import annotations

import numpy as np

from .params import PopulationParams, ResidentParams
from .views import RowAgent, column

YOUTH, WORKING_AGE, ELDERLY = 0, 1, 2
AGE_GROUPS = {"youth": YOUTH, "working_age": WORKING_AGE, "elderly": ELDERLY}
NEVER = -(10**6)
ACTIVE_WINDOW = 30  # days: "active in the last 30 days" (participation_rate)


class Residents:
    """The resident population: one row per adult, sorted by building."""

    def __init__(self, building: np.ndarray, rng: np.random.Generator, pop: PopulationParams, beh: ResidentParams, *, n_buildings: int) -> None:
        n = len(building)
        self.n = n
        self.beh = beh
        self.building = building.astype(np.int32)
        self.building_size = np.bincount(self.building, minlength=n_buildings)
        u = rng.random(n)
        self.age_group = np.where(u < pop.youth_share, YOUTH, np.where(u < 1 - pop.elderly_share, WORKING_AGE, ELDERLY)).astype(np.int8)
        lo = np.array([18, 35, 60])[self.age_group]
        hi = np.array([35, 60, 90])[self.age_group]
        self.age = (lo + rng.random(n) * (hi - lo)).astype(np.float32)
        elderly = self.age_group == ELDERLY
        self.employed = (~elderly) & (rng.random(n) < pop.employed_share)
        # Civic skills: schooling is higher among the young (assumption).
        skill_mean = np.array([0.65, 0.5, 0.35])[self.age_group]
        self.skills = np.clip(rng.normal(skill_mean, 0.15), 0, 1).astype(np.float32)
        self.efficacy = np.clip(rng.normal(0.4, 0.12, n), 0, 1).astype(np.float32)
        # Belonging grows with years lived in the neighbourhood (seed 003 §3.6).
        years_here = rng.random(n) * np.array([8.0, 18.0, 35.0])[self.age_group]
        self.belonging = np.clip(0.15 + 0.015 * years_here + rng.normal(0, 0.08, n), 0, 1).astype(np.float32)
        self.party_member = rng.random(n) < pop.party_member_share
        self.party_registered = self.party_member & (rng.random(n) < pop.party_registered_share)
        self.party_serving = self.party_registered & (rng.random(n) < pop.party_serving_share)
        self.rider = (self.age_group == YOUTH) & self.employed & (rng.random(n) < pop.rider_share / max(pop.youth_share * pop.employed_share, 1e-9))
        online_share = np.where(elderly, pop.online_share_elderly, pop.online_share_young)
        self.online = rng.random(n) < online_share
        free = np.where(elderly, beh.free_hours_retired, np.where(self.employed, beh.free_hours_employed, beh.free_hours_other))
        self.free_hours = free.astype(np.float32)
        # Who is at home in the daytime, when gridworkers knock (assumption).
        self.at_home = np.where(self.employed, 0.3, 1.0).astype(np.float32)
        self.report_ease = np.where(self.employed, 1 - beh.offline_report_cost_employed, 1.0).astype(np.float32)
        # Levers for mechanisms: an additive logit term and extra mobilisation.
        self.logit_bonus = np.zeros(n, dtype=np.float32)
        self.mobilised_until = np.full(n, NEVER, dtype=np.int32)
        self.last_active = np.full(n, NEVER, dtype=np.int32)
        self.reports = np.zeros(n, dtype=np.int32)
        self.deliberations = np.zeros(n, dtype=np.int32)
        self.volunteering = np.zeros(n, dtype=np.int32)
        self.willingness = np.zeros(n, dtype=np.float32)
        self.group_masks = {name: self.age_group == code for name, code in AGE_GROUPS.items()}
        self.group_sizes = np.bincount(self.age_group, minlength=len(AGE_GROUPS)).tolist()
        self._acts = 0  # bumps whenever someone acts, to invalidate cached shares
        # Who is active (acted in the last ACTIVE_WINDOW days) as of ``_active_day``:
        # kept up to date as people act and as days pass, rather than recomputed
        # each time someone asks.
        self._active_day = NEVER
        self._active = np.zeros(n, dtype=bool)
        self._occupied = np.flatnonzero(self.building_size)
        self._first_of_occupied = (np.cumsum(self.building_size) - self.building_size)[self._occupied]

    # -- state read by the rules -------------------------------------------------
    def active(self, day: int) -> np.ndarray:
        """Who acted in the last 30 days, as of ``day`` (read-only)."""
        if day != self._active_day:
            self._move_to(day)
        view = self._active.view()
        view.flags.writeable = False
        return view

    def _move_to(self, day: int) -> None:
        if day == self._active_day + 1:  # the usual case: a new day, some drop out of the window
            self._active[self.last_active == day - ACTIVE_WINDOW] = False
        else:
            self._active = self.last_active > day - ACTIVE_WINDOW
        self._active_day = day
        self._acts += 1  # the cached shares are keyed on acts

    def by_building(self, values: np.ndarray) -> np.ndarray:
        """Each resident's entry of a per-building array.

        Residents are sorted by building, so this is a repeat, several times
        faster than indexing with ``building``.
        """
        return np.repeat(values, self.building_size)

    def building_active_share(self, day: int) -> np.ndarray:
        """Share of each building's residents active in the last 30 days."""
        if getattr(self, "_share_key", None) != (day, self._acts):
            active = self.active(day)
            # residents are sorted by building: sum the mask over each (non-empty) building's slice
            count = np.zeros(len(self.building_size), dtype=np.int64)
            count[self._occupied] = np.add.reduceat(active, self._first_of_occupied, dtype=np.int64)
            self._share = (count / np.maximum(self.building_size, 1)).astype(np.float32)
            self._share_key = (day, self._acts)
        return self._share

    # -- the daily decision --------------------------------------------------------
    def update_willingness(self, day: int) -> np.ndarray:
        """Chance of saying yes when an opportunity to act comes (civic voluntarism logit)."""
        b = self.beh
        f32 = np.float32
        # Built as the negated logit (negation is exact, so this is bit for bit
        # 1 / (1 + exp(-logit))) in place, to spare temporaries.
        if not hasattr(self, "_fixed_neg_logit"):  # free time and skills never change
            fixed = self.free_hours * f32(b.weight_time / 8.0)
            fixed += f32(b.logit_intercept)
            fixed += self.skills * f32(b.weight_skills)
            self._fixed_neg_logit = -fixed
        neg = self._fixed_neg_logit.copy()
        neg -= self.efficacy * f32(b.weight_efficacy)
        neg -= self.belonging * f32(b.weight_belonging)
        neg -= self.by_building(self.building_active_share(day) * f32(b.weight_social))
        neg -= (self.mobilised_until >= day) * f32(b.weight_mobilised)
        neg -= self.party_serving * f32(b.weight_party_serving)
        neg -= self.logit_bonus
        with np.errstate(over="ignore"):  # exp overflows to inf for very unwilling residents: w = 0
            np.exp(neg, out=neg)
        neg += f32(1)
        self.willingness = np.reciprocal(neg, out=neg)
        return self.willingness

    def mark_active(self, rows: np.ndarray, day: int, counter: np.ndarray) -> None:
        if len(rows) == 0:
            return
        if day != self._active_day:
            self._move_to(day)
        self._acts += 1
        if len(rows) <= 4:
            # A handful of people (a report, an order): Python scalars beat a dozen numpy
            # calls. The arithmetic is the same float32; someone listed twice counts
            # twice but gains belonging once, as with the array update below.
            gain = self.beh.belonging_gain
            rows = rows.tolist()
            for r in rows:
                counter[r] += 1
            for r in dict.fromkeys(rows):
                self.last_active[r] = day
                self._active[r] = True
                b = self.belonging[r]
                self.belonging[r] = b + gain * (1 - b)
            return
        self.last_active[rows] = day
        self._active[rows] = True
        # one may act twice in a call (two reports); a 1 of the counter's own type keeps ufunc.at on its fast path
        np.add.at(counter, rows, counter.dtype.type(1))
        self.belonging[rows] += self.beh.belonging_gain * (1 - self.belonging[rows])

    def learn(self, resolved_by_building: np.ndarray, abandoned_by_building: np.ndarray, day: int) -> None:
        """Efficacy follows outcomes in one's building; belonging fades unless renewed."""
        if np.count_nonzero(resolved_by_building) or np.count_nonzero(abandoned_by_building):
            # n events of step lr compound to a step of 1 - (1 - lr)^n.
            keep = 1 - self.beh.efficacy_learning_rate
            gain = 1 - keep**resolved_by_building
            loss = 1 - keep**abandoned_by_building
            # eff + gain (1 - eff) - loss eff  ==  gain + eff (1 - gain - loss)
            self.efficacy *= self.by_building((1 - gain - loss).astype(np.float32))
            self.efficacy += self.by_building(gain.astype(np.float32))
        self.belonging *= np.float32(1 - self.beh.belonging_decay)


class Resident(RowAgent):
    """A resident (居民): a Mesa agent that reads its state from the population table."""

    age = column("residents", cast=float)
    age_group = column("residents", cast=int)
    building = column("residents", cast=int)
    employed = column("residents", cast=bool)
    skills = column("residents", cast=float)
    efficacy = column("residents", cast=float)
    belonging = column("residents", cast=float)
    party_member = column("residents", cast=bool)
    party_serving = column("residents", cast=bool)
    rider = column("residents", cast=bool)
    online = column("residents", cast=bool)
    last_active = column("residents", cast=int)

    @property
    def is_active(self) -> bool:
        return self.last_active > self.model.day - ACTIVE_WINDOW

    @property
    def cell(self):
        """The building (grid cell) the resident lives in."""
        return self.model.building_cell(self.building)
