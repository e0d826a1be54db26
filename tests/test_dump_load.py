"""`kg dump` and `kg load`: backups restore every quad, and move graphs between backends.

The round trip goes through the commands themselves: embedded -> file -> Virtuoso -> file ->
a new embedded store, with Virtuoso's credentials from the environment as a user would set them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import pytest
from pyoxigraph import CanonicalizationAlgorithm, Dataset, Literal, NamedNode, Quad
from typer.testing import CliRunner

from kg.cli_store import commands
from kg.errors import StoreError
from kg.rdf.vocab import BASE
from kg.store import EmbeddedStore, embedded
from kg.store.backup import load_file, read_graphs
from kg.store.embedded import prefetch_files
from kg.store.servers import RunningServer

GRAPH = NamedNode(BASE + "graph/dump-test")
P = NamedNode(BASE + "vocab/dumpTestValue")


def canonical(quads: list[Quad]) -> set[Quad]:
    """Quads with blank nodes renamed canonically (RDFC-1.0), so stores can be compared."""
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


@pytest.fixture
def reference_copy(reference_store: EmbeddedStore, tmp_path: Path) -> Path:
    """A snapshot of the reference store for `kg dump --store` to open: opening the store itself
    read-only while the session's handle may still be compacting it is undefined behaviour in
    pyoxigraph, and once failed with an SST file gone."""
    reference_store.snapshot(tmp_path / "reference-copy")
    return tmp_path / "reference-copy"


def kg(*arguments: str) -> str:
    """Run a `kg` command of this module; fail with its output unless it succeeds."""
    result = CliRunner().invoke(commands, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", ["backup.nq", "backup.trig", "backup.nq.gz", "backup.trig.gz"])
def test_dump_and_load_between_embedded_stores_keep_every_quad(
    reference_store: EmbeddedStore, reference_copy: Path, tmp_path: Path, name: str
) -> None:
    """Each format, compressed or not, restores every quad into a new store."""
    kg("dump", str(tmp_path / name), "--store", str(reference_copy))
    output = kg("load", str(tmp_path / name), "--store", str(tmp_path / "restored"))
    restored = EmbeddedStore(tmp_path / "restored")
    assert canonical(list(restored.quads())) == canonical(list(reference_store.quads()))
    assert f"{len(reference_store.graphs())} graph(s)" in output


def test_compact_keeps_every_quad(
    reference_store: EmbeddedStore, reference_copy: Path, tmp_path: Path
) -> None:
    """`kg compact` merges the store's files; what the store holds is unchanged."""
    assert "compacted" in kg("compact", "--store", str(reference_copy))
    compacted = EmbeddedStore(reference_copy, read_only=True)
    assert canonical(list(compacted.quads())) == canonical(list(reference_store.quads()))


def test_compact_refuses_a_store_that_does_not_exist(tmp_path: Path) -> None:
    """A mistyped path is an error, not a new empty store reported as compacted."""
    missing = tmp_path / "no-such-store"
    result = CliRunner().invoke(commands, ["compact", "--store", str(missing)])
    assert result.exit_code != 0
    assert "no store at" in result.output
    assert not missing.exists()


@pytest.mark.remote
def test_round_trip_through_virtuoso_keeps_every_quad(
    reference_store: EmbeddedStore,
    reference_copy: Path,
    virtuoso_server: RunningServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """embedded -> Virtuoso -> embedded: the same quads, blank nodes and literals included."""
    monkeypatch.setenv("KG_SPARQL_AUTH", "digest")
    monkeypatch.setenv("KG_SPARQL_USER", str(virtuoso_server.credentials.user))
    monkeypatch.setenv("KG_SPARQL_PASSWORD", str(virtuoso_server.credentials.password))
    remote = ["--endpoint", virtuoso_server.query_endpoint,
              "--update-endpoint", virtuoso_server.update_endpoint]  # fmt: skip
    kg("dump", str(tmp_path / "out.nq.gz"), "--store", str(reference_copy))
    kg("load", str(tmp_path / "out.nq.gz"), *remote)
    kg("dump", str(tmp_path / "back.trig.gz"), *remote)
    kg("load", str(tmp_path / "back.trig.gz"), "--store", str(tmp_path / "restored"))
    restored = list(EmbeddedStore(tmp_path / "restored").quads())
    expected = list(reference_store.quads())
    assert len(restored) == len(expected)
    assert canonical(restored) == canonical(expected)


def test_load_replaces_only_the_graphs_in_the_file(tmp_path: Path) -> None:
    """Graphs the file does not mention are left alone; those it does are replaced."""
    store = EmbeddedStore(tmp_path / "store")
    other = NamedNode(BASE + "graph/untouched")
    store.replace_graphs({
        GRAPH: [Quad(GRAPH, P, Literal("old"), GRAPH)],
        other: [Quad(other, P, Literal("kept"), other)],
    })  # fmt: skip
    dump = tmp_path / "one.nq"
    dump.write_text(f'{GRAPH} {P} "new" {GRAPH} .\n', encoding="utf-8")
    report = load_file(store, dump)
    assert report.quads == 1
    assert [q.object for q in store.quads(GRAPH)] == [Literal("new")]
    assert [q.object for q in store.quads(other)] == [Literal("kept")]


def test_syntax_error_names_the_file_and_line_and_changes_nothing(tmp_path: Path) -> None:
    """A broken dump is refused before anything is written, with file:line in the message."""
    store = EmbeddedStore(tmp_path / "store")
    store.replace_graph(GRAPH, [Quad(GRAPH, P, Literal("old"), GRAPH)])
    dump = tmp_path / "broken.nq"
    dump.write_text(
        f'{GRAPH} {P} "new" {GRAPH} .\n{GRAPH} {P} "unclosed {GRAPH} .\n', encoding="utf-8"
    )
    with pytest.raises(StoreError, match=r"broken\.nq:2:"):
        load_file(store, dump)
    assert [q.object for q in store.quads(GRAPH)] == [Literal("old")]


def test_default_graph_triples_are_refused(tmp_path: Path) -> None:
    """Triples outside a named graph are refused with the reason and the fix."""
    dump = tmp_path / "default.trig"
    dump.write_text(f'{GRAPH} {P} "loose" .\n', encoding="utf-8")
    with pytest.raises(StoreError, match="default graph"):
        read_graphs(dump)


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    """Only N-Quads and TriG are dump formats, and the message lists them."""
    result = CliRunner().invoke(
        commands, ["dump", str(tmp_path / "x.ttl"), "--store", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "*.nq, *.trig" in result.output


def test_a_snapshot_holds_the_store_as_it_was(tmp_path: Path) -> None:
    """What worker processes read instead of a store held open for writing."""
    store = EmbeddedStore(tmp_path / "store")
    before = Quad(NamedNode(BASE + "s"), P, Literal("before"), GRAPH)
    store.add_quads([before])
    store.snapshot(tmp_path / "snapshot")
    store.add_quads([Quad(NamedNode(BASE + "s"), P, Literal("after"), GRAPH)])
    copy = EmbeddedStore(tmp_path / "snapshot", read_only=True)
    assert list(copy.quads()) == [before]
    assert len(list(store.quads())) == 2
    copy.close()
    store.close()
    with pytest.raises(StoreError, match="in-memory"):
        EmbeddedStore(None).snapshot(tmp_path / "nowhere")


class CountingReader:
    """A file opened for prefetching, counting the bytes read through it."""

    def __init__(self, handle: BinaryIO, counts: dict[str, int], name: str) -> None:
        self.handle, self.counts, self.name = handle, counts, name

    def __enter__(self) -> CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def readinto(self, buffer: bytearray) -> int:
        read = self.handle.readinto(buffer)  # type: ignore[attr-defined]
        self.counts[self.name] = self.counts.get(self.name, 0) + read
        return read


def count_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Record how many bytes of each file prefetching reads, in reads of 64 bytes."""
    counts: dict[str, int] = {}
    real_open = Path.open

    def recording(self: Path, *args: Any, **kwargs: Any) -> CountingReader:
        return CountingReader(real_open(self, *args, **kwargs), counts, self.name)

    monkeypatch.setattr(Path, "open", recording)
    monkeypatch.setattr(embedded, "PREFETCH_CHUNK", 64)
    return counts


def test_prefetch_reads_every_byte_within_the_budget_and_nothing_beyond(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `kg reason` does first, so that its reads of every case do not wait on the disk."""
    files = [tmp_path / name for name in ("a.sst", "b.sst")]
    for file, size in zip(files, (300, 1000), strict=True):
        file.write_bytes(b"x" * size)
    counts = count_reads(monkeypatch)
    assert not prefetch_files(files, budget=1299)
    assert counts == {}
    gone = tmp_path / "merged-away.sst"  # listed, then deleted by a compaction: skipped
    assert prefetch_files([files[0], gone, files[1]], budget=1300)
    assert counts == {"a.sst": 300, "b.sst": 1000}


def test_prefetch_of_a_store_on_disk_and_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    quad = Quad(NamedNode(BASE + "s"), P, Literal("kept"), GRAPH)
    store.add_quads([quad])
    store.flush()  # the quad goes to a file on disk
    data = sorted(path.name for path in (tmp_path / "store").glob("*.sst"))
    assert data
    counts = count_reads(monkeypatch)
    monkeypatch.setattr(embedded, "available_memory", lambda: 0)
    assert not store.prefetch()  # no memory to spare: nothing read
    assert counts == {}
    monkeypatch.setattr(embedded, "available_memory", lambda: 1 << 30)
    assert store.prefetch()
    assert sorted(counts) == data
    assert all(counts[name] == (tmp_path / "store" / name).stat().st_size for name in data)
    monkeypatch.undo()
    assert list(store.quads()) == [quad]
    store.close()
    assert not EmbeddedStore(None).prefetch()  # nothing on disk to read
