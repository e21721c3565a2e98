"""Sweep points: grid (cartesian product), Latin hypercube, Sobol' and Morris.

Each function returns a list of points, a point being ``{dotted path: value}``.
Sampled designs are drawn from the experiment's base seed, so the same file
always gives the same points, and the points keep the sampler's order (the
sensitivity analysis of Sobol' and Morris designs depends on it).
"""

from __future__ import annotations

import importlib
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Dimension:
    """One swept parameter of a sampled design."""

    path: str
    low: float
    high: float
    integer: bool = False

    @property
    def sampled_bounds(self) -> tuple[float, float]:
        """The range a design draws from: an integer's is widened by half a unit
        at each end, so that after rounding every whole value gets an equal share."""
        pad = 0.5 if self.integer else 0.0
        return self.low - pad, self.high + pad

    def value(self, x: float) -> int | float:
        """A sample in [low, high] as the parameter's own type."""
        if self.integer:
            return int(np.clip(np.rint(x), self.low, self.high))
        return float(np.clip(x, self.low, self.high))


class MissingSALib(RuntimeError):
    """Sobol' and Morris designs need the optional SALib package."""


def salib_problem(dims: list[Dimension], *, widen_integers: bool = True) -> dict[str, Any]:
    """SALib's problem definition; Morris keeps integers' own bounds (see ``morris_grid_problem``)."""
    bounds = [list(d.sampled_bounds) if widen_integers else [d.low, d.high] for d in dims]
    return {"num_vars": len(dims), "names": [d.path for d in dims], "bounds": bounds}


def morris_grid_problem(dim: Dimension, levels: int) -> str | None:
    """Why Morris steps of an integer parameter would not be whole numbers, or None.

    The Morris grid has ``levels`` values from low to high and steps of
    levels / 2 grid intervals; the model runs at rounded values while the
    elementary effect divides by the nominal step, so a step that rounding
    changes distorts the effect.
    """
    if not dim.integer:
        return None
    whole = float(dim.low).is_integer() and float(dim.high).is_integer() and (dim.high - dim.low) % (levels - 1) == 0
    if whole and levels % 2 == 0:
        return None
    k = levels - 1
    return (
        f"'{dim.path}' takes whole numbers, and a Morris design with levels = {levels} would step it by fractions that rounding distorts; "
        f"use an even 'sweep.levels' and whole bounds {k} or a multiple of {k} apart (e.g. {{ low = {int(dim.low)}, high = {int(dim.low) + k * max(1, round((dim.high - dim.low) / k))} }})"
    )


def _salib(module: str):
    try:
        return importlib.import_module(f"SALib.sample.{module}")
    except ImportError:
        raise MissingSALib(
            f"the {module} design needs SALib, an optional dependency: pip install 'govsim[sensitivity]' (or pip install 'SALib>=1.5')"
        ) from None


def grid(values: dict[str, list]) -> list[dict[str, Any]]:
    """Every combination of the listed values, first parameter slowest."""
    paths = list(values)
    return [dict(zip(paths, combo)) for combo in itertools.product(*(values[p] for p in paths))]


def _points(dims: list[Dimension], samples: np.ndarray) -> list[dict[str, Any]]:
    return [{d.path: d.value(x) for d, x in zip(dims, row)} for row in samples]


def lhs(dims: list[Dimension], n: int, seed: int) -> list[dict[str, Any]]:
    """Latin hypercube: ``n`` points, each parameter's range cut into ``n`` strata."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(dims), seed=np.random.default_rng(seed)).random(n)
    low, high = np.array([d.sampled_bounds for d in dims]).T
    return _points(dims, low + unit * (high - low))


SOBOL_RELIABLE_SAMPLES = 32
"""Fewer Sobol' base samples than this give indices that can be far off while their
confidence intervals look tight (SALib 1.6, y = x₀ with four inputs: the total index of
x₀ came out 1.5–2.0 at N = 4 and 8, 1.05–1.12 at 16, 1.00–1.10 from 32)."""


def small_sobol_warning(n: int) -> str | None:
    """The warning for a Sobol' design of ``n`` base samples, or None if it is large enough."""
    if n >= SOBOL_RELIABLE_SAMPLES:
        return None
    return (f"Sobol' indices from {n} base samples can be far off while their confidence intervals look tight "
            f"(the total index of a parameter that is the whole output came out 1.5–2.0 at 4 or 8); use {SOBOL_RELIABLE_SAMPLES} or more")


def sobol(dims: list[Dimension], n: int, second_order: bool, seed: int) -> list[dict[str, Any]]:
    """Saltelli's extension of Sobol' sequences: N(2D+2) points (N(D+2) without second order)."""
    sample = _salib("sobol").sample(salib_problem(dims), n, calc_second_order=second_order, seed=seed)
    return _points(dims, sample)


def morris(dims: list[Dimension], n: int, levels: int, seed: int) -> list[dict[str, Any]]:
    """Morris elementary effects: ``n`` trajectories of D+1 points each."""
    sample = _salib("morris").sample(salib_problem(dims, widen_integers=False), n, num_levels=levels, seed=seed)
    return _points(dims, sample)


def point_count(method: str, n: int, d: int, second_order: bool = True) -> int:
    """How many points a sampled design yields, without drawing it."""
    if method == "lhs":
        return n
    if method == "sobol":
        return n * (2 * d + 2 if second_order else d + 2)
    if method == "morris":
        return n * (d + 1)
    raise ValueError(method)
