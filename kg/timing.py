"""Time named stages of a long run, so its report can say where the time went."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class StageTimer:
    """Accumulated seconds and call counts per named stage.

    >>> timer = StageTimer()
    >>> with timer("read"):
    ...     pass
    >>> timer.calls
    {'read': 1}
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time a block under a stage name (a block nested in another is counted in both)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            self.calls[name] = self.calls.get(name, 0) + 1
