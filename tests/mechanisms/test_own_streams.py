"""Mechanisms draw only from their own random stream (docs/mechanisms.md).

A draw a mechanism takes from a core stream shifts every later draw of that
stream, so switching the mechanism on would reshuffle the core's randomness
and blur the paired comparisons the report makes. Core helpers that draw
(``time_in_day``, ``send_to_pool``, ``mobilise``) take the mechanism's ``rng``.
"""

from __future__ import annotations

import sys

import pytest

from sim import GovernanceModel
from sim.mechanisms import available
from tests.conftest import SCENARIOS, SMALL


class Watched:
    """A core stream that records draws made while a mechanism's code is on the stack."""

    def __init__(self, name: str, generator, log: list) -> None:
        self._name, self._generator, self._log = name, generator, log

    def __getattr__(self, attr):
        value = getattr(self._generator, attr)
        if not callable(value):
            return value

        def draw(*args, **kwargs):
            frame = sys._getframe(1)
            while frame is not None:
                if "sim/mechanisms/" in frame.f_code.co_filename.replace("\\", "/"):
                    self._log.append((self._name, attr, frame.f_code.co_filename.rsplit("/", 1)[-1], frame.f_lineno))
                    break
                frame = frame.f_back
            return value(*args, **kwargs)

        return draw


@pytest.mark.parametrize("name", sorted(available()))
def test_a_mechanism_draws_only_from_its_own_stream(name):
    # emergency_conversion acts only under a shock: the shocks arrive on days 90 and 200
    days = 230 if name == "emergency_conversion" else 90
    model = GovernanceModel(scenario=SCENARIOS / f"{name}.toml", rng=4, overrides=dict(SMALL))
    log: list = []
    model.streams = {key: Watched(key, stream, log) for key, stream in model.streams.items()}
    for _ in range(days):
        model.step()
    assert not log, f"{name} drew from core streams: {sorted(set(log))[:5]}"
