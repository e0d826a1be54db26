"""A `kg add` killed with SIGKILL part-way through a batch leaves a readable store in which every
case is either wholly present or absent, and running the same add again completes the batch.

`kg add` validates the whole batch, then writes each case in its own transaction
(kg.build.apply_plan). The test starts it on ~200 copies of the founding case in a subprocess,
watches the store through a read-only handle until some cases are written, kills it, and inspects
what is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from pyoxigraph import Quad
from pyoxigraph import Store as OxStore

from kg.cases import add_cases, expand_paths
from kg.paths import CASES_DIR, PROJECT_ROOT
from kg.rdf.vocab import CASE_BASE
from kg.store import EmbeddedStore
from tests.conftest import FOUNDING_CASE

CASE_COUNT = 200
KILL_AFTER = 5  # case graphs seen committed before the kill: well inside the batch
TIMEOUT_SECONDS = 300


def make_copies(folder: Path, count: int) -> list[Path]:
    """Copy the founding case under new ids; the copies differ from it only in the `id:` line."""
    text = (CASES_DIR / f"{FOUNDING_CASE}.yaml").read_text(encoding="utf-8")
    assert text.count(f"\nid: {FOUNDING_CASE}\n") == 1
    folder.mkdir()
    paths = []
    for n in range(count):
        path = folder / f"crash-{n:03d}.yaml"
        path.write_text(text.replace(f"\nid: {FOUNDING_CASE}\n", f"\nid: crash-{n:03d}\n"), "utf-8")
        paths.append(path)
    return paths


def case_quad_counts(quads: Iterable[Quad]) -> dict[str, int]:
    """Count the quads of every case graph."""
    counts: dict[str, int] = {}
    for quad in quads:
        graph = getattr(quad.graph_name, "value", "")
        if graph.startswith(CASE_BASE):
            counts[graph] = counts.get(graph, 0) + 1
    return counts


def committed_cases(directory: Path) -> int:
    """How many case graphs a reader sees now (0 while the store is still being created)."""
    try:
        reader = OxStore.read_only(str(directory))
        return sum(
            1 for g in reader.named_graphs() if getattr(g, "value", "").startswith(CASE_BASE)
        )
    except (OSError, RuntimeError):  # not created yet, or files replaced while opening: try again
        return 0


def start_add(directory: Path, folder: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start `kg add` in its own process, as a curator would from a shell."""
    env = {**os.environ, "KG_USER": "crash-test", "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-m", "kg", "add", "--store", str(directory), str(folder)]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT
        )


def kill_mid_batch(process: subprocess.Popen[bytes], directory: Path, log: Path) -> int:
    """Kill the add with SIGKILL once a few cases are committed; return how many were seen."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    seen = 0
    while time.monotonic() < deadline and process.poll() is None:
        seen = committed_cases(directory)
        if seen >= KILL_AFTER:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return seen
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"`kg add` ended before it could be killed mid-batch:\n{log.read_text()}")


@pytest.mark.slow
def test_kg_add_killed_mid_batch_leaves_each_case_whole_or_absent(tmp_path: Path) -> None:
    paths = make_copies(tmp_path / "cases", CASE_COUNT)
    reference = EmbeddedStore(None)
    add_cases(reference, paths[:1])
    (complete,) = case_quad_counts(reference.quads()).values()  # a clean add of one copy

    directory, log = tmp_path / "store", tmp_path / "add.log"
    process = start_add(directory, tmp_path / "cases", log)
    seen = kill_mid_batch(process, directory, log)
    assert process.returncode == -signal.SIGKILL

    store = EmbeddedStore(directory)  # opens read-write: the lock died with the process
    counts = case_quad_counts(store.quads())
    assert seen <= len(counts) < CASE_COUNT, "the kill did not land inside the batch"
    assert {graph: n for graph, n in counts.items() if n != complete} == {}

    report = add_cases(store, expand_paths([tmp_path / "cases"]))
    assert len(report.build.unchanged) == len(counts)
    assert len(report.build.added) == CASE_COUNT - len(counts)
    assert set(case_quad_counts(store.quads()).values()) == {complete}
    assert len(case_quad_counts(store.quads())) == CASE_COUNT
    store.close()
