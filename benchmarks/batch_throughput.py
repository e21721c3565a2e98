"""Batch throughput: runs per minute with 1 and 2 local workers and with Dask.

Runs the same small experiment (the baseline scenario, N replications) through
the batch runner with each executor, into a temporary results folder, and
compares with the time the same runs take in this process with no batch
machinery at all. The overhead per run is what the batch adds, in
worker-seconds: (wall time x workers - in-process time) / runs. It includes
starting the workers (spawn, imports) and storing the results.

    python benchmarks/batch_throughput.py                 # 40 runs, 180 days
    python benchmarks/batch_throughput.py --runs 80 --days 365
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def experiment(folder: Path, runs: int, days: int, residents: int) -> Path:
    path = folder / "throughput.toml"
    path.write_text(
        f"""[experiment]
name = "throughput"
scenarios = ["{(ROOT / 'scenarios' / 'baseline.toml').as_posix()}"]
replications = {runs}
base_seed = 1
days = {days}

[overrides]
"world.residents" = {residents}
""",
        encoding="utf-8",
    )
    return path


def in_process(plan) -> float:
    """Seconds the plan's runs take here, one after another, with no batch machinery."""
    from sim.experiment.worker import simulate

    started = time.perf_counter()
    for run in plan.unique_runs():
        outcome = simulate(plan.task(run))
        assert outcome.ok, outcome.error
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="replications of the baseline (default 40)")
    parser.add_argument("--days", type=int, default=180, help="days a run (default 180)")
    parser.add_argument("--residents", type=int, default=6000, help="residents (default 6000, the baseline community)")
    args = parser.parse_args()

    from sim.experiment import build_plan, make_executor, run_plan

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = build_plan(experiment(folder, args.runs, args.days, args.residents))
        n = len(plan.unique_runs())
        print(f"{n} runs of the baseline ({args.residents:,} residents, {args.days} days)")
        base = in_process(plan)
        print(f"{'in process (no batch)':<24} {60 * n / base:8.1f} runs/min   {base:6.1f} s   {1000 * base / n:7.0f} ms a run")
        log = open(folder / "progress.log", "w")  # the runner's progress lines, not wanted here
        for kind, workers in [("processes", 1), ("processes", 2), ("dask", 2)]:
            try:
                executor = make_executor(kind, workers)
            except Exception as exc:  # noqa: BLE001 - e.g. dask not installed
                print(f"{kind + f' x{workers}':<24} skipped: {exc}")
                continue
            started = time.perf_counter()
            session = run_plan(plan, folder / f"{kind}-{workers}", executor, live=False, stream=log)
            wall = time.perf_counter() - started
            assert session.failures.empty
            overhead = (wall * workers - base) / n
            print(f"{kind + f' x{workers}':<24} {60 * n / wall:8.1f} runs/min   {wall:6.1f} s   overhead {1000 * overhead:6.0f} ms a run (worker-time)")
        log.close()


if __name__ == "__main__":  # the spawned workers import this file: keep the guard
    main()
