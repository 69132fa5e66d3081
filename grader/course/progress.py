"""Progress of a batch as text: a bar with throughput and ETA on a terminal, occasional plain lines in logs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

BAR_WIDTH = 28
LOG_EVERY_S = 10.0


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclass
class Progress:
    """Counts graded jobs; `update` says what to show now, if anything."""

    total: int
    terminal: bool
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    problems: int = 0
    _shown_at: float = 0.0
    _shown_step: int = -1

    def status(self, now: float | None = None) -> str:
        """`120/200 graded, 3 errors, 41.2/s, ETA 2s`."""
        elapsed = (now or time.monotonic()) - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = f"{self.done}/{self.total} graded"
        if self.problems:
            text += f", {self.problems} could not run to the end"
        if self.done and self.done < self.total:
            text += f", {rate:.1f}/s, ETA {_duration((self.total - self.done) / rate)}"
        elif self.done:
            text += f" in {_duration(elapsed)}, {rate:.1f}/s"
        return text

    def update(self, *, problem: bool = False, now: float | None = None) -> str | None:
        """Count one graded job; the text to show, or None when the last one shown is recent enough."""
        self.done += 1
        self.problems += problem
        now = now or time.monotonic()
        finished = self.done == self.total
        if self.terminal:
            if not finished and now - self._shown_at < 0.1:
                return None
            self._shown_at = now
            filled = BAR_WIDTH * self.done // max(self.total, 1)
            return (f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.status(now)}\x1b[K"
                    + ("\n" if finished else ""))
        step = 10 * self.done // max(self.total, 1)  # a line per tenth, or every LOG_EVERY_S, and at the end
        if finished or step != self._shown_step or now - self._shown_at >= LOG_EVERY_S:
            self._shown_step, self._shown_at = step, now
            return self.status(now) + "\n"
        return None
