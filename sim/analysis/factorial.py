"""Which mechanisms of a preset carry its gain: a two-level factorial analysis.

An experiment whose grid sweep switches mechanisms on and off
(``"mechanisms.<name>.enabled" = [false, true]`` for each) is a full 2^k
factorial. Each response is regressed on the factors coded -1 (off) / +1
(on), their two-way products, and one dummy per replication: replications
share their seed across cells, so the replication is a block and its dummy
removes the noise all cells of that replication share.

With +-1 coding a coefficient b is half the change from off to on, so

- main effect of A     = 2 b_A: the average change when A is switched on,
  over all settings of the other mechanisms;
- synergy of A and B   = 4 b_AB = (both - B only) - (A only - neither):
  what the two add together beyond the sum of what each adds alone
  (averaged over the others); negative means they overlap.

Intervals are t intervals from the residual variance. If the design cannot
separate the interactions (a fraction too small), only main effects are fitted.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .results import Arm, Results
from .stats import LEVEL

SWITCH = "mechanisms.{}.enabled"


@dataclass(frozen=True)
class Design:
    scenario: str
    factors: list[str]  # mechanism names, in sweep order
    columns: list[str]  # the swept dotted paths, same order

    def coded(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The factors of each run as -1 / +1 columns named by mechanism."""
        return pd.DataFrame({f: np.where(frame[c].astype(bool), 1.0, -1.0) for f, c in zip(self.factors, self.columns)}, index=frame.index)


def detect(results: Results) -> Design | None:
    """The factorial design of an experiment, if its sweep is one (else None)."""
    sweep = results.sweep or {}
    params = sweep.get("parameters") or {}
    if sweep.get("method") != "grid" or len(params) < 2:
        return None
    factors = []
    for path, values in params.items():
        parts = path.split(".")
        if len(parts) != 3 or parts[0] != "mechanisms" or parts[2] != "enabled" or sorted(map(bool, values)) != [False, True]:
            return None
        factors.append(parts[1])
    if not all(c in results.runs for c in params):
        return None
    return Design(results.scenarios[0], factors, list(params))


def cells(results: Results, design: Design) -> dict[str, Arm]:
    """The arms a decision-maker compares: all off, each mechanism alone, all on."""
    out: dict[str, Arm] = {}
    for arm in results.arms:
        if arm.scenario != design.scenario:
            continue
        on = [f for f, c in zip(design.factors, design.columns) if bool(dict(arm.setting).get(c))]
        if not on:
            out["all_off"] = arm
        elif len(on) == len(design.factors):
            out["all_on"] = arm
        elif len(on) == 1:
            out[on[0]] = arm
    return out


def kept_on(results: Results, design: Design) -> list[str]:
    """The scenario's other mechanisms, switched on in every cell (manifest's resolved config)."""
    config = (results.manifest.get("configs") or {}).get(design.scenario) or {}
    mechanisms = config.get("mechanisms") or {}
    return [m for m, c in mechanisms.items() if isinstance(c, dict) and c.get("enabled") and m not in design.factors]


def analyse(frame: pd.DataFrame, factors: list[str], response: str, block: str | None = "replication", level: float = LEVEL) -> pd.DataFrame:
    """Main effects and pairwise synergies of ``response``; ``frame`` has +-1 factor columns.

    Returns one row per term: term, kind ("main" | "synergy"), factors (tuple),
    effect, low, high, and the residual degrees of freedom.
    """
    data = frame[np.isfinite(frame[response].astype(float))]
    y = data[response].to_numpy(dtype=float)
    mains = [data[f].to_numpy(dtype=float) for f in factors]
    pairs = list(itertools.combinations(range(len(factors)), 2))
    blocks = _block_columns(data, block)
    terms = [("main", (factors[i],), 2.0) for i in range(len(factors))]
    X = np.column_stack([np.ones(len(y)), *mains, *blocks])
    with_pairs = np.column_stack([X, *(mains[i] * mains[j] for i, j in pairs)]) if pairs else X
    if np.linalg.matrix_rank(with_pairs) == with_pairs.shape[1] and len(y) > with_pairs.shape[1]:
        X = with_pairs
        terms += [("synergy", (factors[i], factors[j]), 4.0) for i, j in pairs]
    beta, _, _, _ = np.linalg.lstsq(X, y, rcond=None)
    df = len(y) - X.shape[1]
    residual = y - X @ beta
    sigma2 = float(residual @ residual) / df if df > 0 else math.nan
    cov = sigma2 * np.linalg.pinv(X.T @ X)
    t = float(stats.t.ppf(0.5 + level / 2, df)) if df > 0 else math.nan
    # Columns: intercept, mains, blocks, then pairs.
    index = [1 + i for i in range(len(factors))] + [1 + len(factors) + len(blocks) + k for k in range(len(terms) - len(factors))]
    rows = []
    for (kind, names, factor), col in zip(terms, index):
        effect, se = factor * beta[col], factor * math.sqrt(max(cov[col, col], 0.0))
        rows.append({"term": " × ".join(names), "kind": kind, "factors": names, "effect": effect, "low": effect - t * se, "high": effect + t * se, "df": df})
    return pd.DataFrame(rows)


def _block_columns(data: pd.DataFrame, block: str | None) -> list[np.ndarray]:
    """Sum-to-zero dummies of the block (first level is the reference), none if one level."""
    if not block or block not in data:
        return []
    levels = sorted(data[block].unique())
    if len(levels) < 2:
        return []
    values = data[block].to_numpy()
    return [np.where(values == lv, 1.0, 0.0) - np.where(values == levels[0], 1.0, 0.0) for lv in levels[1:]]


def contributions(results: Results, design: Design, responses: list[str]) -> pd.DataFrame:
    """The factorial analysis of each response over the done runs of the design's scenario."""
    done = results.done[results.done["scenario"] == design.scenario]
    frame = pd.concat([design.coded(done), done[["replication", *[r for r in responses if r in done]]]], axis=1)
    out = []
    for response in responses:
        if response in frame and frame[response].notna().sum() > len(design.factors) + 1:
            table = analyse(frame, design.factors, response)
            table.insert(0, "metric", response)
            out.append(table)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
