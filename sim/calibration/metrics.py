"""The exact summary metric names a scenario's runs report, for checking files early.

The core's metrics are fixed; a mechanism adds ``<mechanism>.cost_yuan_per_year``
and the keys of its ``metrics()``, and only when it is switched on. Rather than
keep a second list, :func:`summary_metrics` builds the scenario (its
mechanisms and their settings) on a tiny world, runs one day and reads the
keys of ``summary()``: the names are those of a real run by construction.

Nothing here is calibration-specific: experiment files could check their
``metrics`` against each of their scenarios the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sim.experiment.spec import closest

if TYPE_CHECKING:
    from sim.scenario import Scenario

# Small enough that building it and running a day takes milliseconds.
TINY_WORLD = {"world.communities": 1, "world.zones": 1, "world.buildings_per_zone": 2, "world.residents": 50}


def summary_metrics(scenario: "Scenario") -> tuple[str, ...] | None:
    """Every summary metric a run of ``scenario`` reports (core and enabled mechanisms).

    None if the scenario cannot be built on a tiny world (then the caller
    falls back to a coarser check; the runs themselves will say what is wrong).
    """
    from sim.governance import GovernanceModel
    from sim.scenario import with_overrides

    try:
        model = GovernanceModel(scenario=with_overrides(scenario, TINY_WORLD), rng=0)
        model.step()
        return tuple(model.summary())
    except Exception:  # noqa: BLE001 - a probe only; a real run reports its own errors
        return None


def metric_problem(metric: str, names: Iterable[str], scenario: "Scenario") -> str | None:
    """Why ``metric`` is not among ``names`` (the scenario's summary metrics), or None if it is.

    The text reads on from "no summary metric 'x'": it names the mechanism
    that is switched off, or the closest name.
    """
    from sim.mechanisms import available

    names = list(names)
    if metric in names:
        return None
    prefix, dot, _ = metric.partition(".")
    if dot and prefix in available() and prefix not in scenario.enabled_mechanisms():
        return (
            f"in scenario {scenario.name!r}: mechanism '{prefix}' is switched off there, so its metrics are not computed "
            f'(switch it on with "mechanisms.{prefix}.enabled" = true under [overrides])'
        )
    guess = closest(metric, names)
    if guess is None and dot:  # a misspelt last part under a right prefix
        guess = closest(metric, [n for n in names if n.startswith(prefix + ".")])
    return f"in scenario {scenario.name!r}" + (f"; did you mean '{guess}'?" if guess else "")
