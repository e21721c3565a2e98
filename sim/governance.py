"""GovernanceModel: the assembled, public entry point.

It loads the scenario, builds the mechanisms it switches on and hands both to
the core. Every argument is keyword-only with a default, so Mesa's
``batch_run`` and SolaraViz can build it from keyword arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from sim import mechanisms
from sim.model import GovernanceCore
from sim.scenario import Scenario, load_scenario, with_overrides


def resolve_scenario(scenario: str | Path | Scenario | None, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A Scenario from a path, a Scenario object or None (the built-in baseline)."""
    if scenario is None:
        loaded = Scenario()
    elif isinstance(scenario, Scenario):
        loaded = scenario
    else:
        loaded = load_scenario(scenario)
    return with_overrides(loaded, overrides) if overrides else loaded


def _is_mesa_scenario(obj: Any) -> bool:
    return obj is not None and not isinstance(obj, (str, Path, Scenario)) and type(obj).__module__.startswith("mesa.")


class GovernanceModel(GovernanceCore):
    """Community governance (社区治理) in one community or a whole district.

    Args:
        scenario: a scenario file path, a loaded :class:`~sim.scenario.Scenario`,
            or None for the built-in baseline (one community, no mechanism).
        rng: seed or numpy Generator for the run (``seed`` is an alias).
        overrides: dotted parameter paths to change, e.g.
            ``{"gridworkers.admin_share": 0.2}``.
    """

    def __init__(
        self,
        *,
        scenario: str | Path | Scenario | None = None,
        rng: Any = None,
        seed: Any = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        if _is_mesa_scenario(scenario):
            # Mesa >= 3.5 gives every model its own mesa Scenario, and SolaraViz passes
            # it back on reset: it carries the seed, not a scenario file.
            rng = rng if rng is not None else getattr(scenario, "rng", None)
            scenario = None
        if rng is None and seed is not None:
            rng = int(seed) if isinstance(seed, str) and seed.strip().lstrip("-").isdigit() else seed
        config = resolve_scenario(scenario, overrides)
        self.config = config
        super().__init__(params=config.core(), mechanisms=mechanisms.build(config.mechanism_settings()), rng=rng)
