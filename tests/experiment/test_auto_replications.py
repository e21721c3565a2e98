"""replications = "auto": rounds of replications until a target 95% half-width is met.

A stand-in run function returns a metric of known spread: replication r gives
mean + sigma for even r and mean - sigma for odd r, so the sample standard
deviation, and with it the round at which the target is met, is known.
"""

from __future__ import annotations

import json
import math

from scipy import stats

from sim.experiment import build_plan, make_executor, run_plan, seed_for
from sim.experiment.spec import ExperimentError
from sim.experiment.worker import RunOutcome, RunTask

from .conftest import experiment_text

BASE_SEED = 11
SIGMA = {"baseline": 0.01, "burden_reduction": 0.05}  # the wider arm decides
REPLICATION_OF = {seed_for(BASE_SEED, r): r for r in range(200)}


def alternating(task: RunTask) -> RunOutcome:
    r = REPLICATION_OF[task.seed]
    value = 0.5 + SIGMA[task.config["name"]] * (1 if r % 2 == 0 else -1)
    return RunOutcome(task.key, True, {"participation_rate": value, "resolution_rate": 0.9})


def auto(target: float, min_: int = 5, max_: int = 60, step: int = 5) -> str:
    return f'[experiment.precision]\nmetrics = {{ participation_rate = {target} }}\nmin = {min_}\nmax = {max_}\nstep = {step}\n'


def auto_text(target: float, **kw) -> str:
    text = experiment_text(name="auto", days=1, base_seed=BASE_SEED).replace("replications = 3", 'replications = "auto"')
    return text.replace("[overrides]", auto(target, **kw) + "\n[overrides]")


def expected_count(sigma: float, target: float, min_: int, max_: int, step: int) -> int:
    """The first round whose half-width is within the target, from the known values."""
    n = min_
    while n < max_:
        values = [0.5 + sigma * (1 if r % 2 == 0 else -1) for r in range(n)]
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        if stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) <= target:
            return n
        n = min(max_, n + step)
    return max_


def test_stops_at_the_first_round_that_meets_the_target(write_experiment, tmp_path):
    plan = build_plan(write_experiment(auto_text(0.02)))
    assert plan.replications == 5
    session = run_plan(plan, tmp_path / "r", make_executor("serial"), run=alternating, live=False)
    want = expected_count(0.05, 0.02, 5, 60, 5)
    assert want == 30  # t(29) * 0.05 * sqrt(30/29) / sqrt(30) = 0.0190; at 25: 0.0211
    assert session.precision["replications"] == want and session.precision["met"]
    assert plan.replications == want and session.runs["replication"].max() == want - 1
    manifest = json.loads((tmp_path / "r" / "auto" / "manifest.json").read_text())
    assert manifest["replications"] == want and manifest["precision"]["replications"] == want
    widths = {a["scenario"]: a["half_width"]["participation_rate"] for a in manifest["precision"]["arms"]}
    assert widths["burden_reduction"] <= 0.02 < expected_width(0.05, want - 5)

    # Running again resumes at the count reached: nothing new to run.
    again = run_plan(build_plan(write_experiment(auto_text(0.02))), tmp_path / "r", make_executor("serial"), run=alternating, live=False)
    assert again.done == 0 and again.precision["replications"] == want


def test_stops_at_the_cap_when_the_target_is_out_of_reach(write_experiment, tmp_path):
    plan = build_plan(write_experiment(auto_text(0.001, max_=12, step=4)))
    session = run_plan(plan, tmp_path / "r", make_executor("serial"), run=alternating, live=False)
    assert session.precision["replications"] == 12 and not session.precision["met"]
    assert session.precision["rounds"] == 3  # 5, 9, 12


def test_auto_needs_a_precision_table(write_experiment):
    text = experiment_text().replace("replications = 3", 'replications = "auto"')
    try:
        build_plan(write_experiment(text))
    except ExperimentError as exc:
        assert "precision" in str(exc)
    else:
        raise AssertionError("accepted auto without [experiment.precision]")


def expected_width(sigma: float, n: int) -> float:
    values = [sigma * (1 if r % 2 == 0 else -1) for r in range(n)]
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)


def mechanism_metric(task: RunTask) -> RunOutcome:
    """Only the arm with the mechanism on reports its metric, as in a real run."""
    metrics = {"participation_rate": 0.5}
    if task.config["mechanisms"]["burden_reduction"]["enabled"]:
        metrics["burden_reduction.cost_yuan_per_year"] = 1000.0 + REPLICATION_OF[task.seed]
    return RunOutcome(task.key, True, metrics)


def test_a_mechanism_metric_is_a_target_only_where_the_mechanism_is_on(write_experiment, tmp_path):
    target = "[experiment.precision]\nmetrics = { \"burden_reduction.cost_yuan_per_year\" = 5.0 }\nmin = 3\nmax = 30\nstep = 3\n"

    def text(scenarios):
        plain = experiment_text(name="auto", scenarios=scenarios, days=1, base_seed=BASE_SEED)
        return plain.replace("replications = 3", 'replications = "auto"').replace("[overrides]", target + "\n[overrides]")

    plan = build_plan(write_experiment(text(("baseline", "burden_reduction"))))
    session = run_plan(plan, tmp_path / "r", make_executor("serial"), run=mechanism_metric, live=False)
    # values 1000 + r: half-width t(n-1) sd / sqrt(n) is 2.48 at n = 3, so the first round meets the target;
    # the baseline arm, where the mechanism is off, must not hold the batch to the cap
    assert session.precision["met"] and session.precision["replications"] == 3
    assert [a["scenario"] for a in session.precision["arms"]] == ["burden_reduction"]

    try:
        build_plan(write_experiment(text(("baseline",)), file="off.toml"))
    except ExperimentError as exc:
        assert "burden_reduction.cost_yuan_per_year" in str(exc) and "off in all of them" in str(exc)
    else:
        raise AssertionError("accepted a precision target no scenario reports")


def test_the_table_at_the_end_of_a_batch_gives_t_intervals(write_experiment, tmp_path):
    from sim.experiment.runner import metrics_table

    plan = build_plan(write_experiment(experiment_text(name="four", days=1, base_seed=BASE_SEED, replications=4)))
    session = run_plan(plan, tmp_path / "r", make_executor("serial"), run=alternating, live=False)
    table = metrics_table(plan, session.runs)
    row = next(line for line in table.splitlines() if line.startswith("burden_reduction"))
    assert f"± {expected_width(0.05, 4):.4g}" in row  # t(3): 1.6 times the normal interval's 0.049
    from sim.cli import metric_text

    shown = metrics_table(plan, session.runs, metric_text)  # as the CLI prints it: in %
    assert f"± {100 * expected_width(0.05, 4):.1f}%" in next(line for line in shown.splitlines() if line.startswith("burden_reduction"))
