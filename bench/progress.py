"""A progress bar with an ETA over a whole suite, from per-item estimates corrected by how
long the finished items really took."""
from __future__ import annotations

import sys
import time
from typing import Callable


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    WIDTH = 30

    def __init__(self, estimates: list[float], out: Callable[[str], None]):
        self.estimates = estimates
        self.total = sum(estimates) or 1.0
        self.out = out
        self.started = time.monotonic()
        self.done_estimate = 0.0
        self.tty = sys.stderr.isatty()
        self.label = ""
        self.index = 0

    def _line(self) -> str:
        elapsed = time.monotonic() - self.started
        fraction = min(1.0, self.done_estimate / self.total)
        # scale the remaining estimate by how fast the finished part went
        speed = (elapsed / self.done_estimate) if self.done_estimate > 0 else 1.0
        eta = (self.total - self.done_estimate) * speed
        bar = "#" * int(fraction * self.WIDTH) + "." * (self.WIDTH - int(fraction * self.WIDTH))
        return (f"[{bar}] {fraction * 100:3.0f}%  {self.index + 1}/{len(self.estimates)}  "
                f"elapsed {_clock(elapsed)}  ETA {_clock(eta)}  {self.label}")

    def _show(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K" + self._line())
            sys.stderr.flush()
        else:
            self.out(self._line())

    def begin(self, index: int, label: str) -> None:
        self.index, self.label = index, label
        self._show()

    def end(self, index: int) -> None:
        self.done_estimate += self.estimates[index]

    def close(self) -> None:
        if self.tty:
            self.label = "done"
            self._show()
            sys.stderr.write("\n")
