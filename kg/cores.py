"""How many cores this process may run on, which bounds the worker processes it starts."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """Return the cores this process may run on: its CPU affinity where the platform has one
    (a container or ``taskset`` may allow fewer than the machine has), else every core.

    >>> usable_cores() >= 1
    True
    """
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)
