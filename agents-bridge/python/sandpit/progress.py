"""Progress of long work on stderr, like the C tools' (include/sandpit/progress.h).

On a terminal one bar is redrawn in place with counts and the time left; otherwise a plain
line every few seconds (and a last one, if any was printed), so logs of short runs stay clean;
nothing when quiet. The wall clock here is for display only.
"""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

_BAR = 30
_TTY_INTERVAL = 0.1
_LINE_INTERVAL = 5.0


def _clock(seconds: float) -> str:
    t = int(max(0.0, seconds) + 0.5)
    if t >= 3600:
        return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}"
    return f"{t // 60}:{t % 60:02d}"


class Progress:
    """``p = Progress("suite", total); p.update(done); ...; p.finish()``."""

    def __init__(
        self, label: str, total: int, quiet: bool = False, stream: Optional[TextIO] = None
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(not quiet and isatty and isatty())
        self.printed = False
        self.start = self.last = time.monotonic()

    def _draw(self, now: float, final: bool) -> None:
        elapsed = now - self.start
        pct = int(100 * self.done / self.total) if self.total else 100
        if final:
            when = f"{_clock(elapsed)} elapsed"
        elif self.done:
            when = f"{_clock(elapsed / self.done * (self.total - self.done))} left"
        else:
            when = "? left"
        if self.tty:
            fill = _BAR * self.done // self.total if self.total else _BAR
            bar = "#" * fill + "." * (_BAR - fill)
            end = "\n" if final else ""
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {pct:3d}% {when}   {end}")
        else:
            self.stream.write(f"{self.label}: {self.done}/{self.total} ({pct}%), {when}\n")
        self.stream.flush()
        self.printed = True
        self.last = now

    def update(self, done: int) -> None:
        self.done = done
        if self.quiet:
            return
        now = time.monotonic()
        interval = _TTY_INTERVAL if self.tty else _LINE_INTERVAL
        if now - self.last >= interval or (self.tty and not self.printed):
            self._draw(now, False)

    def finish(self) -> None:
        if self.quiet or not (self.printed or self.tty):
            return
        self._draw(time.monotonic(), True)
