"""Shared fixtures: small worlds keep the suite fast on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# A small world (one community of 1,500 residents) for behavioural tests.
SMALL = {"world.residents": 1500, "world.zones": 4, "world.buildings_per_zone": 8}


def run_model(days: int = 60, rng: int = 1, scenario=None, **overrides):
    """Build a GovernanceModel on the small world, run it, return the model."""
    from sim import GovernanceModel

    model = GovernanceModel(scenario=scenario, rng=rng, overrides={**SMALL, **overrides})
    for _ in range(days):
        model.step()
    return model


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS
