"""Damaged or unusable input: one clear message naming the file, exit 2, nothing written, no traceback."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.analysis import figures
from sim.analysis.cli import report as report_command
from sim.analysis.results import SPATIAL
from sim.cli import snapshot as snapshot_command

from .conftest import manifest_for, run_row, write_store

OLD = b"the previous version"


@pytest.fixture
def small_store(tmp_path) -> pathlib.Path:
    """Baseline and one mechanism, two done replications each, with a previous report and figures (stand-ins)."""
    rows = [run_row(s, r, participation_rate=0.25 + 0.01 * r + (0.03 if s != "baseline" else 0)) for s in ("baseline", "points_incentive") for r in range(2)]
    folder = write_store(tmp_path / "small", pd.DataFrame(rows), manifest_for("small", ["baseline", "points_incentive"], 2))
    (folder / "figures" / "en").mkdir(parents=True)
    for name in ("comparison.png", "comparison.svg", "spatial.png"):
        (folder / "figures" / "en" / name).write_bytes(OLD)
    (folder / "report.html").write_bytes(OLD)
    return folder


@pytest.fixture
def fast_figures(monkeypatch):
    """Figures saved as placeholder bytes without rendering: these tests are about which files survive."""
    import matplotlib.pyplot as plt

    def save(self, fig, name):
        self.folder.mkdir(parents=True, exist_ok=True)
        plt.close(fig)
        for suffix in ("png", "svg"):
            (self.folder / f"{name}.{suffix}").write_bytes(b"new " + name.encode())
        return self.folder / f"{name}.png"

    monkeypatch.setattr(figures.Painter, "save", save)


def previous_kept(folder: pathlib.Path) -> bool:
    """report.html and figures/en/ are exactly what they were before the failed command."""
    kept = sorted(p.name for p in (folder / "figures" / "en").iterdir()) == ["comparison.png", "comparison.svg", "spatial.png"]
    same = all(p.read_bytes() == OLD for p in (folder / "figures" / "en").iterdir())
    leftovers = [p.name for p in (folder / "figures").iterdir() if p.name != "en"] + [p.name for p in folder.glob(".*")]
    return kept and same and (folder / "report.html").read_bytes() == OLD and not leftovers


def invoke(command, *args):
    result = CliRunner().invoke(command, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


# ---------------------------------------------------------------- 1. damaged results files
def test_garbage_runs_parquet(small_store):
    (small_store / "runs.parquet").write_bytes(b"not parquet at all")
    for command in (report_command, snapshot_command):
        result = invoke(command, small_store, *(["--lang", "en"] if command is report_command else []))
        assert result.exit_code == 2, result.output
        assert "runs.parquet is damaged" in result.output and "govsim run" in result.output
        assert "Traceback" not in result.output
    assert previous_kept(small_store) and not (small_store / SPATIAL).exists()


def test_truncated_series_part_leaves_the_previous_report(small_store):
    part = next((small_store / "series").glob("part-*.parquet"))
    part.write_bytes(part.read_bytes()[:200])
    result = invoke(report_command, small_store, "--lang", "en")
    assert result.exit_code == 2, result.output
    assert f"{part.name} is damaged" in result.output and "--fresh" in result.output
    assert previous_kept(small_store)


@pytest.mark.parametrize("content", [b"garbage", b"PK\x03\x04 truncated zip"])
def test_garbage_spatial_npz_leaves_the_previous_report(small_store, content):
    (small_store / SPATIAL).write_bytes(content)
    result = invoke(report_command, small_store, "--lang", "en")
    assert result.exit_code == 2, result.output
    assert "spatial.npz is damaged" in result.output and f"govsim snapshot {small_store}" in result.output
    assert previous_kept(small_store)


def test_spatial_npz_without_its_layers(small_store):
    meta = [{"scenario": "baseline", "point": 0, "replication": 0, "seed": 100, "days": 365}]
    np.savez_compressed(small_store / SPATIAL, meta=np.array(json.dumps(meta)))  # no 0.participation etc.
    result = invoke(report_command, small_store, "--lang", "en")
    assert result.exit_code == 2 and "spatial.npz is damaged" in result.output
    assert previous_kept(small_store)


def test_a_failure_while_drawing_leaves_the_previous_figures(small_store, monkeypatch, fast_figures):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(figures, "time_series", broken)  # drawn after the comparison figures
    result = invoke(report_command, small_store, "--lang", "en")
    assert result.exit_code == 1 and "No space left" in result.output, result.output
    assert previous_kept(small_store)


def test_a_finished_report_replaces_the_figures(small_store, fast_figures):
    result = invoke(report_command, small_store, "--lang", "en")
    assert result.exit_code == 0, result.output
    names = {p.name for p in (small_store / "figures" / "en").iterdir()}
    assert "comparison.png" in names and "spatial.png" not in names  # no snapshot now: the old map went with the old report
    assert (small_store / "figures" / "en" / "comparison.png").read_bytes() == b"new comparison"
    assert (small_store / "report.html").read_bytes() != OLD
    assert [p.name for p in (small_store / "figures").iterdir()] == ["en"] and not list(small_store.glob(".*"))


# ---------------------------------------------------------------- 2. an output path that cannot be written
def test_report_out_in_a_missing_folder(small_store, tmp_path):
    out = tmp_path / "no" / "such" / "r.html"
    result = invoke(report_command, small_store, "--lang", "en", "--out", out)
    assert result.exit_code == 2 and f"{out.parent}/ does not exist" in result.output, result.output
    assert previous_kept(small_store) and not out.parent.exists()


def test_report_out_unwritable(small_store, tmp_path, monkeypatch):
    touch = pathlib.Path.touch

    def refuse(self, *args, **kwargs):
        if self.parent == tmp_path / "locked":
            raise PermissionError(13, "Permission denied", str(self))
        return touch(self, *args, **kwargs)

    (tmp_path / "locked").mkdir()
    monkeypatch.setattr(pathlib.Path, "touch", refuse)
    out = tmp_path / "locked" / "r.html"
    result = invoke(report_command, small_store, "--lang", "en", "--out", out)
    assert result.exit_code == 2 and f"cannot write the report to {out}: Permission denied" in result.output, result.output
    assert previous_kept(small_store) and not list((tmp_path / "locked").iterdir())


@pytest.mark.parametrize("name", ["runs.parquet", "notes.toml"])
def test_report_out_never_replaces_a_file_that_is_not_a_report(small_store, tmp_path, name):
    target = small_store / name if name == "runs.parquet" else tmp_path / name
    if not target.exists():
        target.write_bytes(b"[experiment]\n")
    content = target.read_bytes()
    result = invoke(report_command, small_store, "--lang", "en", "--out", target)
    assert result.exit_code == 2 and f"cannot write the report to {target}: it exists and is not a report" in result.output
    assert target.read_bytes() == content and previous_kept(small_store)


def test_report_out_replaces_an_earlier_report(small_store, tmp_path, fast_figures):
    out = tmp_path / "report.en.html"
    out.write_text("<!DOCTYPE html>\n<html>an earlier report</html>")
    result = invoke(report_command, small_store, "--lang", "en", "--out", out)
    assert result.exit_code == 0, result.output
    assert "an earlier report" not in out.read_text() and "small" in out.read_text()


# ---------------------------------------------------------------- 3. results of another model version
def test_snapshot_of_results_from_another_model_version(tmp_path):
    rows = [run_row("baseline", r) for r in range(2)]
    manifest = manifest_for("old", ["baseline"], 2)
    manifest["configs"]["baseline"]["mechanisms"] = {"micro_venture": {"incubated_volunteers": 3}}  # a parameter since removed
    folder = write_store(tmp_path / "old", pd.DataFrame(rows), manifest)
    result = invoke(snapshot_command, folder)
    assert result.exit_code == 2, result.output
    assert "another model version" in result.output and "incubated_volunteers" in result.output
    assert "manifest.json" in result.output and "--fresh" in result.output
    assert not (folder / SPATIAL).exists()


# ---------------------------------------------------------------- 4-5. govsim sensitivity
def morris_store(folder: pathlib.Path) -> None:
    from sim.experiment import sampling

    dims = [sampling.Dimension(name, 0.0, 1.0) for name in ("a", "b")]
    points = sampling.morris(dims, 4, 4, 7)
    sweep = {"method": "morris", "samples": 4, "levels": 4, "parameters": {d.path: {"low": 0.0, "high": 1.0, "integer": False} for d in dims},
             "problem": sampling.salib_problem(dims)}
    rows = [{"key": str(i), "scenario": "s", "point": i, "replication": 0, "seed": 1, "status": "done", **p,
             "participation_rate": 2 * p["a"] + p["b"], "resolution_rate": p["b"]} for i, p in enumerate(points)]
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"experiment": "m", "base_seed": 7, "sweep": sweep, "points": points, "metrics": []}))
    pd.DataFrame(rows).to_parquet(folder / "runs.parquet")


def test_sensitivity_manifest_without_base_seed(tmp_path):
    from sim.analysis.sensitivity import SensitivityError, write_sensitivity

    pytest.importorskip("SALib")
    folder = tmp_path / "m"
    morris_store(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["base_seed"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SensitivityError, match=r"m/manifest\.json has no 'base_seed'"):
        write_sensitivity(folder)
    assert not (folder / "sensitivity.parquet").exists() and not (folder / "figures").exists()


def test_sensitivity_unknown_metric_is_an_error(tmp_path):
    from sim.analysis.sensitivity import SensitivityError, write_sensitivity

    pytest.importorskip("SALib")
    folder = tmp_path / "m"
    morris_store(folder)
    (folder / "sensitivity.parquet").write_bytes(OLD)
    with pytest.raises(SensitivityError, match="unknown metric 'typo'") as caught:
        write_sensitivity(folder, metrics=["typo", "participation_rate"])
    assert "participation_rate, resolution_rate" in str(caught.value)  # the valid ones, not the swept parameters
    assert (folder / "sensitivity.parquet").read_bytes() == OLD and not (folder / "figures").exists()
    with pytest.raises(SensitivityError, match="unknown metric 'participaton_rate'.*did you mean 'participation_rate'"):
        write_sensitivity(folder, metrics=["participaton_rate"])
    _, _, notes = write_sensitivity(folder, metrics=["participation_rate"])
    assert not notes and list(pd.read_parquet(folder / "sensitivity.parquet")["metric"].unique()) == ["participation_rate"]
