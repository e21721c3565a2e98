"""The explorer's model: what SolaraViz builds from its controls.

Mesa's SolaraViz rebuilds the model on *Reset* by calling the model class with
the current values of ``model_params`` as keyword arguments. The explorer
therefore needs a model class whose keyword arguments are the controls:
:class:`ExplorerModel` takes a scenario file, a seed, a few population
parameters and one ``mechanism_<name>`` switch per mechanism, turns them into
scenario overrides and builds an ordinary :class:`~sim.GovernanceModel`.

:func:`model_params` builds the matching controls for one scenario, with the
scenario's own values as defaults, and lists whatever mechanisms
:func:`sim.mechanisms.available` finds at run time.

Nothing here imports Solara, so the model can be built, pickled and tested
without the ``app`` extra.
"""

from __future__ import annotations

import math
import os
import zlib
from pathlib import Path
from typing import Any

from sim.governance import GovernanceModel
from sim.scenario import SCENARIO_DIR, Scenario, load_scenario

SCENARIO_ENV = "GOVSIM_APP_SCENARIO"
"""Environment variable through which ``govsim app SCENARIO`` names the first scenario."""

MECHANISM_PREFIX = "mechanism_"

# Controls for the main population parameters: keyword -> (dotted path, label, kind, step).
POPULATION_CONTROLS: dict[str, tuple[str, str, str, float]] = {
    "residents": ("world.residents", "Residents (adults)", "int", 0),
    "elderly_share": ("population.elderly_share", "Share aged 60+", "float", 0.01),
    "gridworkers_per_zone": ("gridworkers.per_zone", "Gridworkers per zone", "float", 0.1),
    "admin_share": ("gridworkers.admin_share", "Gridworkers' admin share of time", "float", 0.05),
}


# ---------------------------------------------------------------------- scenarios
def scenario_files(extra: str | Path | None = None) -> dict[str, Path]:
    """Scenario files to pick from, by short name: ``scenarios/*.toml`` plus ``extra``.

    Read from disk on every call, so files added while the app runs show up.
    """
    found = {p.stem: p.resolve() for p in sorted(SCENARIO_DIR.glob("*.toml"))}
    if extra is not None:
        extra = Path(extra).resolve()
        if extra not in found.values():
            found[extra.stem if extra.stem not in found else str(extra)] = extra
    return found


def initial_scenario() -> Path | None:
    """The scenario to show first: ``$GOVSIM_APP_SCENARIO``, else ``scenarios/baseline.toml``.

    None means the built-in baseline (no scenario directory at all).
    """
    named = os.environ.get(SCENARIO_ENV)
    if named:
        return Path(named).resolve()
    baseline = SCENARIO_DIR / "baseline.toml"
    return baseline.resolve() if baseline.is_file() else None


def scenario_label(path: str | Path | None) -> str:
    return "built-in baseline" if path is None else Path(path).stem


# ---------------------------------------------------------------------- the model
def parse_seed(seed: Any) -> int | None:
    """The seed from the seed box, which gives a string.

    ``"42"`` -> 42; an empty box -> None (Mesa draws a seed); any other text
    (``"-5"`` included: numpy takes no negative seed, and Mesa's Reset would
    put its traceback in place of the page) -> a stable number derived from
    it, so a word is a valid, repeatable seed.
    """
    if seed is None or (isinstance(seed, int) and seed >= 0):
        return seed
    if isinstance(seed, float) and seed.is_integer() and seed >= 0:
        return int(seed)
    text = str(seed).strip()
    if not text:
        return None
    try:
        if (number := int(text)) >= 0:
            return number
    except ValueError:
        pass
    return zlib.crc32(text.encode("utf-8"))


def _is_mesa_scenario(value: Any) -> bool:
    """Mesa >= 3.5 passes its own ``mesa.experimental.scenarios.Scenario`` as ``scenario=``."""
    return type(value).__module__.startswith("mesa.")


class ExplorerModel(GovernanceModel):
    """A :class:`~sim.GovernanceModel` built from the explorer's controls.

    Args:
        scenario_file: path of the scenario file; None is the built-in baseline.
        scenario_config: the scenario as already loaded from ``scenario_file``;
            when given, the file is not read again. The page passes the
            configuration it loaded, so *Reset* rebuilds exactly that scenario
            with the controls' values, even if the file has since been edited
            into an invalid state (which would otherwise put a traceback in
            place of the page). Reload the page to read an edited file.
        seed: the run's seed; the seed box gives text (see :func:`parse_seed`).
        residents, elderly_share, gridworkers_per_zone, admin_share: override
            the scenario's value when not None.
        **kwargs: ``mechanism_<name>=True/False`` switches a mechanism on or
            off. A ``scenario`` keyword that is Mesa's own scenario object
            (Mesa 3.5's SolaraViz adds one on reset) is ignored.

    The parameter is called ``scenario_file``, not ``scenario``, because Mesa
    3.5's SolaraViz overwrites a ``scenario`` keyword with a Mesa object.
    """

    def __init__(
        self,
        *,
        scenario_file: str | Path | None = None,
        scenario_config: Scenario | None = None,
        seed: Any = "1",
        residents: int | None = None,
        elderly_share: float | None = None,
        gridworkers_per_zone: float | None = None,
        admin_share: float | None = None,
        **kwargs: Any,
    ) -> None:
        scenario = kwargs.pop("scenario", None)
        if scenario is not None and not _is_mesa_scenario(scenario) and scenario_file is None:
            scenario_file = scenario
        overrides: dict[str, Any] = {}
        given = {"residents": residents, "elderly_share": elderly_share, "gridworkers_per_zone": gridworkers_per_zone, "admin_share": admin_share}
        for key, value in given.items():
            if value is not None:
                path, _, kind, _ = POPULATION_CONTROLS[key]
                overrides[path] = int(value) if kind == "int" else float(value)
        for key, value in kwargs.items():
            if not key.startswith(MECHANISM_PREFIX):
                raise TypeError(f"ExplorerModel got an unexpected keyword argument {key!r}")
            overrides[f"mechanisms.{key[len(MECHANISM_PREFIX):]}.enabled"] = bool(value)
        self.scenario_file = None if scenario_file is None else str(scenario_file)
        self.seed_text = "" if seed is None else str(seed)
        config = scenario_config if scenario_config is not None else _load(scenario_file)
        super().__init__(scenario=config, rng=parse_seed(seed), overrides=overrides or None)


def _load(scenario_file: str | Path | Scenario | None) -> Scenario | None:
    if scenario_file is None or isinstance(scenario_file, Scenario):
        return scenario_file
    return load_scenario(scenario_file)


# ---------------------------------------------------------------------- controls
def _bounds(dotted: str) -> tuple[float | None, float | None]:
    from sim.registry import by_path

    info = by_path()[dotted]
    return info.low, info.high


def _get(config: Scenario, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _residents_slider(value: int) -> dict[str, Any]:
    """Residents from about a tenth to twice the scenario's, in about 100 steps of a round size."""
    low, high = _bounds("world.residents")
    step = 10 ** max(0, math.floor(math.log10(max(value, 1) / 50)))
    low = max(int(low or 1), value // 10)
    lo = value - (value - low) // step * step  # steps pass through the value (see _float_slider)
    hi = lo + (min(int(high or 2 * value), 2 * value) - lo) // step * step
    return {"type": "SliderInt", "value": value, "min": lo, "max": max(hi, value), "step": step}


def _decimals(x: float) -> int:
    text = repr(float(x))
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def _float_slider(value: float, low: float, high: float, step: float) -> dict[str, Any]:
    """A float slider that keeps the scenario's value exactly.

    The browser's slider (Vuetify) reports a value as soon as it is shown,
    snapped to ``min + k * step`` and rounded to the decimals of ``step``;
    Mesa then uses that value on Reset. A scenario's 4.1441 gridworkers per
    zone would silently become 4.1 (2,304 posts instead of 2,329 in the
    district). So the step is refined to the value's decimals when it has
    more, and the grid of steps is anchored on the value.
    """
    if _decimals(value) > _decimals(step):
        step = 10.0 ** -min(_decimals(value), 6)
    below = math.floor((value - low) / step + 1e-9)
    lo = round(value - below * step, 10)
    hi = round(lo + math.floor((max(high, value) - lo) / step + 1e-9) * step, 10)
    return {"type": "SliderFloat", "value": value, "min": lo, "max": hi, "step": step}


def model_params(scenario_file: str | Path | None, config: Scenario | None = None) -> dict[str, Any]:
    """Mesa ``model_params`` for one scenario: its values are the defaults.

    ``config`` is the scenario as loaded already (the page's first model's);
    without it the file is read. Fixed entries: ``scenario_file`` and
    ``scenario_config`` (so *Reset* does not read the file again). Controls:
    the seed box, sliders for the population parameters and a checkbox for
    every mechanism available now.
    """
    from sim.mechanisms import available

    if config is None:
        config = _load(scenario_file) or Scenario()
    params: dict[str, Any] = {
        "scenario_file": None if scenario_file is None else str(scenario_file),
        "scenario_config": config,
        "seed": {"type": "InputText", "value": "1", "label": "Seed"},
    }
    for key, (dotted, label, _kind, step) in POPULATION_CONTROLS.items():
        value = _get(config, dotted)
        if key == "residents":
            control = _residents_slider(int(value))
        else:
            low, high = _bounds(dotted)
            low = 0.0 if low is None else float(low)
            high = max(float(value), float(high) if high is not None else 2 * float(value))
            if key == "elderly_share":
                high = min(high, round(1.0 - config.population.youth_share, 2))  # youth + elderly <= 1
            if key == "gridworkers_per_zone":
                high = min(high, max(10.0, 2 * float(value)))  # the registry allows 30
            control = _float_slider(float(value), low, high, step)
        params[key] = {**control, "label": label}
    enabled = set(config.enabled_mechanisms())
    for name, cls in available().items():
        title = f"{cls.title} · {name}" if cls.title else name
        params[f"{MECHANISM_PREFIX}{name}"] = {"type": "Checkbox", "value": name in enabled, "label": title}
    return params
