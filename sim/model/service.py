"""Service pools: who works on routed problems, and in which order.

A pool is a first-come-first-served queue with ``c`` servers of individual
speed (a gridworker's service hours and capacity, a department's staff). It
runs in continuous time inside each day: a job starts at ``max(ready time,
earliest free server)`` (the Kiefer-Wolfowitz recursion), so with Poisson
arrivals, equal speeds and exponential work it is exactly an M/M/c queue and
can be checked against the Erlang C formulas. A job that would start after its
patience deadline is abandoned at the deadline (reneging). Speeds may change
from one day to the next (turnover, training, burden).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .problems import IN_SERVICE, QUEUED, Problems


class ServicePool:
    """A multi-server FCFS queue; ``servers`` are rows of some staff table.

    ``duty`` is the share of their time the servers give this pool: a job
    takes ``work / speed`` once started, but the server is busy for
    ``work / (speed × duty)`` (a department officer who handles one
    community's case at full speed, then turns to other work).
    """

    def __init__(self, name: str, n_servers: int, index: int = -1, duty: float = 1.0) -> None:
        self.name = name
        self.index = index
        self.duty = duty
        self.speed = np.zeros(n_servers)
        self.free_at = np.zeros(n_servers)
        self.queue: deque[int] = deque()
        self.busy_time = 0.0
        self._next_free: float | None = None

    def set_speed(self, speed: np.ndarray, now: float) -> None:
        """New server speeds (work-days per day); added servers are free now, dropped ones leave."""
        speed = np.asarray(speed, dtype=float)
        if len(speed) > len(self.free_at):
            self.free_at = np.concatenate([self.free_at, np.full(len(speed) - len(self.free_at), now)])
        self.free_at = self.free_at[: len(speed)]
        self.speed = speed
        self._next_free = None  # earliest time a working server is free; None: not known

    def push_front(self, ids: np.ndarray) -> None:
        """Serve these queued jobs next (a priority, breaking first-come-first-served)."""
        self.queue.extendleft(int(i) for i in reversed(list(ids)))

    def enqueue(self, ids: np.ndarray) -> None:
        """Append jobs; callers pass them in order of their ready time."""
        self.queue.extend(int(i) for i in ids)

    def __len__(self) -> int:
        return len(self.queue)

    def serve(self, day: int, problems: Problems, deadline: np.ndarray | None) -> list[int]:
        """Start every job that a server can take before the day ends.

        ``deadline`` (per problem id, or None for no abandonment) is when a
        waiting job gives up; jobs that give up are left for the caller's
        abandonment sweep. Returns the ids started today.
        """
        if not self.queue or not len(self.speed):
            return []
        # Python scalars: a day starts a handful of jobs, and numpy's per-element
        # overhead would dominate (the arithmetic is the same float64).
        t_end = day + 1.0
        if self._next_free is None:
            working = self.speed > 0
            self._next_free = float(self.free_at[working].min()) if working.any() else np.inf
        free: list[float] | None = None  # built when a job can start today
        started: list[int] = []
        status, ready, work, pool_of = problems.status, problems.ready, problems.work, problems.pool
        queue, index = self.queue, self.index
        while queue:
            j = queue[0]
            if status[j] != QUEUED or pool_of[j] != index:  # closed, or moved to another pool
                queue.popleft()
                continue
            if free is None:
                if max(self._next_free, float(ready[j])) >= t_end:
                    break  # every server is busy all day (the usual case for a backlog)
                free = [f if v > 0 else np.inf for f, v in zip(self.free_at.tolist(), self.speed.tolist())]
                servers = range(len(free))
            s = min(servers, key=free.__getitem__)  # the earliest free server, lowest index on ties
            start = max(free[s], float(ready[j]))
            if start >= t_end:
                break
            queue.popleft()
            if deadline is not None and start > deadline[j]:
                continue  # it gave up before a server was free: swept as abandoned
            duration = float(work[j]) / float(self.speed[s])
            free[s] = self.free_at[s] = start + duration / self.duty
            self.busy_time += duration
            problems.started[j] = start
            problems.finish[j] = start + duration
            status[j] = IN_SERVICE
            started.append(j)
        if free is not None:
            self._next_free = min(free)
        return started
