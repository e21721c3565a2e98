"""Gridworkers (网格员) and community workers as a table of posts.

Each post belongs to a grid zone. Its holder has a tier and the six
capacities of seed 000 §2 (三层级六能力), a share of time lost to
administrative tasks (seed 002; seed 003 §2.5), burnout, and a quit hazard
that burnout raises (seed 003 §2.6). A holder who quits leaves the post
vacant for ``vacancy_days``; the replacement starts as a new worker with
entry-level capacities, so turnover erodes skills.
"""

from __future__ import annotations

import numpy as np

from .params import GridworkerParams
from .views import RowAgent, column

NEW, BACKBONE, LEADER = 0, 1, 2
TIERS = ("new", "backbone", "leader")
CAPACITIES = ("service", "mobilising", "project", "deliberation", "coordination", "innovation")
"""为民服务力, 动员居民力, 项目运营力, 协商议事力, 统筹协调力, 治理创新力 (seed 000 §2)."""
CAP = {name: i for i, name in enumerate(CAPACITIES)}
ENTRY_CAPACITY = 0.3
BACKBONE_AFTER_DAYS = 730  # "new: under two years" (seed 000 §2)


class Gridworkers:
    """All gridworker posts; ``filled`` says which have a holder today."""

    def __init__(self, zone: np.ndarray, community: np.ndarray, rng: np.random.Generator, p: GridworkerParams) -> None:
        n = len(zone)
        self.n = n
        self.p = p
        self.zone = zone.astype(np.int32)
        self.community = community.astype(np.int32)
        self.full_time = rng.random(n) < p.full_time_share
        self.tenure = (rng.exponential(p.mean_tenure_years * 365, n)).astype(np.int32)
        self.tier = np.where(self.tenure >= BACKBONE_AFTER_DAYS, BACKBONE, NEW).astype(np.int8)
        self.capacity = np.clip(
            ENTRY_CAPACITY + p.learning_per_year * self.tenure[:, None] / 365 + rng.normal(0, 0.05, (n, len(CAPACITIES))),
            0,
            1,
        ).astype(np.float32)
        self.admin_share = np.full(n, p.admin_share, dtype=np.float32)
        self.burnout = np.zeros(n, dtype=np.float32)
        self.vacant_until = np.full(n, -1, dtype=np.int32)
        self._set_contracts()
        self.quit_multiplier = np.ones(n, dtype=np.float32)  # lever for career support
        self.quits = 0
        self.hires = 0

    def make_leaders(self, posts: np.ndarray) -> None:
        self.tier[posts] = LEADER
        self.full_time[posts] = True
        self._set_contracts()

    def _set_contracts(self) -> None:
        """Hours and salary of each post, by full- or part-time contract."""
        self.contract_hours = np.where(self.full_time, self.p.hours_full_time, self.p.hours_part_time)
        self.salary = np.where(self.full_time, self.p.salary_full_time, self.p.salary_part_time)

    @property
    def filled(self) -> np.ndarray:
        return self.vacant_until < 0

    @property
    def hours(self) -> np.ndarray:
        return self.contract_hours * self.filled

    def free_hours(self) -> np.ndarray:
        """Hours a day left after administrative work."""
        return self.hours * (1 - self.admin_share)

    def patrol_hours(self) -> np.ndarray:
        return self.free_hours() * self.p.patrol_share

    def service_speed(self, capacity_effect: float) -> np.ndarray:
        """Work-days of service a day: service hours × skill."""
        hours = self.free_hours() * (1 - self.p.patrol_share)
        skill = np.maximum(0.1, 1 + capacity_effect * (self.capacity[:, CAP["service"]] - 0.5))
        return hours / self.p.hours_full_time * skill

    def daily(self, day: int, rng: np.random.Generator, hiring: np.random.Generator) -> np.ndarray:
        """Burnout, learning, promotion, quitting and replacement. Returns posts changed today.

        Hires draw from their own stream, so that one more or one fewer hire does not
        shift every later quit draw (paired comparisons stay paired).
        """
        p = self.p
        on = self.filled
        strain = np.maximum(0, self.admin_share - p.burnout_tolerance)
        self.burnout += on * (p.burnout_rate * strain * (1 - self.burnout) - p.burnout_recovery * self.burnout)
        self.tenure += on
        self.capacity += on[:, None] * (p.learning_per_year / 365) * (1 - self.capacity)
        self.tier[on & (self.tier == NEW) & (self.tenure >= BACKBONE_AFTER_DAYS)] = BACKBONE
        hazard = p.quit_rate / 365 * (1 + p.burnout_quit_factor * self.burnout) * self.quit_multiplier
        quit = (on & (rng.random(self.n) < hazard)).nonzero()[0]
        self.quits += len(quit)
        self.vacant_until[quit] = day + p.vacancy_days
        refill = (self.vacant_until == day).nonzero()[0]
        self._hire(refill, hiring)
        return np.concatenate([quit, refill]) if len(quit) or len(refill) else quit

    def _hire(self, posts: np.ndarray, rng: np.random.Generator) -> None:
        if len(posts) == 0:
            return
        self.hires += len(posts)
        self.vacant_until[posts] = -1
        self.tenure[posts] = 0
        self.burnout[posts] = 0
        self.tier[posts] = np.where(self.tier[posts] == LEADER, LEADER, NEW)
        self.capacity[posts] = np.clip(ENTRY_CAPACITY + rng.normal(0, 0.05, (len(posts), len(CAPACITIES))), 0, 1)


class Gridworker(RowAgent):
    """A gridworker (网格员) holding one post; replaced by a new agent on turnover."""

    zone = column("gridworkers", cast=int)
    community = column("gridworkers", cast=int)
    full_time = column("gridworkers", cast=bool)
    tier_code = column("gridworkers", "tier", cast=int)
    admin_share = column("gridworkers", cast=float)
    burnout = column("gridworkers", cast=float)
    tenure = column("gridworkers", cast=int)

    @property
    def tier(self) -> str:
        return TIERS[self.tier_code]

    @property
    def capacities(self) -> dict[str, float]:
        row = self.model.gridworkers.capacity[self.row]
        return {name: float(row[i]) for i, name in enumerate(CAPACITIES)}
