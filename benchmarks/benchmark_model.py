"""Speed and memory of one simulated year, per scenario.

Prints, for each scenario, set-up time, wall time per simulated year and the
peak resident memory of the process that ran it (each scenario runs in a
fresh subprocess so peaks don't mix). Targets on a 2-core machine (issue:
core model): community-year under 0.5 s; district-year under 30 s and 3 GB.

    python benchmarks/benchmark_model.py                 # baseline, district, all_mechanisms
    python benchmarks/benchmark_model.py scenarios/x.toml --days 365 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [
    "scenarios/baseline.toml",
    "scenarios/all_mechanisms.toml",
    "scenarios/district.toml",
    "benchmarks/district_all_mechanisms.toml",
]


def measure(scenario: str, days: int, seed: int) -> dict:
    from sim import GovernanceModel

    started = time.perf_counter()
    model = GovernanceModel(scenario=ROOT / scenario, rng=seed)
    built = time.perf_counter()
    for _ in range(days):
        model.step()
    done = time.perf_counter()
    return {
        "scenario": scenario,
        "residents": model.residents.n,
        "setup_s": round(built - started, 3),
        "year_s": round((done - built) * 365 / days, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=None)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario; the fastest is reported")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scenarios = args.scenarios or [s for s in DEFAULT if (ROOT / s).exists()]
    if args.one:
        print(json.dumps(measure(scenarios[0], args.days, seed=1)))
        return
    print(f"{'scenario':<34} {'residents':>10} {'setup s':>8} {'year s':>8} {'peak MB':>8}")
    for scenario in scenarios:
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, __file__, scenario, "--days", str(args.days), "--one"],
                capture_output=True, text=True, cwd=ROOT, check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["year_s"])
        print(f"{scenario:<34} {best['residents']:>10,} {best['setup_s']:>8.2f} {best['year_s']:>8.2f} {best['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main()
