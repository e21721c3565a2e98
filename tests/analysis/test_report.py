"""The report: both languages, self-contained, every figure, Chinese without boxes, failures named."""

from __future__ import annotations

import json
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.analysis import load, write_report
from sim.analysis.cli import report as report_command
from sim.analysis.results import SPATIAL

from .conftest import factorial_rows, manifest_for, run_row, write_store

COMPARISON_FIGURES = ["comparison", "comparison_all", "effects", "cost_effectiveness", "time_series", "age_groups"]


def assert_self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(link|script)\b", html)
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'\b(src|href)="(?!data:|#)', html)


def figure_ids(html: str) -> set[str]:
    return set(re.findall(r'<figure id="([^"]+)">\s*<img', html))


def add_spatial(folder, scenarios=("baseline", "points_incentive"), communities: bool = False) -> None:
    """A spatial.npz as sim.snapshot writes it: two 4x3 grids with one empty cell; without
    ``communities``, as it was written before it kept the community and residents layers."""
    building = np.arange(12).reshape(4, 3)
    building[3, 2] = -1
    arrays = {"meta": np.array(json.dumps([{"scenario": s, "point": 0, "replication": 1, "seed": 101, "days": 365, "key": f"{s}-0-1", "reproduced": True} for s in scenarios]))}
    for i, _ in enumerate(scenarios):
        arrays[f"{i}.participation"] = np.linspace(0.1, 0.5, 12).reshape(4, 3) + 0.1 * i
        arrays[f"{i}.open_problems"] = np.arange(12.0).reshape(4, 3)
        arrays[f"{i}.building"] = building
        arrays[f"{i}.zone"] = building // 6
        if communities:  # two communities of one zone each
            arrays[f"{i}.community"] = building // 6
            arrays[f"{i}.residents"] = np.where(building >= 0, 10.0, 0.0)
    np.savez_compressed(folder / SPATIAL, **arrays)


def test_chinese_report(comparison_store):
    add_spatial(comparison_store)
    path = write_report(comparison_store, lang="zh")
    html = path.read_text(encoding="utf-8")
    assert path == comparison_store / "report.html"
    assert_self_contained(html)
    assert figure_ids(html) == set(COMPARISON_FIGURES) | {"spatial"}
    for name in COMPARISON_FIGURES + ["spatial"]:
        assert (comparison_store / "figures" / "zh" / f"{name}.png").is_file()
        assert (comparison_store / "figures" / "zh" / f"{name}.svg").is_file()
    assert 'lang="zh-CN"' in html
    # the plain-language sentence, with the hand-computed effect (+4.5 percentage points, 95% CI 3.6–5.4)
    assert "引入“积分制”后，居民参与率提高4.5个百分点（95%置信区间 3.6–5.4）" in html
    assert "每增加一名参与者每年花费 222 元" in html
    # the failed run is counted and named
    assert "1 / 12 次运行失败" in html and "whistle_escalation-0-3" in html and "synthetic failure" in html
    assert load(comparison_store).config_hash in html
    assert "黑线为网格边界" in html and "各社区比较" not in html  # a snapshot without communities: maps as before, no table


def test_english_report_without_spatial_snapshot(comparison_store):
    path = write_report(comparison_store, lang="en", out=comparison_store / "report.en.html")
    html = path.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert figure_ids(html) == set(COMPARISON_FIGURES)
    assert "With points incentives, participation rises by 4.5 percentage points (95% CI 3.6–5.4)" in html
    assert "1 of 12 runs failed" in html
    assert "govsim snapshot" not in html and "spatial" not in figure_ids(html)  # no maps, and no commands for the reader
    assert not re.search(r"[\u4e00-\u9fff]", html.split("<body>")[1].replace("积分制", ""))  # no Chinese in the English report


def test_zone_borders_are_one_artist_however_many_zones():
    """A district's maps have some 16,000 border segments: one line artist each took a minute to draw."""
    import matplotlib.pyplot as plt

    from sim.analysis.figures import _edges as _zone_edges

    fig, (ax, big) = plt.subplots(1, 2)
    _zone_edges(ax, np.arange(4).reshape(2, 2))  # four zones of one building each: a cross of four segments
    _zone_edges(big, np.arange(400).reshape(20, 20))
    try:
        assert not ax.lines and not big.lines and len(ax.collections) == len(big.collections) == 1
        drawn = {tuple(map(tuple, np.round(s, 6))) for s in ax.collections[0].get_segments()}
        assert drawn == {((0.5, -0.5), (0.5, 0.5)), ((0.5, 0.5), (0.5, 1.5)), ((-0.5, 0.5), (0.5, 0.5)), ((0.5, 0.5), (1.5, 0.5))}
        assert len(big.collections[0].get_segments()) == 2 * 19 * 20
    finally:
        plt.close(fig)


def test_factorial_report_shows_contributions(tmp_path):
    factors = ["party_network", "points_incentive"]
    shift = [0.0, 0.01, -0.01]

    def participation(on, r):
        return 0.25 + 0.04 * on["party_network"] + 0.02 * on["points_incentive"] + 0.03 * on["party_network"] * on["points_incentive"] + shift[r]

    rows, points = factorial_rows(factors, 3, participation)
    sweep = {"method": "grid", "parameters": {f"mechanisms.{f}.enabled": [False, True] for f in factors}}
    folder = write_store(tmp_path / "licheng_contributions", rows, manifest_for("licheng_contributions", ["licheng"], 3, points=points, sweep=sweep))
    html = write_report(folder, lang="zh").read_text(encoding="utf-8")
    assert_self_contained(html)
    assert "contributions" in figure_ids(html)
    assert "红网格：对其他机制的各种开关组合取平均，居民参与率提高5.5个百分点" in html
    assert "红网格与积分制同时开启时，居民参与率比两者各自效果之和多3.0个百分点" in html
    assert "基线：全部关闭" in html or "全部关闭" in html


def test_falls_back_to_english_without_a_chinese_font(tmp_path, monkeypatch):
    runs = pd.DataFrame([run_row("baseline", 0, status="failed"), run_row("points_incentive", 0, status="failed")])
    folder = write_store(tmp_path / "broken", runs, manifest_for("broken", ["baseline", "points_incentive"], 1))
    monkeypatch.setattr("sim.analysis.report.chinese_family", lambda: None)
    html = write_report(folder, lang="zh").read_text(encoding="utf-8")
    assert 'lang="en"' in html
    assert "No Chinese font was found" in html
    assert "2 of 2 runs failed" in html and "No run finished successfully" in html


def test_missing_glyphs_would_fail_these_tests():
    """The filter in conftest.py turns matplotlib's missing-glyph warning into an error."""
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("积分制")
        with pytest.raises(UserWarning, match="Glyph"):
            fig.savefig(__import__("io").BytesIO(), format="png")
        plt.close(fig)


def test_report_command(tmp_path):
    runs = pd.DataFrame([run_row("baseline", 0, status="failed")])
    folder = write_store(tmp_path / "one", runs, manifest_for("one", ["baseline"], 1))
    result = CliRunner().invoke(report_command, [str(folder), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").is_file()
    missing = CliRunner().invoke(report_command, [str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = CliRunner().invoke(report_command, [str(folder), "--lang", "fr"])
    assert bad.exit_code == 2


def test_an_interrupted_batch_says_what_has_not_run(tmp_path):
    rows = [run_row("baseline", r) for r in range(3)] + [run_row("points_incentive", r, participation_rate=0.3) for r in range(3)]
    rows += [run_row("whistle_escalation", r, status="pending") for r in range(3)]
    folder = write_store(tmp_path / "half", pd.DataFrame(rows), manifest_for("half", ["baseline", "points_incentive", "whistle_escalation"], 3))
    result = CliRunner().invoke(report_command, [str(folder), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "warning: 3 runs of this batch have not run yet" in result.output
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Whistle and report: no finished runs of it or of what it is compared with; not compared." in html
    assert "Whistle and report shows no clear change" not in html and "With whistle and report" not in html


def test_an_arm_whose_reference_has_not_run_is_not_compared(tmp_path):
    # emergency_conversion is compared with shocks (the same shocks without the squads), listed last and not run yet
    shocks = [{"day": 90, "kind": "epidemic"}]
    rows = [run_row("baseline", r) for r in range(3)] + [run_row("emergency_conversion", r) for r in range(3)]
    rows += [run_row("shocks", r, status="pending") for r in range(3)]
    manifest = manifest_for("ref", ["baseline", "emergency_conversion", "shocks"], 3)
    manifest["configs"]["emergency_conversion"].update(shocks=shocks, mechanisms={"emergency_conversion": {"enabled": True}})
    manifest["configs"]["shocks"].update(shocks=shocks, mechanisms={"emergency_conversion": {"enabled": False}})
    html = write_report(write_store(tmp_path / "ref", pd.DataFrame(rows), manifest), lang="en").read_text(encoding="utf-8")
    assert "no finished runs of it or of what it is compared with; not compared." in html
    assert "With emergency conversion" not in html


def test_a_clear_gain_that_comes_with_a_saving_is_not_called_no_clear_gain():
    from sim.analysis.findings import cost_clause
    from sim.analysis.report import ratio_text

    saves = pd.Series({"cost": -50_000.0, "cost_low": -50_500.0, "cost_high": -49_500.0,
                       "participants_low": 60.0, "per_participant": -735.0, "per_participant_low": -830.0, "per_participant_high": -650.0,
                       "avoided_low": -3.0, "per_avoided": np.nan, "per_avoided_low": np.nan, "per_avoided_high": np.inf})
    assert ratio_text(-735.0, -830.0, -650.0, 60.0, -50_000.0, "en") == "gain and a saving"
    assert ratio_text(np.nan, np.nan, np.inf, -3.0, -50_000.0, "en") == "no clear gain"  # unresolved avoided: no clear gain
    assert ratio_text(222.0, 180.0, 270.0, 60.0, 15_000.0, "en") == "222 [180–270]"
    assert ratio_text(222.0, -180.0, np.inf, 60.0, 15_000.0, "en") == "222 [−180 to ∞]"  # the cost's interval reaches below zero
    sentence = cost_clause(saves, "en")
    assert "saves" in sentence and "more participants at no extra cost" in sentence and "unresolved" not in sentence
    assert "参与者增加而成本不增" in cost_clause(saves, "zh")


def test_small_mean_counts_keep_a_decimal_and_rate_intervals_stay_possible():
    from sim.analysis import text as T
    from sim.analysis.text import possible_range

    assert T.value_text("mean_open_problems", 2.25, "en") != T.value_text("mean_open_problems", 1.7, "en")  # not both '2'
    assert T.value_text("problems_resolved", 620.4, "en") == "620"
    assert possible_range("resolution_rate") == (0.0, 1.0) and possible_range("mean_open_problems")[0] == 0.0
    from sim.analysis.report import estimate_text

    assert estimate_text("resolution_rate", {"mean": 0.884, "low": 0.744, "high": 1.024}, "en") == "88.4% [74.4, 100.0]"  # a t interval of 2 runs
    assert estimate_text("satisfaction", {"mean": 0.632, "low": 0.255, "high": 1.01}, "en") == "63.2 [25.5, 100.0]"


def test_the_chinese_report_shows_the_chinese_description(comparison_store):
    manifest_file = comparison_store / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest_file.write_text(json.dumps({**manifest, "description": "Which helps more?", "description_zh": "哪一项更有帮助？"}, ensure_ascii=False), encoding="utf-8")
    zh = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    assert "哪一项更有帮助？" in zh and "Which helps more?" not in zh
    en = write_report(comparison_store, lang="en").read_text(encoding="utf-8")
    assert "Which helps more?" in en and "哪一项更有帮助？" not in en


def test_long_arm_labels_go_on_two_lines_at_the_setting_or_reference():
    from sim.analysis.figures import wrapped

    assert wrapped("Points incentives") == "Points incentives"
    assert wrapped("平战转化（对照：疫情与汛情冲击）") == "平战转化（对照：疫情与汛情冲击）"  # 16 characters fit
    assert wrapped("Burden reduction (admin_share=0.3)") == "Burden reduction\n(admin_share=0.3)"
    assert wrapped("Emergency conversion (admin_share=0.3) (vs epidemic and flood only (admin_share=0.3))") == \
        "Emergency conversion (admin_share=0.3)\n(vs epidemic and flood only (admin_share=0.3))"


def test_a_swept_comparison_says_what_each_arm_is_compared_with(tmp_path):
    points = [{"gridworkers.admin_share": 0.3}, {"gridworkers.admin_share": 0.6}]
    rows = [{**run_row(s, r, point=p, participation_rate=0.25 + 0.01 * r + 0.02 * p + 0.03 * (s != "baseline")), **points[p]}
            for s in ("baseline", "points_incentive") for p in range(2) for r in range(3)]
    sweep = {"method": "grid", "parameters": {"gridworkers.admin_share": [0.3, 0.6]}}
    folder = write_store(tmp_path / "swept", pd.DataFrame(rows), manifest_for("swept", ["baseline", "points_incentive"], 3, points=points, sweep=sweep))
    html = write_report(folder, lang="en").read_text(encoding="utf-8")
    assert "each scenario is compared with the baseline at the same swept setting" in html


def test_the_caveat_says_when_the_experiment_changed_the_scenarios_size(comparison_store):
    from sim.analysis.report import caveat

    results = load(comparison_store)
    assert "[overrides]" not in caveat(results, None, "en")
    results.manifest["scenarios"][0]["own_size"] = [12000, 3]
    assert "changed the scenario file's own size of 12,000 adults in 3 communities" in caveat(results, None, "en")
    assert "3个社区、12,000名成年居民" in caveat(results, None, "zh")


def test_an_experiments_own_change_that_matters_decides_what_is_small(comparison_store):
    # points incentives raise participation by 4-5 points: clear and large by default, small where 10 points matter
    def participation_cell(html: str) -> str:
        rows = re.findall(r"<tr><td>Points incentives</td>.*?</tr>", html, re.S)  # the effects table's row has signed cells
        return next(re.findall(r'<td(?: class="([a-z_]+)")?>[+−]', row) for row in rows if re.search(r"<td[^>]*>[+−]", row))[0]

    assert participation_cell(write_report(comparison_store, lang="en").read_text(encoding="utf-8")) == "better"
    manifest = json.loads((comparison_store / "manifest.json").read_text(encoding="utf-8"))
    manifest["matters"] = {"participation_rate": 0.1}
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    html = write_report(comparison_store, lang="en").read_text(encoding="utf-8")
    assert participation_cell(html) == "slightly_better"
    assert "set by this experiment: 10 percentage points for participation" in html
    assert "No option clearly raises participation by 10 percentage points or more" in html


def test_an_experiments_own_labels_name_its_scenarios_in_both_languages(comparison_store):
    manifest = json.loads((comparison_store / "manifest.json").read_text(encoding="utf-8"))
    manifest["labels"] = {"points_incentive": "Street points pilot", "whistle_escalation": "Whistle pilot"}
    manifest["labels_zh"] = {"points_incentive": "街道积分试点"}
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    en = write_report(comparison_store, lang="en").read_text(encoding="utf-8")
    assert "<td>Street points pilot</td>" in en and "<td>Whistle pilot</td>" in en
    assert "<td>Points incentives</td>" not in en
    zh = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    assert "<td>街道积分试点</td>" in zh and "<td>积分制</td>" not in zh
    assert "<td>吹哨报到</td>" in zh  # no Chinese label given: the shipped scenario's Chinese name, not the English label


def test_a_label_with_dollar_signs_is_drawn_as_it_is_written(comparison_store):
    # Matplotlib read '$...$' as TeX: 'Cut $5 to $10' was drawn 'Cut 5to10', and '$1^$' failed the whole report.
    import matplotlib.pyplot as plt

    from sim.analysis.fonts import rc_for

    manifest = json.loads((comparison_store / "manifest.json").read_text(encoding="utf-8"))
    manifest["labels"] = {"points_incentive": "Cut $5 to $10 a form", "whistle_escalation": "Whistle at $1^$ a call"}
    (comparison_store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    html = write_report(comparison_store, lang="en").read_text(encoding="utf-8")
    assert "<td>Cut $5 to $10 a form</td>" in html
    with plt.rc_context(rc_for("en")):
        fig = plt.figure()
        assert not fig.text(0, 0, "Cut $5 to $10").get_parse_math()
        plt.close(fig)


def test_a_label_falls_back_from_chinese_to_english_to_the_file_name():
    from sim.analysis import text as T

    own = {"labels": {"east_pilot": "East district pilot"}, "labels_zh": {"west_pilot": "西区试点"}}
    with T.for_experiment(own):
        assert T.scenario_label("east_pilot", "zh") == "East district pilot"  # better than 'east pilot' in a Chinese report
        assert T.scenario_label("west_pilot", "zh") == "西区试点"
        assert T.scenario_label("west_pilot", "en") == "west pilot"
        assert T.scenario_label("baseline", "zh") == "基线"
    assert T.scenario_label("east_pilot", "en") == "east pilot"  # outside, the experiment's labels are gone


def test_a_chinese_report_carries_the_font_for_every_chinese_character_it_shows(comparison_store):
    # A reader without a Chinese font (a Linux desktop without fonts-noto-cjk) saw every character as a box.
    import base64
    import io

    from fontTools.ttLib import TTFont

    html = write_report(comparison_store, lang="zh").read_text(encoding="utf-8")
    face = re.search(r'@font-face \{ font-family: "([^"]+)"; src: url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)', html)
    assert face, "no embedded font"
    assert re.search(r'body \{ font-family: "' + re.escape(face.group(1)) + '"', html)  # and the text asks for it first
    font = TTFont(io.BytesIO(base64.b64decode(face.group(2))))
    shown = {c for c in html[: face.start()] + html[face.end():] if ord(c) >= 0x2E80}
    assert len(shown) > 100
    assert shown <= {chr(code) for code in font.getBestCmap()}
    assert len(face.group(2)) < 400_000  # cut down to those characters, not the whole 8 MB font


def test_a_name_on_the_cost_chart_never_sits_beside_another_options_marker(tmp_path):
    # 'Emergency conversion', near the right edge, went to its left and began beside dual-track
    # deliberation's marker, as if it named that one.
    import matplotlib.pyplot as plt

    from sim.analysis.figures import Painter, _name_points

    fig, ax = plt.subplots(figsize=(4, 4))
    x, y = np.array([100.0, 62.0, 85.0]), np.array([50.0, 46.0, 90.0])
    ax.plot(x, y, "o", ms=7)
    ax.set(xlim=(0, 110), ylim=(0, 100))
    painter = Painter("en", "", tmp_path, {"far": "Emergency conversion", "near": "Dual-track deliberation", "top": "Whistle"}, set())
    _name_points(ax, painter, ["far", "near", "top"], x, y, frontier=set())
    renderer = fig.canvas.get_renderer()
    centres = dict(zip(["Emergency conversion", "Dual-track deliberation", "Whistle"], ax.transData.transform(np.column_stack([x, y]))))
    names = {t.get_text(): t.get_window_extent(renderer) for t in ax.texts}
    assert "Emergency conversion" in names  # it found a place: below or above its point
    for name, box in names.items():
        for other, (cx, cy) in centres.items():
            if other != name:
                assert not box.padded(renderer.points_to_pixels(3.5)).contains(cx, cy), f"{name!r} beside {other!r}'s marker"
    plt.close(fig)


def test_the_series_chart_shows_the_options_that_raise_resolution_most_too():
    # Chosen by participation alone, the option that resolved most (whistle and report) never appeared.
    from sim.analysis.report import MAX_SERIES_ARMS, View, series_arms
    from sim.analysis.results import Arm

    arms = [Arm("baseline")] + [Arm(f"option_{i}") for i in range(8)]
    participation = {f"option_{i}": 0.08 - 0.01 * i for i in range(8)}  # option_0 raises it most
    resolution = {"option_7": 0.05, "option_6": 0.04}  # the two that raise participation least resolve most
    effects = pd.DataFrame([{"arm": a, "metric": "participation_rate", "effect": e} for a, e in participation.items()]
                           + [{"arm": a, "metric": "resolution_rate", "effect": resolution.get(a, 0.0)} for a in participation])
    view = View(arms, {a.id: a.id for a in arms}, lambda arm: arms[0])
    shown = [a.id for a in series_arms(view, effects)]
    assert len(shown) == MAX_SERIES_ARMS and shown[0] == "baseline"
    assert {"option_0", "option_1", "option_7", "option_6"} <= set(shown)
