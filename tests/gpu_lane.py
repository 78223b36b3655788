"""A watch on the generator's GPU lane, for tests and benchmarks: when it was busy, and never twice at once.

`GpuLaneWatch(generator)` wraps the generator's blocking diffusion call (the part that holds the accelerator)
and records each call's start and end; `max_concurrent` must stay 1. `detach()` puts the generator back.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class GpuLaneWatch:
    def __init__(self, generator: Any) -> None:
        self._generator = generator
        self._original = generator._generate_blocking
        self._lock = threading.Lock()
        self._active = 0
        self.max_concurrent = 0
        self.intervals: list[tuple[float, float]] = []

        def watched(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            with self._lock:
                self._active += 1
                self.max_concurrent = max(self.max_concurrent, self._active)
            try:
                return self._original(*args, **kwargs)
            finally:
                with self._lock:
                    self._active -= 1
                    self.intervals.append((started, time.monotonic()))

        generator._generate_blocking = watched

    def busy_seconds(self, start: float | None = None, end: float | None = None) -> float:
        """Seconds the lane was busy within [start, end] (monotonic clock)."""
        total = 0.0
        for begin, finish in self.intervals:
            lo = begin if start is None else max(begin, start)
            hi = finish if end is None else min(finish, end)
            total += max(0.0, hi - lo)
        return total

    def detach(self) -> None:
        self._generator._generate_blocking = self._original
