"""Readable progress lines for long stages (SFT, GRPO, generation, evaluation).

One line per report, to stderr (so the reproducible logs/ and metrics never see wall-clock):

    [sft_polychromic seed42] step 10/40 (25%) loss 3.214 diversity 0.412 | 2.3 s/step, 0:23 elapsed, ~1:09 left

A line is printed every ``every`` units, at the last one, and whenever ``max_quiet_seconds``
passed since the previous line, so even slow steps show a sign of life.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    seconds = int(round(max(0.0, seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_figure(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e-3 and value != 0 else f"{value:.3f}"
    return str(value)


class Progress:
    """Counts ``done`` of ``total`` units and prints step/total, figures, rate and time left."""

    def __init__(self, name: str, total: int, *, unit: str = "step", every: int | None = None,
                 max_quiet_seconds: float = 30.0, stream: TextIO | None = None, clock=time.perf_counter):
        if total <= 0:
            raise ValueError(f"progress total must be > 0, got {total}")
        self.name, self.total, self.unit = name, total, unit
        self.every = every or max(1, total // 10)
        self.max_quiet_seconds = max_quiet_seconds
        self.stream = stream
        self.clock = clock
        self.start = self.last_print = clock()
        self.done = 0

    def line(self, figures: dict) -> str:
        elapsed = self.clock() - self.start
        rate = elapsed / self.done if self.done else float("nan")
        left = rate * (self.total - self.done)
        shown = " ".join(f"{k} {format_figure(v)}" for k, v in figures.items())
        pct = 100.0 * self.done / self.total
        return (f"[{self.name}] {self.unit} {self.done}/{self.total} ({pct:.0f}%)"
                f"{' ' + shown if shown else ''} | {rate:.2f} s/{self.unit}, "
                f"{format_duration(elapsed)} elapsed, ~{format_duration(left)} left")

    def update(self, n: int = 1, **figures) -> str | None:
        """Advance by ``n`` units; print (and return) a line when one is due."""
        self.done = min(self.total, self.done + n)
        now = self.clock()
        due = (self.done % self.every == 0 or self.done == self.total
               or now - self.last_print >= self.max_quiet_seconds)
        if not due:
            return None
        self.last_print = now
        text = self.line(figures)
        print(text, file=self.stream or sys.stderr, flush=True)
        return text
