"""Residents' problems (needs and complaints) as a growing column table.

Lifecycle: arisen → discovered (resident report, gridworker patrol, or a
mechanism's channel) → routed → queued at a service pool (or referred to a
department, or held by a mechanism) → in service → resolved, or abandoned
when nobody has resolved it within the patience time. Resolved problems are
rated by residents. Small problems can be settled with the community's own
resources; big ones need stakeholders or departments (seed 000 §4).

Times are in days; a problem's events carry a fractional time of day so that
the service pools are exact continuous-time queues (see :mod:`service`).
"""

from __future__ import annotations

from math import isnan

import numpy as np

from .params import PROBLEM_KINDS

# status codes
UNDISCOVERED, DISCOVERED, ROUTED, QUEUED, IN_SERVICE, HELD, RESOLVED, ABANDONED = range(8)
N_STATUSES = 8

# Discovery channels. A mechanism that needs a new channel adds its name here,
# so codes never collide and every report can say who found what.
CHANNELS = {
    "none": -1, "resident": 0, "patrol": 1, "rider": 2, "sensor": 3, "party": 4,
    "online": 5, "volunteer": 6, "order": 7, "emergency": 8,
}

_FIELDS = {
    "building": (np.int32, -1),
    "kind": (np.int8, -1),
    "big": (np.bool_, False),
    "arose": (np.float64, np.nan),
    "discovered": (np.float64, np.nan),
    "channel": (np.int8, -1),
    "reporter": (np.int64, -1),
    "status": (np.int8, UNDISCOVERED),
    "pool": (np.int32, -1),
    "ready": (np.float64, np.nan),  # time a referred problem reaches its pool
    "work": (np.float64, np.nan),
    "started": (np.float64, np.nan),
    "finish": (np.float64, np.nan),
    "closed": (np.float64, np.nan),
    "rating": (np.float32, np.nan),
}


class Problems:
    """All problems of a run, one row each, in order of arising."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        for name, (dtype, fill) in _FIELDS.items():
            setattr(self, name, np.full(capacity, fill, dtype=dtype))

    def _grow(self, need: int) -> None:
        cap = len(self.status)
        if need <= cap:
            return
        new_cap = max(need, 2 * cap)
        for name, (dtype, fill) in _FIELDS.items():
            old = getattr(self, name)
            new = np.full(new_cap, fill, dtype=dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def add(self, building: np.ndarray, kind: np.ndarray, big: np.ndarray, arose: np.ndarray) -> np.ndarray:
        """Append new problems; returns their ids."""
        k = len(building)
        self._grow(self.n + k)
        new = slice(self.n, self.n + k)
        self.building[new] = building
        self.kind[new] = kind
        self.big[new] = big
        self.arose[new] = arose
        self.status[new] = UNDISCOVERED
        self.n += k
        return np.arange(new.start, new.stop)

    def view(self, name: str) -> np.ndarray:
        """The filled part of a column."""
        return getattr(self, name)[: self.n]

    def discover(self, ids: np.ndarray, t: np.ndarray, channel: int, reporter: np.ndarray | None = None) -> None:
        self.status[ids] = DISCOVERED
        self.discovered[ids] = t
        self.channel[ids] = channel
        if reporter is not None:
            self.reporter[ids] = reporter

    def close(self, ids: np.ndarray, t: np.ndarray | float, resolved: bool, half_life: float, *, timed: bool = False) -> None:
        """Resolve or abandon; residents rate a resolved problem by how long it took.

        ``timed``: ready, start and finish times are set already (nothing to fill in).
        """
        if len(ids) <= 4:
            self._close_few(ids, t, resolved, half_life, timed)
            return
        self.status[ids] = RESOLVED if resolved else ABANDONED
        self.closed[ids] = t
        if timed:
            self.rating[ids] = 0.5 ** ((self.closed[ids] - self.arose[ids]) / half_life)
        elif resolved:
            # A problem a mechanism settled outside the pools: its lifecycle is still complete.
            self.ready[ids] = np.where(np.isnan(self.ready[ids]), self.discovered[ids], self.ready[ids])
            self.started[ids] = np.where(np.isnan(self.started[ids]), self.ready[ids], self.started[ids])
            self.finish[ids] = np.where(np.isnan(self.finish[ids]), self.closed[ids], self.finish[ids])
            self.rating[ids] = 0.5 ** ((self.closed[ids] - self.arose[ids]) / half_life)
        else:
            self.rating[ids] = 0.0

    def _close_few(self, ids: np.ndarray, t: np.ndarray | float, resolved: bool, half_life: float, timed: bool) -> None:
        """``close`` for a handful of problems, in Python scalars (same float64 arithmetic)."""
        times = np.broadcast_to(np.asarray(t, dtype=float), (len(ids),)).tolist()
        rows = ids.tolist()
        for i, closed in zip(rows, times):
            self.status[i] = RESOLVED if resolved else ABANDONED
            self.closed[i] = closed
            if resolved and not timed:
                if isnan(self.ready[i]):
                    self.ready[i] = self.discovered[i]
                if isnan(self.started[i]):
                    self.started[i] = self.ready[i]
                if isnan(self.finish[i]):
                    self.finish[i] = closed
        if resolved:
            # numpy's power, not Python's: they differ in the last bit
            self.rating[ids] = 0.5 ** ((self.closed[ids] - self.arose[ids]) / half_life)
        else:
            self.rating[ids] = 0.0

    def kind_name(self, i: int) -> str:
        return PROBLEM_KINDS[int(self.kind[i])]
