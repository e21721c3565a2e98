"""A run that ends before a mechanism first acts, or before a shock, says so.

Otherwise a 60-day batch reads "no clear change" and "costs nothing extra"
for a yearly contest that never took place.
"""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from sim.analysis import write_report
from sim.cli import main
from sim.scenario import Scenario, load_scenario, with_overrides

from .analysis.conftest import manifest_for, run_row, write_store
from .conftest import SCENARIOS, run_model
from .experiment.conftest import experiment_text


def on(name: str, **more) -> dict:
    return {f"mechanisms.{name}.enabled": True, **{f"mechanisms.{name}.{k}": v for k, v in more.items()}}


def mechanism(model, name: str):
    return next(m for m in model.mechanisms if m.name == name)


def first_day(name: str, **more) -> int:
    config = with_overrides(Scenario(), on(name, **more))
    items = {i["name"]: i["day"] for i in config.unseen_within(1)}
    return items[name]


def test_scheduled_mechanisms_first_act_on_the_day_they_declare():
    first = first_day("party_assessment", interval_days=20)
    model = run_model(days=first, **on("party_assessment", interval_days=20))
    assert mechanism(model, "party_assessment").rounds == 0
    model.step()
    assert mechanism(model, "party_assessment").rounds == 1

    first = first_day("micro_venture", contest_day=15)
    model = run_model(days=first, **on("micro_venture", contest_day=15))
    assert mechanism(model, "micro_venture").proposals == 0
    model.step()
    assert mechanism(model, "micro_venture").proposals > 0

    first = first_day("review_cycle")
    model = run_model(days=first, **on("review_cycle"))
    assert mechanism(model, "review_cycle").consultations == 0
    model.step()
    assert mechanism(model, "review_cycle").consultations > 0

    assert first_day("burden_reduction", start_day=200) == 200

    first = first_day("tiered_training", schedule_day=10)
    model = run_model(days=first, **on("tiered_training", schedule_day=10))
    trainees = mechanism(model, "tiered_training").trainees
    assert len(trainees)
    before = model.gridworkers.capacity[trainees].copy()
    model.step()
    assert (model.gridworkers.capacity[trainees] > before).any()


def test_what_a_short_run_does_not_see():
    config = load_scenario(SCENARIOS / "all_mechanisms.toml")
    assert {i["name"] for i in config.unseen_within(60)} == {"tiered_training", "micro_venture", "party_assessment", "emergency_conversion"}
    assert config.unseen_within(365) == []
    shocks = load_scenario(SCENARIOS / "emergency_conversion.toml")
    assert {(i["kind"], i["name"]) for i in shocks.unseen_within(150)} == {("shock", "flood")}  # the epidemic (day 90) is seen
    quiet = with_overrides(Scenario(), on("emergency_conversion", drill_interval_days=0))
    assert quiet.unseen_within(3650) == [{"kind": "mechanism", "name": "emergency_conversion", "day": None}]
    # squads answer only while a shock lasts: a 3-day flood is over before a 5-day response
    late = with_overrides(shocks, {"mechanisms.emergency_conversion.drill_interval_days": 0, "mechanisms.emergency_conversion.response_days": 5,
                                   "shocks": [{"kind": "flood", "day": 5, "duration_days": 3}]})
    assert late.unseen_within(365) == [{"kind": "mechanism", "name": "emergency_conversion", "day": None}]


def test_a_sweep_is_checked_point_by_point(tmp_path):
    from sim.experiment import build_plan

    def plan(days, values):
        sweep = f'\n[sweep]\nmethod = "grid"\n[sweep.parameters]\n"mechanisms.micro_venture.contest_day" = {values}\n'
        path = tmp_path / f"s{days}.toml"
        path.write_text(experiment_text(name="s", scenarios=("micro_venture",), replications=1, days=days, sweep=sweep), encoding="utf-8")
        return build_plan(path)

    assert plan(60, [10, 20]).unseen == []  # the scenario file's day 90 is swept away
    late = plan(100, [30, 200])
    assert late.unseen == [{"scenario": "micro_venture", "kind": "mechanism", "name": "micro_venture", "day": 200, "points": [1]}]
    assert late.warnings == ["micro_venture (at 1 of 2 sweep points): mechanism 'micro_venture' first acts on day 200, after the run's 100 days: "
                             "its effect is not measured and its cost a year is not representative (run at least 201 days)"]


def test_a_single_run_and_a_batch_warn_and_the_report_says_it(tmp_path):
    single = CliRunner().invoke(main, ["run", str(SCENARIOS / "micro_venture.toml"), "--days", "3", "--out", str(tmp_path / "one"),
                                       "--set", "world.residents=300", "--set", "world.zones=2", "--set", "world.buildings_per_zone=4"])
    assert single.exit_code == 0, single.output
    assert "warning: mechanism 'micro_venture' first acts on day 90, after the run's 3 days" in single.output

    path = tmp_path / "short.toml"
    path.write_text(experiment_text(name="short", scenarios=("baseline", "micro_venture"), replications=1, days=3), encoding="utf-8")
    dry = CliRunner().invoke(main, ["run", str(path), "--dry-run", "--out", str(tmp_path / "r")])
    assert dry.exit_code == 0 and "micro_venture: mechanism 'micro_venture' first acts on day 90" in dry.output
    batch = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "r"), "--executor", "serial", "--lang", "en"])
    assert batch.exit_code == 0, batch.output
    manifest = json.loads((tmp_path / "r" / "short" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["unseen"] == [{"scenario": "micro_venture", "kind": "mechanism", "name": "micro_venture", "day": 90, "points": [0]}]
    html = (tmp_path / "r" / "short" / "report.html").read_text(encoding="utf-8")
    assert "Micro-venture contest: it first acts on day 90, after the run&#39;s 3 days" in html


def test_the_chinese_report_names_a_shock_that_did_not_happen(tmp_path):
    runs = pd.DataFrame([run_row(s, r) for s in ("baseline", "emergency_conversion") for r in range(2)])
    manifest = manifest_for("m", ["baseline", "emergency_conversion"], 2)
    manifest["unseen"] = [{"scenario": "emergency_conversion", "kind": "shock", "name": "flood", "day": 400, "points": [0]}]
    html = write_report(write_store(tmp_path / "m", runs, manifest), lang="zh").read_text(encoding="utf-8")
    assert "平战转化：第400天的汛情在运行结束（共365天）之后，没有发生。" in html
