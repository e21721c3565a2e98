"""Validation against the seeds' claims (docs/ODD.md §1; the seed documents: docs/sources.md).

Each of the six patterns the seeds describe is a comparison of two
conditions, A and B, run on the same seeds. The model draws every process
from its own named random stream, so switching a condition leaves the other
draws alone and the paired difference B − A is sharp (common random
numbers). A check holds when the 95% confidence interval of the paired
difference (t distribution) lies wholly on the side the seeds claim; a
"level" check holds when the 95% interval of condition A's mean lies wholly
on the claimed side of a stated threshold.

    python -m sim.validation                 # table + figures in docs/figures/validation/
    python -m sim.validation --quick         # fewer replications
    python -m sim.validation --out DIR --replications 20 --jobs 2

``tests/validation/test_patterns.py`` runs the same patterns, smaller.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BASELINE_WORLD: dict[str, Any] = {}
"""The baseline community as it is (6,000 adults, 7 zones, 84 buildings)."""

SMALL_WORLD: dict[str, Any] = {"world.residents": 3500, "world.zones": 4, "world.buildings_per_zone": 12}
"""A smaller community with the baseline's densities (residents per building, gridworkers per resident)."""

FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures" / "validation"


# ---------------------------------------------------------------- measures
def measure(model) -> dict[str, float]:
    """The run's summary plus the few extra quantities the patterns need.

    ``*_late`` metrics average a daily series over the second half of the run,
    which is steadier than its last day.
    """
    from sim.model.residents import ELDERLY, NEVER

    out = {k: float(v) for k, v in model.summary().items() if isinstance(v, (int, float, np.floating, np.integer))}
    R = model.residents
    active = R.active(model.day)
    out["elderly_share_of_active"] = float((R.age_group[active] == ELDERLY).mean()) if active.any() else math.nan
    ever = R.last_active > NEVER
    acts = R.reports + R.deliberations + R.volunteering
    months = max(model.day + 1, 1) / 30
    out["acts_per_participant_month"] = float(acts[ever].sum() / max(ever.sum(), 1) / months)
    out["party_serving_share"] = float(R.party_serving.sum() / max(R.party_member.sum(), 1))
    out["enterprise_active_share"] = float(np.mean([e.active for e in model.enterprises])) if model.enterprises else math.nan
    for key in ("participation_rate", "participation_rate_youth", "party_member_active_rate"):
        series = model.datacollector.model_vars[key]
        out[f"{key}_late"] = float(np.nanmean(series[len(series) // 2 :]))
    out["activities_per_month"] = float(np.mean(model.activity_supply) * model.params.committee.activities_per_month)
    return out


# ---------------------------------------------------------------- patterns
@dataclass(frozen=True)
class Check:
    """One claim about one metric.

    ``expect`` is ``"up"`` / ``"down"`` (B − A > 0 / < 0, paired) or
    ``"above"`` / ``"below"`` (condition A's mean against ``threshold``).
    """

    metric: str
    label: str
    expect: str
    threshold: float | None = None
    required: bool = True  # False: reported, but too small an effect for the test suite to assert


@dataclass(frozen=True)
class Pattern:
    key: str
    claim: str
    source: str
    a_label: str
    b_label: str
    checks: tuple[Check, ...]
    a: dict[str, Any] = field(default_factory=dict)
    b: dict[str, Any] = field(default_factory=dict)
    days: int = 365


MOBILISATION = {
    "mechanisms.party_network.enabled": True,
    "mechanisms.volunteer_teams.enabled": True,
    "mechanisms.points_incentive.enabled": True,
}

ENTERPRISES = {
    # seed 004 §一.1: 190 units drawn into 8 pilot communities (about 24 each); the
    # registry default of 4 a community leaves the share active too coarse to read.
    "organisations.enterprises_per_community": 12.0,
    "mechanisms.enterprise_cobuilding.enabled": True,
}

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        key="1_elderly_shallow",
        claim="Without mobilisation, participants are mostly elderly and participation is shallow",
        source="seed 003 §2.4",
        a_label="no mobilisation (baseline)",
        b_label="party network + volunteer teams + points",
        b=MOBILISATION,
        days=180,
        checks=(
            Check("elderly_share_of_active", "elderly share of active residents", "above", 0.5),
            Check("acts_per_participant_month", "acts per participant per month", "below", 1.0),
            Check("elderly_share_of_active", "elderly share of active residents", "down"),
            Check("participation_rate_youth_late", "youth participation rate (2nd half)", "up"),
            Check("acts_per_participant_month", "acts per participant per month", "up"),
        ),
    ),
    Pattern(
        key="2_party_members",
        claim="Registered party members without assessment serve little",
        source="seed 004 §二.1",
        a_label="no assessment (baseline)",
        b_label="party-member assessment",
        b={"mechanisms.party_assessment.enabled": True},
        days=365,
        checks=(
            Check("party_serving_share", "share of members serving", "below", 0.25),
            Check("party_serving_share", "share of members serving", "up"),
            Check("party_member_active_rate_late", "party members active (2nd half)", "up"),
        ),
    ),
    Pattern(
        key="3_big_problems",
        claim="Without a route to departments, big problems stay beyond the community's reach",
        source="seed 004 §二.2",
        a_label="ordinary referral (baseline)",
        b_label="whistle and report",
        b={"mechanisms.whistle_escalation.enabled": True},
        days=365,
        checks=(
            Check("resolution_rate_big", "big problems resolved", "below", 0.5),
            Check("resolution_rate_big", "big problems resolved", "up"),
        ),
    ),
    Pattern(
        key="4_admin_burden",
        claim="Administrative burden crowds out service time and lowers effectiveness",
        source="seed 002; seed 003 §2.5",
        a_label="admin share 0.2",
        b_label="admin share 0.7",
        a={"gridworkers.admin_share": 0.2},
        b={"gridworkers.admin_share": 0.7},
        days=365,
        checks=(
            Check("patrol_hours_per_gridworker_day", "patrol hours per gridworker-day", "down"),
            Check("median_resolution_days", "median days to resolution", "up"),
            Check("resolution_rate", "problems resolved", "down", required=False),
            Check("satisfaction", "residents' rating", "down"),
            Check("participation_rate_late", "participation rate (2nd half)", "down"),
        ),
    ),
    Pattern(
        key="5a_turnover_pay",
        claim="Low pay and no career path mean turnover (which erodes skills)",
        source="seed 002; seed 003 §2.6",
        a_label="career support (pay + promotion path)",
        b_label="low pay, no career path (baseline)",
        a={"mechanisms.career_support.enabled": True},
        days=730,
        checks=(
            Check("gridworker_turnover", "gridworker turnover (per year)", "up"),
            Check("mean_capacity", "gridworkers' mean capacity", "down", required=False),
        ),
    ),
    Pattern(
        key="5b_turnover_skills",
        claim="(Low pay means) turnover, which erodes skills",
        source="seed 002; seed 003 §2.6",
        a_label="quit rate 0.06 a year",
        b_label="quit rate 0.30 a year",
        a={"gridworkers.quit_rate": 0.06},
        b={"gridworkers.quit_rate": 0.30},
        days=730,
        checks=(
            Check("gridworker_turnover", "gridworker turnover (per year)", "up"),
            Check("mean_capacity", "gridworkers' mean capacity", "down"),
            Check("median_resolution_days", "median days to resolution", "up", required=False),
        ),
    ),
    Pattern(
        key="6_enterprise_support",
        claim="One-off donations do not sustain enterprise support",
        source="seed 004 §二.2",
        a_label="community-partner scheme",
        b_label="one-off pairing and donation",
        a={**ENTERPRISES, "mechanisms.enterprise_cobuilding.partner_scheme": True},
        b={**ENTERPRISES, "mechanisms.enterprise_cobuilding.partner_scheme": False},
        days=365,
        checks=(
            Check("enterprise_active_share", "enterprises active at the end", "down"),
            Check("activities_per_month", "activities on offer a month (end)", "down"),
            Check("participation_rate_late", "participation rate (2nd half)", "down"),
        ),
    ),
)


# ---------------------------------------------------------------- running
def run_one(args: tuple[dict[str, Any], int, int]) -> dict[str, float]:
    """One run: (overrides, seed, days) -> measures. Module-level, so it pickles."""
    from sim import GovernanceModel

    overrides, seed, days = args
    model = GovernanceModel(rng=seed, overrides=overrides)
    model.run_days(days)
    return measure(model)


@dataclass
class Result:
    pattern: Pattern
    check: Check
    a: np.ndarray
    b: np.ndarray
    days: int

    @property
    def diff(self) -> np.ndarray:
        return self.b - self.a

    @property
    def tested(self) -> np.ndarray:
        """What the check's interval is about: the paired difference, or A itself."""
        return self.diff if self.check.expect in ("up", "down") else self.a

    @property
    def interval(self) -> tuple[float, float, float]:
        return mean_ci(self.tested)

    @property
    def holds(self) -> bool:
        _, lo, hi = self.interval
        e, t = self.check.expect, self.check.threshold
        return {"up": lo > 0, "down": hi < 0, "above": t is not None and lo > t, "below": t is not None and hi < t}[e]


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-based confidence interval (NaNs dropped)."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


def evaluate(
    patterns: tuple[Pattern, ...] = PATTERNS,
    *,
    replications: int = 10,
    base_seed: int = 1,
    world: dict[str, Any] | None = None,
    days: int | None = None,
    jobs: int = 1,
    mapper: Callable | None = None,
) -> list[Result]:
    """Run every pattern's two conditions on paired seeds; one Result per check."""
    world = BASELINE_WORLD if world is None else world
    seeds = [base_seed + i for i in range(replications)]
    tasks = []
    for p in patterns:
        for overrides in (p.a, p.b):
            tasks += [({**world, **overrides}, s, days or p.days) for s in seeds]
    if mapper is None and jobs > 1:
        # spawn, as the batch executors do: forking a process that has started threads
        # (numpy, pyarrow) can deadlock, and Python 3.12 warns about it
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            runs = list(pool.map(run_one, tasks, chunksize=1))
    else:
        runs = list((mapper or map)(run_one, tasks))
    results, i, n = [], 0, replications
    for p in patterns:
        a, b = runs[i : i + n], runs[i + n : i + 2 * n]
        i += 2 * n
        for c in p.checks:
            results.append(Result(p, c, np.array([r[c.metric] for r in a]), np.array([r[c.metric] for r in b]), days or p.days))
    return results


# ---------------------------------------------------------------- reporting
def _fmt(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.3g}" if abs(x) >= 0.01 or x == 0 else f"{x:.2e}"


def claim_text(c: Check) -> str:
    if c.expect in ("up", "down"):
        return "B − A > 0" if c.expect == "up" else "B − A < 0"
    return f"A {'>' if c.expect == 'above' else '<'} {c.threshold:g}"


def table(results: list[Result]) -> str:
    """A Markdown table: pattern, metric, A, B, paired difference with 95% CI, holds."""
    rows = ["| pattern | metric | A | B | mean A | mean B | claim | estimate [95% CI] | holds |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        m, lo, hi = r.interval
        c = r.check
        claim = claim_text(c)
        what = "B − A" if c.expect in ("up", "down") else "A"
        rows.append(
            f"| {r.pattern.key} | {c.label} | {r.pattern.a_label} | {r.pattern.b_label} | {_fmt(np.nanmean(r.a))} | {_fmt(np.nanmean(r.b))} "
            f"| {claim} | {what} = {_fmt(m)} [{_fmt(lo)}, {_fmt(hi)}] | {'yes' if r.holds else 'NO'} |"
        )
    return "\n".join(rows)


def figure(pattern: Pattern, results: list[Result], out: Path) -> Path:
    """One figure per pattern: A and B means with 95% CIs, one panel per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.analysis.fonts import chinese_family

    # Section numbers such as 二.2 need a CJK glyph: DejaVu Sans first, Noto Sans SC for what it lacks.
    cjk = chinese_family()
    with plt.rc_context({"font.family": ["DejaVu Sans", cjk]} if cjk else {}):
        return _draw(plt, pattern, results, out)


def _draw(plt, pattern: Pattern, results: list[Result], out: Path) -> Path:
    metrics: list[Result] = []
    for r in results:  # one panel per metric, even when two checks read it
        if all(m.check.metric != r.check.metric for m in metrics):
            metrics.append(r)
    n = len(metrics)
    fig, axes = plt.subplots(1, n, figsize=(max(2.7 * n + 0.6, 7.5), 4.2), squeeze=False)
    colours = ("#8c8c8c", "#2b6cb0")
    for ax, r in zip(axes[0], metrics):
        stats = [mean_ci(r.a), mean_ci(r.b)]
        means = [s[0] for s in stats]
        err = np.array([[s[0] - s[1] for s in stats], [s[2] - s[0] for s in stats]])
        ax.bar([0, 1], means, yerr=err, capsize=5, color=colours, width=0.6)
        ax.set_xticks([0, 1], ["A", "B"])
        ax.set_title(_wrap(r.check.label, 24), fontsize=9)
        ax.tick_params(labelsize=8)
        for c in (x for x in results if x.check.metric == r.check.metric and x.check.threshold is not None):
            ax.axhline(c.check.threshold, color="#c05621", ls="--", lw=1)
        lines = []
        for x in (x for x in results if x.check.metric == r.check.metric):
            m, lo, hi = x.interval
            what = "B−A" if x.check.expect in ("up", "down") else "A"
            lines.append(f"{claim_text(x.check).replace(' − ', '−')}: {what}={_fmt(m)}\n[{_fmt(lo)}, {_fmt(hi)}] {'✓' if x.holds else '✗'}")
        ax.set_xlabel("\n".join(lines), fontsize=8)
        tops = [m + e for m, e in zip(means, err[1]) if not math.isnan(m + e)]
        tops += [x.check.threshold for x in results if x.check.metric == r.check.metric and x.check.threshold is not None]
        top = max(tops, default=1.0)
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    reps = len(results[0].a)
    fig.suptitle(f"{_wrap(pattern.claim, 70)}\n({pattern.source}; {reps} paired runs, {results[0].days} days, 95% CI)", fontsize=10)
    fig.text(0.01, 0.035, f"A: {pattern.a_label}    B: {pattern.b_label}", fontsize=9, color="#222222")
    fig.text(0.01, 0.005, "Bars: mean over seeds ± 95% CI. Under each panel: the claim tested (paired difference B−A, or A against the dashed line), with its 95% CI.", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{pattern.key}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.validation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=FIGURES, help="folder for the figures (default docs/figures/validation)")
    parser.add_argument("--replications", type=int, default=None, help="paired runs per condition (default 12, --quick 6)")
    parser.add_argument("--quick", action="store_true", help="fewer replications and the small world")
    parser.add_argument("--base-seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--only", nargs="*", help="pattern keys (prefixes) to run")
    args = parser.parse_args(argv)
    reps = args.replications or (6 if args.quick else 12)
    patterns = tuple(p for p in PATTERNS if not args.only or any(p.key.startswith(k) for k in args.only))
    start = time.perf_counter()
    results = evaluate(patterns, replications=reps, base_seed=args.base_seed, world=SMALL_WORLD if args.quick else BASELINE_WORLD, jobs=args.jobs)
    print(table(results))
    for p in patterns:
        path = figure(p, [r for r in results if r.pattern is p], args.out)
        print(f"wrote {path}")
    print(f"{reps} paired replications, {'small' if args.quick else 'baseline'} world, {time.perf_counter() - start:.0f} s")
    if args.quick and any(not r.holds for r in results):
        print("note: --quick runs few replications on a small world, where small effects are not always told apart from noise; "
              "a 'no' here is not a failed check until the full run (without --quick) agrees, as in docs/validation.md")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
