"""Tiny experiments for the batch tests: small worlds, few days, fast on 2 cores."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS

TINY = {"world.residents": 300, "world.zones": 2, "world.buildings_per_zone": 4}


def experiment_text(name: str = "tiny", scenarios=("baseline", "burden_reduction"), replications: int = 3, days: int = 20, base_seed: int = 11, extra: str = "", sweep: str = "") -> str:
    listed = ", ".join(f'"{(SCENARIOS / f"{s}.toml").as_posix()}"' for s in scenarios)
    overrides = "\n".join(f'"{k}" = {v}' for k, v in TINY.items())
    head = f"""
        [experiment]
        name = "{name}"
        scenarios = [{listed}]
        replications = {replications}
        base_seed = {base_seed}
        days = {days}
        {extra}

        [overrides]
    """
    return textwrap.dedent(head) + overrides + "\n" + textwrap.dedent(sweep)


@pytest.fixture
def write_experiment(tmp_path: Path):
    """Write an experiment file into tmp_path and return its path."""

    def write(text: str | None = None, file: str = "exp.toml", **kwargs) -> Path:
        path = tmp_path / file
        path.write_text(text if text is not None else experiment_text(**kwargs), encoding="utf-8")
        return path

    return write
