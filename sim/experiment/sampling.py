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

    def value(self, x: float) -> int | float:
        """A sample in [low, high] as the parameter's own type."""
        if self.integer:
            return int(np.clip(np.rint(x), self.low, self.high))
        return float(np.clip(x, self.low, self.high))


class MissingSALib(RuntimeError):
    """Sobol' and Morris designs need the optional SALib package."""


def salib_problem(dims: list[Dimension]) -> dict[str, Any]:
    return {"num_vars": len(dims), "names": [d.path for d in dims], "bounds": [[d.low, d.high] for d in dims]}


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
    low = np.array([d.low for d in dims])
    high = np.array([d.high for d in dims])
    # Integers: stretch to [low - 0.5, high + 0.5] so every value gets an equal share.
    pad = np.array([0.5 if d.integer else 0.0 for d in dims])
    return _points(dims, low - pad + unit * (high - low + 2 * pad))


def sobol(dims: list[Dimension], n: int, second_order: bool, seed: int) -> list[dict[str, Any]]:
    """Saltelli's extension of Sobol' sequences: N(2D+2) points (N(D+2) without second order)."""
    sample = _salib("sobol").sample(salib_problem(dims), n, calc_second_order=second_order, seed=seed)
    return _points(dims, sample)


def morris(dims: list[Dimension], n: int, levels: int, seed: int) -> list[dict[str, Any]]:
    """Morris elementary effects: ``n`` trajectories of D+1 points each."""
    sample = _salib("morris").sample(salib_problem(dims), n, num_levels=levels, seed=seed)
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
