"""指标说明: every measure the report shows is defined, with the values the runs used."""

from __future__ import annotations

import json

import pytest

from sim.analysis import findings, glossary, write_report
from sim.analysis import report as R
from sim.analysis import text as T
from sim.model import metrics, residents
from sim.model.params import ProblemParams

SHOWN = R.KEY_METRICS + R.OTHER_METRICS + R.AGE_METRICS + R.SERIES_METRICS + R.EFFECT_METRICS + list(findings.SECONDARY)


def test_every_measure_the_report_shows_is_defined_and_labelled():
    assert set(SHOWN) <= set(glossary.DEFINITIONS)
    assert set(glossary.DEFINITIONS) <= set(T.METRICS)


def test_the_windows_and_defaults_it_quotes_are_the_models():
    assert glossary.ACTIVE_WINDOW == residents.ACTIVE_WINDOW
    assert glossary.PARTICIPATION_WINDOW == metrics.PARTICIPATION_WINDOW
    p = ProblemParams()
    assert glossary.settings() == {
        "half_life": f"{p.rating_half_life_days:g}", "patience_small": f"{p.patience_small_days:g}", "patience_big": f"{p.patience_big_days:g}",
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_definitions_quote_the_baselines_patience_and_half_life(lang):
    config = {"problems": {"rating_half_life_days": 10.0, "patience_small_days": 20.0, "patience_big_days": 90.0}}
    rows = {row[0]["text"]: row[2]["text"] for row in glossary.table(["satisfaction", "problems_abandoned"], lang, [config])["rows"]}
    satisfaction = rows[T.capital(T.metric_label("satisfaction", lang))]
    abandoned = rows[T.capital(T.metric_label("problems_abandoned", lang))]
    assert "10" in satisfaction and "7" not in satisfaction
    assert "20" in abandoned and "90" in abandoned and "45" not in abandoned


def test_settings_that_differ_between_scenarios_or_sweep_points_are_quoted_as_a_range():
    configs = [{"problems": {"patience_small_days": 30.0}}, {"problems": {"patience_small_days": 60.0}}]
    points = [{"problems.rating_half_life_days": 3.0}, {"problems.rating_half_life_days": 14.0}]
    values = glossary.settings(configs, points)
    assert values == {"half_life": "3–14", "patience_small": "30–60", "patience_big": f"{ProblemParams().patience_big_days:g}"}
    assert glossary.settings(configs[:1], points[:1])["patience_small"] == "30"


def test_the_table_lists_only_what_was_asked_for_related_measures_together():
    rows = glossary.table(["resolution_rate", "no_such_metric", "participation_rate_elderly", "participation_rate"], "en")["rows"]
    assert [row[0]["text"] for row in rows] == ["Participation", "Elderly participation", "Resolution rate"]


def test_the_report_ends_with_the_definitions_in_its_language(comparison_store):
    manifest = json.loads((comparison_store / "manifest.json").read_text(encoding="utf-8"))
    for config in manifest["configs"].values():
        config["problems"] = {"rating_half_life_days": 5.0}
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    zh = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    assert "<h2>指标说明</h2>" in zh and zh.index("<h2>指标说明</h2>") < zh.index("<h2>方法说明</h2>")
    assert "用时5天得50分" in zh
    manifest["configs"]["baseline"]["problems"] = {"rating_half_life_days": 10.0}  # one scenario differs: a range
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert "用时5–10天得50分" in write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    manifest["configs"]["baseline"]["problems"] = {"rating_half_life_days": 5.0}
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    en = write_report(comparison_store, lang="en", out=comparison_store / "en.html").read_text(encoding="utf-8")
    assert "<h2>What the measures mean</h2>" in en and "50 at 5 days" in en
