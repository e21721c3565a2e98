"""The sensitivity path on functions with known indices, fed a synthetic results folder.

The folder has the layout an experiment writes (manifest.json with the sweep
and its points, runs.parquet with one row per run), built with the same
sampling functions the experiment planner uses.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("SALib")

from sim.analysis.sensitivity import SensitivityError, analyse_store, write_sensitivity
from sim.experiment import sampling

PI = math.pi
ISHIGAMI = {"a": 7.0, "b": 0.1}


def ishigami(x1, x2, x3):
    return np.sin(x1) + ISHIGAMI["a"] * np.sin(x2) ** 2 + ISHIGAMI["b"] * x3**4 * np.sin(x1)


def ishigami_indices():
    a, b = ISHIGAMI["a"], ISHIGAMI["b"]
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"x1": (v1 / v, (v1 + v13) / v), "x2": (v2 / v, v2 / v), "x3": (0.0, v13 / v)}


def synthetic_store(folder, method, n, f, seed=5, replications=1, noise=0.0, **design):
    dims = [sampling.Dimension(name, -PI, PI) for name in ("x1", "x2", "x3")]
    if method == "sobol":
        points = sampling.sobol(dims, n, design.get("second_order", True), seed)
    else:
        points = sampling.morris(dims, n, design.get("levels", 4), seed)
    sweep = {
        "method": method,
        "samples": n,
        "parameters": {d.path: {"low": d.low, "high": d.high, "integer": False} for d in dims},
        "problem": sampling.salib_problem(dims),
        **design,
    }
    manifest = {"experiment": "synthetic", "base_seed": seed, "sweep": sweep, "points": points, "metrics": ["y"]}
    rows = []
    for r in range(replications):
        for i, p in enumerate(points):
            y = f(p["x1"], p["x2"], p["x3"]) + noise * (1 if r % 2 else -1)
            rows.append({"key": f"{i}-{r}", "scenario": "s", "point": i, "replication": r, "status": "done", **p, "y": y})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame(rows).to_parquet(folder / "runs.parquet")
    return manifest, pd.DataFrame(rows)


def test_sobol_recovers_ishigami_within_confidence_intervals(tmp_path):
    manifest, runs = synthetic_store(tmp_path / "ishigami", "sobol", 1024, ishigami, second_order=True)
    table, notes = analyse_store(manifest, runs)
    assert not notes
    truth = ishigami_indices()
    for row in table.itertuples():
        s1, st = truth[row.parameter]
        assert abs(row.S1 - s1) <= row.S1_conf, (row.parameter, row.S1, s1, row.S1_conf)
        assert abs(row.ST - st) <= row.ST_conf, (row.parameter, row.ST, st, row.ST_conf)


def test_morris_gives_the_elementary_effects_of_a_linear_function(tmp_path):
    # y = 3 x1 - x2: every elementary effect of x1 is 3 x delta x range, of x2 -1 x..., of x3 zero.
    manifest, runs = synthetic_store(tmp_path / "linear", "morris", 20, lambda a, b, c: 3 * a - b, levels=4)
    table, _ = analyse_store(manifest, runs)
    by = table.set_index("parameter")
    span = 2 * PI
    assert by.loc["x1", "mu_star"] == pytest.approx(3 * span)
    assert by.loc["x2", "mu"] == pytest.approx(-span)
    assert by.loc["x3", "mu_star"] == pytest.approx(0)
    assert by["sigma"].max() == pytest.approx(0, abs=1e-9)


def test_replications_are_averaged_and_files_written(tmp_path):
    folder = tmp_path / "noisy"
    synthetic_store(folder, "morris", 10, ishigami, replications=2, noise=5.0, levels=4)
    exact = tmp_path / "exact"
    synthetic_store(exact, "morris", 10, ishigami, levels=4)
    parquet, figures, _ = write_sensitivity(folder)
    noisy = pd.read_parquet(parquet)
    clean, _ = analyse_store(*_read(exact))
    assert np.allclose(noisy["mu_star"], clean["mu_star"])  # +5 and -5 cancel in the mean
    assert (noisy["replications"] == 2).all()
    assert figures and all(p.exists() and p.with_suffix(".svg").exists() for p in figures)
    # Ishigami under Morris: x3 matters less than x1 and x2.
    assert noisy.set_index("parameter")["mu_star"].idxmin() == "x3"


def test_a_tampered_design_is_refused(tmp_path):
    manifest, runs = synthetic_store(tmp_path / "t", "sobol", 8, ishigami)
    manifest["base_seed"] += 1
    with pytest.raises(SensitivityError, match="does not match"):
        analyse_store(manifest, runs)


def _read(folder):
    return json.loads((folder / "manifest.json").read_text()), pd.read_parquet(folder / "runs.parquet")


def run_batch(tmp_path, name: str, sweep: str, days: int) -> str:
    """Run a one-replication batch of the baseline with ``sweep`` through the CLI; its English report."""
    from click.testing import CliRunner

    from sim.cli import main
    from tests.experiment.conftest import experiment_text

    path = tmp_path / f"{name}.toml"
    path.write_text(experiment_text(name=name, scenarios=("baseline",), replications=1, days=days, sweep=sweep), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "r"), "--executor", "serial", "--lang", "en"])
    assert result.exit_code == 0, result.output
    return (tmp_path / "r" / name / "report.html").read_text(encoding="utf-8")


def test_the_report_of_a_sampled_design_shows_its_sensitivity_charts(tmp_path):
    sweep = '\n[sweep]\nmethod = "morris"\nsamples = 2\nlevels = 4\n[sweep.parameters]\n"gridworkers.admin_share" = { low = 0.2, high = 0.6 }\n"residents.logit_intercept" = { low = -6, high = -3 }\n'
    html = run_batch(tmp_path, "m", sweep, days=3)
    assert '<figure id="morris_baseline">' in html and "data:image/png;base64," in html
    assert "per scenario:" not in html and "model version." in html  # no empty list of hashes
    assert "<b>Baseline</b>" in html
    assert "<h2>What the measures mean</h2>" in html and "Share of adult residents who took part" in html  # the measures analysed, defined
    assert not (tmp_path / "r" / "m" / "spatial.npz").exists()  # no maps computed for a report that shows none
    # the report keeps the charts the docs point to, and a second report (either language) keeps them too
    charts = tmp_path / "r" / "m" / "figures" / "en" / "sensitivity"
    assert (charts / "morris_baseline.png").is_file()
    from sim.analysis import write_report

    (charts / "kept.txt").write_text("drawn by govsim sensitivity")  # carried over, not redrawn
    write_report(tmp_path / "r" / "m", lang="en")
    assert (charts / "kept.txt").is_file()
    write_report(tmp_path / "r" / "m", lang="zh")
    assert (charts / "morris_baseline.png").is_file()
    assert (tmp_path / "r" / "m" / "figures" / "zh" / "sensitivity" / "morris_baseline.png").is_file()


def test_sobol_intervals_are_reproducible_with_base_seed_zero(tmp_path):
    # SALib seeds its bootstrap only `if seed`: a seed of 0 went to the unseeded global generator
    manifest, runs = synthetic_store(tmp_path / "zero", "sobol", 64, ishigami, seed=0, second_order=False)
    first, _ = analyse_store(manifest, runs)
    np.random.seed(None)
    again, _ = analyse_store(manifest, runs)
    assert first[["S1_conf", "ST_conf"]].equals(again[["S1_conf", "ST_conf"]])


def test_second_order_indices_are_kept_and_written(tmp_path):
    folder = tmp_path / "s2"
    synthetic_store(folder, "sobol", 1024, ishigami, second_order=True)
    write_sensitivity(folder, lang="en")
    pairs = pd.read_parquet(folder / "sensitivity_s2.parquet").set_index(["parameter", "other"])
    assert len(pairs) == 3  # x1-x2, x1-x3, x2-x3
    a, b = ISHIGAMI["a"], ISHIGAMI["b"]
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    v = 0.5 * (1 + b * PI**4 / 5) ** 2 + a**2 / 8 + v13
    x13 = pairs.loc[("x1", "x3")]
    assert abs(x13["S2"] - v13 / v) <= x13["S2_conf"]  # Ishigami's only interaction
    assert abs(pairs.loc[("x1", "x2"), "S2"]) <= pairs.loc[("x1", "x2"), "S2_conf"]


def test_only_replications_finished_at_every_point_are_averaged(tmp_path):
    # Replication 1 (output + 5) is missing at half the points, as after Ctrl-C: mixing it in
    # would read its offset as an effect of the parameters at the points that have it.
    manifest, runs = synthetic_store(tmp_path / "part", "morris", 10, ishigami, replications=2, noise=5.0, levels=4)
    half = len(manifest["points"]) // 2
    partial = runs[(runs["replication"] == 0) | (runs["point"] < half)]
    table, notes = analyse_store(manifest, partial)
    only_first, _ = analyse_store(manifest, runs[runs["replication"] == 0])
    assert np.allclose(table["mu_star"], only_first["mu_star"])
    assert any("left out" in note for note in notes)
    assert (table["replications"] == 1).all()


def test_charts_are_drawn_per_language(tmp_path):
    folder = tmp_path / "lang"
    synthetic_store(folder, "morris", 10, ishigami, levels=4)
    _, zh, _ = write_sensitivity(folder, lang="zh")
    _, en, _ = write_sensitivity(folder, lang="en")
    assert zh and en and {p.parent.parent.name for p in zh} == {"zh"} and {p.parent.parent.name for p in en} == {"en"}
    assert all(p.exists() for p in zh + en)


# ---------------------------------------------------------------- a researcher's review
def test_a_small_sobol_design_is_warned_in_the_plan_and_the_analysis(tmp_path):
    from sim.experiment import build_plan
    from tests.experiment.conftest import experiment_text

    sweep = '\n[sweep]\nmethod = "sobol"\nsamples = 8\n[sweep.parameters]\n"gridworkers.admin_share" = { low = 0.2, high = 0.6 }\n'
    path = tmp_path / "s.toml"
    path.write_text(experiment_text(name="s", scenarios=("baseline",), replications=1, days=3, sweep=sweep), encoding="utf-8")
    assert any("8 base samples can be far off" in w and "32 or more" in w for w in build_plan(path).warnings)
    path.write_text(experiment_text(name="s", scenarios=("baseline",), replications=1, days=3, sweep=sweep.replace("8", "32")), encoding="utf-8")
    assert not any("base samples" in w for w in build_plan(path).warnings)
    manifest, runs = synthetic_store(tmp_path / "small", "sobol", 8, ishigami, second_order=False)
    assert any("8 base samples can be far off" in note for note in analyse_store(manifest, runs)[1])


def test_an_unfinished_morris_batch_says_which_trajectories_and_replications_it_used(tmp_path):
    manifest, runs = synthetic_store(tmp_path / "cut", "morris", 10, ishigami, replications=2, levels=4)
    manifest["replications"] = 2
    size = 4  # points per trajectory: three parameters + 1
    cut = runs[(runs["replication"] == 0) & (runs["point"] < 8 * size)]  # Ctrl-C: replication 1 never ran, two trajectories short
    table, notes = analyse_store(manifest, cut)
    assert (table["trajectories"] == 8).all() and (table["replications"] == 1).all() and (table["runs"] == 8 * size).all()
    unbalanced = pd.concat([cut, runs[(runs["replication"] == 1) & (runs["point"] < 4)]])  # replication 1 at one trajectory: left out
    table, _ = analyse_store(manifest, unbalanced)
    assert (table["runs"] == 8 * size).all() and (table["finished_runs"] == 8 * size + 4).all()  # a later report compares with all finished
    assert any("8 of 10 Morris trajectories" in note for note in notes)
    assert any("1 of 2 replications" in note for note in notes)


def test_the_report_shows_the_design_the_stored_warnings_and_stale_charts(tmp_path):
    from sim.analysis import write_report

    folder = tmp_path / "m"
    manifest, runs = synthetic_store(folder, "morris", 10, ishigami, levels=4)
    manifest.update(replications=1, days=365, configs={}, scenarios=[{"name": "s"}], baseline="s", model_version="0")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    runs = runs.assign(seed=7)  # the report reads the store's bookkeeping too
    runs.iloc[: 8 * 4].to_parquet(folder / "runs.parquet")  # the analysis runs mid-batch
    write_sensitivity(folder, lang="en")
    assert "have finished since" not in write_report(folder, lang="en").read_text(encoding="utf-8")
    runs.to_parquet(folder / "runs.parquet")  # then the batch finishes
    html = write_report(folder, lang="en").read_text(encoding="utf-8")
    assert "Design: morris, 10 trajectories, 4 levels, 40 points, 1 replications each" in html and "<td>x1</td><td>-3.14159</td><td>3.14159</td>" in html
    assert "8 of 10 Morris trajectories" in html  # the analysis's warning, kept with the indices
    assert "computed from 32 runs; 40 have finished since" in html
    assert "t intervals" not in html and "bootstrap" in html


def test_an_lhs_batch_reports_each_measure_against_each_parameter(tmp_path):
    sweep = '\n[sweep]\nmethod = "lhs"\nsamples = 6\n[sweep.parameters]\n"residents.logit_intercept" = { low = -6, high = -2 }\n"gridworkers.admin_share" = { low = 0.2, high = 0.6 }\n'
    html = run_batch(tmp_path, "l", sweep, days=20)
    assert '<figure id="responses">' in html and "Spearman" in html and "govsim sensitivity" not in html  # was: empty, pointing to a command that refuses lhs
    runs = pd.read_parquet(tmp_path / "r" / "l" / "runs.parquet")
    rho = runs[["residents.logit_intercept", "participation_rate"]].rank().corr().iloc[0, 1]
    assert rho > 0.8  # a higher intercept, more willing residents
    assert f"<td>residents.logit_intercept</td><td>{rho:.2f}".replace("-", "−") in html


def test_the_report_of_a_second_order_sobol_design_shows_the_strongest_interactions(tmp_path):
    from sim.analysis import write_report

    folder = tmp_path / "s2r"
    manifest, runs = synthetic_store(folder, "sobol", 256, ishigami, second_order=True)
    manifest.update(replications=1, days=365, configs={}, scenarios=[{"name": "s"}], baseline="s", model_version="0")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    runs.assign(seed=7).to_parquet(folder / "runs.parquet")
    write_sensitivity(folder, lang="en")
    html = write_report(folder, lang="en").read_text(encoding="utf-8")
    assert "Pairwise interactions (second-order S2)" in html
    rows = html[html.index("Pairwise interactions"):].split("</table>")[0].split("<tr>")[2:]
    assert len(rows) == 3 and "x1 × x3" in rows[0]  # Ishigami's only interaction comes first, and is clear
    assert rows[0].endswith("<td>yes</td></tr>") and all(r.count("<td></td>") == 1 for r in rows[1:])
    (folder / "sensitivity_s2.parquet").unlink()  # a first-order design: no table
    assert "Pairwise interactions" not in write_report(folder, lang="en").read_text(encoding="utf-8")


def test_a_sensitivity_chart_calls_the_scenario_by_the_experiments_own_label(tmp_path):
    folder = tmp_path / "labelled"
    manifest, _ = synthetic_store(folder, "morris", 10, ishigami, levels=4)
    (folder / "manifest.json").write_text(json.dumps({**manifest, "labels": {"s": "Street pilot"}, "labels_zh": {"s": "街道试点"}}))
    for lang, title in (("en", "Morris screening: Street pilot"), ("zh", "Morris 筛选：街道试点")):
        _, figures, _ = write_sensitivity(folder, lang=lang)
        assert title in figures[0].with_suffix(".svg").read_text(encoding="utf-8")  # the title, as the SVG's comment on its text
