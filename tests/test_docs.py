"""The documentation describes the code: generated ODD parts are current."""

from __future__ import annotations

import re

from sim.docs import ODD, render
from sim.registry import parameters


def test_every_parameter_has_unit_range_default_and_source():
    rows = parameters()
    assert len(rows) > 80
    for p in rows:
        assert p.unit and p.source and p.description, p.path
        if p.kind in ("float", "int"):
            assert p.low is not None and p.high is not None, f"{p.path} has no range"
            assert p.low <= p.default <= p.high, p.path


def test_odd_generated_sections_are_current():
    text = ODD.read_text(encoding="utf-8")
    assert render(text) == text, "docs/ODD.md is stale: run `python -m sim.docs`"
    for p in parameters():
        assert f"`{p.path}`" in text


def test_readme_test_command_is_what_ci_runs():

    root = ODD.parent.parent
    ci = (root / ".ci" / "run").read_text()
    readme = (root / "README.md").read_text()
    command = re.search(r"^TEST_COMMAND='(.+)'$", ci, re.M).group(1)
    assert command in readme
    assert "govsim run" in readme
