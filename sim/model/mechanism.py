"""The daily phases and the small protocol every mechanism implements.

The core owns the schedule; a mechanism is a plug-in that declares in which
phases it acts and is called there with the model. The core never imports
``sim.mechanisms``: it receives mechanism instances from whoever assembles the
model (see :mod:`sim.governance`).
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .params import Section, param

if TYPE_CHECKING:  # pragma: no cover
    from .core import GovernanceCore
    from .params import CoreParams


class Phase(str, Enum):
    """One day, in this order. Core work first, then mechanisms, except ROUTE.

    In ROUTE mechanisms act first, in order of ``route_priority`` then name, so
    they can claim newly discovered problems (send them to deliberation or to a
    department); the core's default routing then takes whatever is left. In
    other phases mechanisms act in alphabetical order of their names.
    """

    ARISE = "arise"
    DISCOVER = "discover"
    ROUTE = "route"
    SERVE = "serve"
    DECIDE = "decide"
    PERIODIC = "periodic"


class MechanismParams(Section):
    """Base of every mechanism's parameters; ``enabled`` switches it on."""

    enabled: bool = param(False, unit="switch", source="scenario choice", description="Whether the mechanism is switched on.")


class Mechanism:
    """A governance mechanism as a plug-in.

    Subclasses set ``name``, ``title`` (Chinese term), ``description``,
    ``sources``, ``Params`` and ``phases``, and implement ``setup`` and
    ``act``. Money is booked with ``spend(yuan)``; the summary reports it as
    ``<name>.cost_yuan_per_year``.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    sources: ClassVar[str] = ""
    Params: ClassVar[type[MechanismParams]] = MechanismParams
    phases: ClassVar[tuple[Phase, ...]] = ()
    route_priority: ClassVar[int] = 100
    """Order of claiming problems in ROUTE (lower first): which route a problem
    takes when several mechanisms could claim it is a modelling decision."""

    def __init__(self, params: MechanismParams) -> None:
        self.params = params
        self.cost_yuan = 0.0
        # The mechanism's own random stream, set by the model before ``setup``:
        # draws here never shift the draws of the core or of other mechanisms.
        self.rng: np.random.Generator = np.random.default_rng(0)

    def setup(self, model: "GovernanceCore") -> None:
        """Called once, after the world is built and before the first day."""

    def act(self, model: "GovernanceCore", phase: Phase) -> None:
        """Called every day in each phase listed in ``phases``."""

    def spend(self, yuan: float) -> None:
        """Book money this mechanism costs (points paid, grants, staff time)."""
        self.cost_yuan += float(yuan)

    def metrics(self) -> dict[str, float]:
        """Extra summary metrics, prefixed with the mechanism name by the core."""
        return {}

    @classmethod
    def first_action_day(cls, params: MechanismParams, core: "CoreParams") -> int | None:
        """The first day (0: the first simulated) on which the mechanism does what it is for.

        A run that ends before it measures nothing of the mechanism, so planners
        are warned (``Scenario.unseen_within``). None: never, with these
        settings. Mechanisms that act on a schedule (a yearly contest, a
        quarterly round) override this; the rest act from the first day.
        """
        return 0

    @classmethod
    def scheduled_days(cls, params: MechanismParams, core: "CoreParams", days: int) -> list[int]:
        """Days before ``days`` on which the mechanism acts on a schedule (a drill, a contest,
        a training session, an assessment round), where a daily series may step: the report
        marks them. Mechanisms that act every day, or only in response to events, have none."""
        return []


__all__ = ["Phase", "Mechanism", "MechanismParams"]
