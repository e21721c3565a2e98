"""Progress of a batch: a live bar on a terminal, a plain line now and then in a log.

Both show runs done and failed out of the total, the rate of this session
and the time left at that rate. :class:`DayProgress` does the same for the
days of one long run (a district year runs for tens of seconds).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # NaN or no rate yet
        return "?"
    if seconds < 1:
        return "<1s"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class Progress:
    def __init__(self, total: int, already: int = 0, stream: TextIO | None = None, live: bool | None = None, every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.total, self.already = total, already
        self.done = self.failed = 0  # in this session
        self.every = every if not self.live else 0.2
        self.started = self.last = time.monotonic()

    @property
    def rate(self) -> float:
        """Runs a minute in this session."""
        elapsed = time.monotonic() - self.started
        return 60 * (self.done + self.failed) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        finished = self.already + self.done + self.failed
        rate = self.rate
        left = self.total - finished
        eta = "0s" if left <= 0 else duration(60 * left / rate) if rate else "?"
        return f"{finished}/{self.total} runs, {self.failed} failed, {rate:.1f} runs/min, ETA {eta}"

    def update(self, ok: bool | None = None) -> None:
        """Count one finished run (``ok`` True or False), or just refresh (None)."""
        if ok is True:
            self.done += 1
        elif ok is False:
            self.failed += 1
        if time.monotonic() - self.last >= self.every:
            self.show()

    def show(self) -> None:
        self.last = time.monotonic()
        if self.live:
            finished = self.already + self.done + self.failed
            width = 30
            filled = int(width * finished / self.total) if self.total else width
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.line()}   ")
        else:
            self.stream.write(f"{time.strftime('%H:%M:%S')} {self.line()}\n")
        self.stream.flush()

    def close(self) -> None:
        self.show()
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


class DayProgress:
    """Days done of one run, as :class:`Progress` shows runs: live on a terminal, a line every ``every`` seconds in a log."""

    def __init__(self, days: int, stream: TextIO | None = None, live: bool | None = None, every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.days, self.day = days, 0
        self.every = every if not self.live else 0.2
        self.started = self.last = time.monotonic()

    def building(self, what: str) -> None:
        """Say what is being built before the first day: a district's world takes seconds."""
        self._write(f"building {what} ...")

    def start(self) -> None:
        """The first day begins: the rate and the time left count days only, not the build."""
        self.started = self.last = time.monotonic()

    def update(self, day: int) -> None:
        self.day = day
        if time.monotonic() - self.last >= self.every:
            self.show()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.day / elapsed if elapsed > 0 else 0.0
        eta = "0s" if self.day >= self.days else duration((self.days - self.day) / rate) if rate else "?"
        return f"day {self.day}/{self.days}, {rate:.1f} days/s, ETA {eta}"

    def show(self) -> None:
        self.last = time.monotonic()
        self._write(self.line())

    def _write(self, text: str) -> None:
        self.stream.write(f"\r{text}   " if self.live else f"{time.strftime('%H:%M:%S')} {text}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the live line, so what follows starts on its own; a log needs no last line."""
        if self.live:
            self.show()
            self.stream.write("\n")
            self.stream.flush()
