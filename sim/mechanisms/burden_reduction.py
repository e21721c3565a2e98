"""Burden reduction (减负增效 / 社区工作事项准入).

What it changes: an admission list (准入清单) stops departments from loading
administrative tasks, paperwork and inspections onto communities, so each
gridworker's ``admin_share`` falls by ``admin_cut`` (relative) once the list
takes effect. The hours freed go to patrol and service through the core's
own rules: more buildings visited, more problems found, faster service, and
less burnout (so less turnover).

Cost: the staff time to draw up and enforce the list, per community per year.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param


class BurdenReductionParams(MechanismParams):
    admin_cut: float = param(0.4, unit="share of admin time", ge=0, le=1, source="assumption; seed 002 and seed 003 §3.3 (admission list)", description="Relative cut in the administrative share of gridworkers' time.")
    start_day: int = param(0, unit="day", ge=0, le=36500, source="scenario choice", description="Day the admission list takes effect.")
    cost_per_community: float = param(20000.0, unit="yuan/year", ge=0, le=1e7, source="assumption", description="Yearly cost of running the admission list in one community.")


class BurdenReduction(Mechanism):
    name = "burden_reduction"
    title = "减负增效"
    description = "An admission list cuts the administrative share of gridworkers' time."
    sources = "seed 002; seed 003 §3.3"
    Params = BurdenReductionParams
    phases = (Phase.ARISE,)

    @classmethod
    def first_action_day(cls, params, core) -> int:
        """The day the admission list takes effect."""
        return params.start_day

    @classmethod
    def scheduled_days(cls, params, core, days: int) -> list[int]:
        """The day the admission list takes effect, if not the first."""
        return [params.start_day] if 0 < params.start_day < days else []

    def setup(self, model) -> None:
        self.daily_cost = self.params.cost_per_community * model.n_communities / 365

    def act(self, model, phase: Phase) -> None:
        if model.day < self.params.start_day:
            return
        if model.day == self.params.start_day:
            g = model.gridworkers
            g.admin_share[:] = (g.admin_share * np.float32(1 - self.params.admin_cut)).astype(np.float32)
        self.spend(self.daily_cost)
