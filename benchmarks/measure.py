"""Run one benchmark phase in its own process and measure its time and peak memory.

Each phase runs as ``python -m benchmarks.phases NAME ARGS_JSON`` so that phases never share a
heap: what one phase allocated cannot inflate the next one's peak. Peak memory is measured two
ways, because the project uses helper processes (validation workers, the Java reasoner):
- ``peak_rss_mb``: the largest sum of resident memory over the phase's whole process tree, sampled
  from /proc every 0.1 s (short spikes between samples can be missed);
- ``max_process_rss_mb``: the largest single process, exact, from the kernel (``wait4``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLE_SECONDS = 0.1
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class PhaseRun:
    """The outcome of one phase: its own result, wall time and memory, and whether it finished."""

    name: str
    status: str  # ok | timeout | failed
    wall_seconds: float
    peak_rss_mb: float
    max_process_rss_mb: float
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    cpu_seconds: float = 0.0  # user + system, the phase and the workers it waited for

    @property
    def ok(self) -> bool:
        """True when the phase ran to the end."""
        return self.status == "ok"


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_rss_kb(pid: int) -> int:
    """Return the resident memory of a process and all its descendants, in KiB (0 if gone).

    >>> tree_rss_kb(os.getpid()) > 0
    True
    """
    children = _children_map()
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        pending.extend(children.get(current, ()))
        try:
            with open(f"/proc/{current}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE_KB
        except OSError:
            continue
    return total


def run_phase(
    name: str, args: dict[str, Any], *, timeout: float, log: Path | None = None
) -> PhaseRun:
    """Run ``benchmarks.phases`` phase ``name`` in a fresh interpreter and measure it.

    :param name: the phase, a function name in :mod:`benchmarks.phases`.
    :param args: its JSON-serialisable arguments.
    :param timeout: seconds after which the phase's process group is killed.
    :param log: where to append the phase's stderr (progress and tracebacks).
    :returns: the measurements and the phase's own JSON result.
    """
    with tempfile.NamedTemporaryFile("w+", suffix=".json", delete=False) as out:
        result_path = Path(out.name)
    command = [sys.executable, "-m", "benchmarks.phases", name, json.dumps(args), str(result_path)]
    stderr = log.open("a") if log else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(command, stderr=stderr, stdout=stderr, start_new_session=True)
    peak, status = 0, "ok"
    rusage = None
    while True:
        pid, wait_status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss_kb(process.pid))
        if time.perf_counter() - started > timeout:
            os.killpg(process.pid, signal.SIGKILL)
            status = "timeout"
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    if log:
        stderr.close()  # type: ignore[union-attr]
    result: dict[str, Any] = {}
    error = ""
    if status == "ok" and process.returncode != 0:
        status, error = "failed", f"exit code {process.returncode}; see {log}"
    if result_path.stat().st_size:
        result = json.loads(result_path.read_text())
    result_path.unlink(missing_ok=True)
    max_rss = rusage.ru_maxrss / 1024 if rusage else 0.0
    cpu = rusage.ru_utime + rusage.ru_stime if rusage else 0.0
    return PhaseRun(name, status, wall, max(peak / 1024, max_rss), max_rss, result, error, cpu)
