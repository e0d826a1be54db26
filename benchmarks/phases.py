"""The benchmark phases, each run in a fresh interpreter by :mod:`benchmarks.measure`.

A phase reads its arguments as JSON, does one piece of work the way a user would (through the
project's public functions, or through rdflib / raw pyoxigraph for the comparisons), and writes a
JSON result. Inner timings come from wrapping the project's own stage functions with timers, so
the measured code path is exactly the one ``kg build`` and ``kg reason`` run.

Usage (by the runner): ``python -m benchmarks.phases NAME ARGS_JSON RESULT_PATH``.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import select
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from kg.timing import StageTimer

Result = dict[str, Any]
RESULT_PATH: Path | None = None
STORE_WRITES = (
    "replace_graph", "replace_graphs", "drop_graph", "update", "bulk_load", "bulk_load_files",
    "compact",
)  # fmt: skip


class Timings(StageTimer):
    """The project's stage timer, able to wrap functions and report its stages as JSON."""

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """Return ``function`` timed under ``name``."""

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self(name):
                return function(*args, **kwargs)

        return timed

    def instrument(self, module: ModuleType, names: tuple[str, ...], prefix: str = "") -> None:
        """Replace the named functions of a module (those it has) with timed wrappers."""
        for name in names:
            if hasattr(module, name):
                setattr(module, name, self.wrap(prefix + name, getattr(module, name)))

    def as_dict(self) -> Result:
        """Seconds and calls per stage, rounded for the report."""
        return {
            name: {"seconds": round(s, 4), "calls": self.calls[name]}
            for name, s in self.seconds.items()
        }


class TimedStore:
    """A store that times its write methods; everything else passes through unchanged."""

    def __init__(self, store: Any, timings: Timings) -> None:
        self._store = store
        for name in STORE_WRITES:
            if hasattr(store, name):
                setattr(self, name, timings.wrap(f"store.{name}", getattr(store, name)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


# --- phases -------------------------------------------------------------------------------------


def generate(args: Result) -> Result:
    """Write the synthetic corpus."""
    from benchmarks.generate import generate_corpus

    started = time.perf_counter()
    summary = generate_corpus(
        Path(args["cases"]), args["count"], seed=args["seed"], workers=args.get("workers", 2)
    )
    return {
        "seconds": time.perf_counter() - started,
        "bytes": summary.bytes,
        "dm_cases": summary.dm_cases,
    }


def build(args: Result) -> Result:
    """Build a fresh store from the case files exactly as ``kg build`` does, timing each stage."""
    import kg.build
    import kg.tumour_summary
    from kg.store import EmbeddedStore

    timings = Timings()
    stages = ("prepare_files", "claim_quads", "plan_writes", "apply_plan", "sync_ontology")
    timings.instrument(kg.build, stages)
    timings.instrument(kg.tumour_summary, ("refresh_summary",))  # called by ensure_summary
    started = time.perf_counter()
    store = EmbeddedStore(Path(args["store"]))
    report = kg.build.build_graph(TimedStore(store, timings), Path(args["cases"]))  # type: ignore[arg-type]
    store.close()
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)  # the loads and compaction; workers validate
    loaded = sum(t["seconds"] for n, t in timings.as_dict().items() if n.startswith("store."))
    store = EmbeddedStore(Path(args["store"]), read_only=True)
    graphs = len(store.graphs())
    quads = len(store._store)
    dumped = time.perf_counter()
    store.dump(Path(args["dump"]))
    return {
        "seconds": seconds,
        "cases": len(report.added),
        "graphs": graphs,
        "quads": quads,
        "store_load_seconds": loaded,
        "main_process_cpu_seconds": own.ru_utime + own.ru_stime,
        "stages": timings.as_dict(),
        "dump_seconds": time.perf_counter() - dumped,
    }


def load_floor(args: Result) -> Result:
    """Raw pyoxigraph: bulk-load the N-Quads the build produced into a fresh on-disk store."""
    from pyoxigraph import RdfFormat, Store

    started = time.perf_counter()
    store = Store(args["store"])
    store.bulk_load(path=args["dump"], format=RdfFormat.N_QUADS)
    store.flush()
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds,
        "quads": len(store),
        "cpu_seconds": own.ru_utime + own.ru_stime,
    }


def reason(args: Result) -> Result:
    """Classify every case with one reasoner exactly as ``kg reason`` does, timing each stage."""
    import kg.reasoning.reason as module
    from kg.store import EmbeddedStore

    store = EmbeddedStore(Path(args["store"]))
    started = time.perf_counter()
    report = module.reason(store, args["reasoner"])
    seconds = time.perf_counter() - started
    store.close()
    return {
        "seconds": seconds,
        "cases": report.cases,
        "profiles": report.profiles,
        "patterns": report.patterns,
        "kept": report.kept,
        "reasoner": report.reasoner.version,
        "stages": {name: {"seconds": round(s, 4)} for name, s in report.seconds.items()},
    }


CHANGED_EVERY = 100  # change_cases changes one case file in this many


def change_cases(args: Result) -> Result:
    """Change one case file in :data:`CHANGED_EVERY` and rebuild, as a curator's edits would.

    Each chosen file gains a comment line: its checksum changes and `kg build` replaces the case,
    so the next `kg reason` must reason about it again, while its facts and results stay as they
    were (an edit that changes a fact costs the same reads and assessment, and only a larger
    write). Files already changed by an earlier run of this phase gain another line.
    """
    from kg.build import build_graph, case_files
    from kg.store import EmbeddedStore

    files = case_files(Path(args["cases"]))[::CHANGED_EVERY]
    for path in files:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("# changed by the benchmark\n")
    store = EmbeddedStore(Path(args["store"]))
    started = time.perf_counter()
    report = build_graph(store, Path(args["cases"]))
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": seconds, "changed": len(files), "replaced": len(report.replaced)}


# What `kg add` runs, timed by stage in :func:`add_case` (those kg.cases calls by these names).
ADD_STAGES = (
    "validate_paths", "candidate_profiles", "plan_writes", "apply_plan", "summary_before",
    "update_summary",
)  # fmt: skip


def add_case(args: Result) -> Result:
    """Add one new case to the store as `kg add` does, timing its stages, then remove it again.

    This is what a curator waits for at each new paper once the store is large. The case is the
    next one the generator would write (index ``size``, same seed), so it resembles the corpus
    and may have likely duplicates in it; removing it afterwards (timed too, as `kg remove`)
    leaves the store holding the cases it held.
    """
    import kg.cases as cases
    from benchmarks.generate import write_case
    from kg.store import EmbeddedStore

    folder = Path(args["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    summary, _ = write_case(folder, args["index"], args["seed"])
    timings = Timings()
    timings.instrument(cases, ADD_STAGES)
    store = EmbeddedStore(Path(args["store"]))
    try:
        started = time.perf_counter()
        report = cases.add_cases(store, [folder / f"{summary.case_id}.yaml"])
        added = time.perf_counter() - started
        stages = timings.as_dict()  # before the removal, which corrects the summary too
        started = time.perf_counter()
        cases.remove_case(store, summary.case_id)
        removed = time.perf_counter() - started
    finally:
        store.close()
    return {
        "seconds": added,
        "added": len(report.build.added),
        "duplicates": len(report.duplicates),
        "remove_seconds": removed,
        "stages": stages,
    }


def _variants(
    cases: list[str], page: Result | None = None
) -> list[tuple[str, str, dict[str, str]]]:
    """Every named query with its defaults, again for one case and for one page of cases where it
    takes a case, again over every case by pages (what ``kg query NAME`` runs), and the lookup of
    that page's cases (what ``kg query --page`` runs first). A variant run by pages has no one
    text: its options say ``{"by_pages": size, "query": name}`` and its text is the unbound query.

    :param page: ``{"number": n, "size": s, "cases": [ids]}``, the page's cases known in advance.
    """
    from kg.queries import case_page_query, load_catalogue
    from kg.rdf.vocab import case_graph

    out = []
    for name, query in load_catalogue().items():
        out.append((f"{name}", query.bind({}), {}))
        if query.takes_case and cases:
            out.append((f"{name} (one case)", query.bind({"case": cases[0]}), {"case": cases[0]}))
        if query.takes_case and page:
            iris = [case_graph(c) for c in page["cases"]]
            label = f"{name} (page of {len(iris)} cases)"
            out.append((label, query.bind({}, cases=iris), {}))
        if query.runs_by_pages and page:
            label = f"{name} (every case, by pages of {page['size']})"
            out.append((label, query.bind({}), {"by_pages": str(page["size"]), "query": name}))
    if page:
        out.append(("case page lookup", case_page_query(page["number"], page["size"]), {}))
    return out


def _run_oxigraph(store: Any, text: str) -> int:
    """Run a query and read every value of every row, as a user's program would; return the rows."""
    from pyoxigraph import QuerySolutions

    result = store.query(text)
    if not isinstance(result, QuerySolutions):
        return 1
    rows = 0
    for solution in result:
        for _ in solution:
            pass
        rows += 1
    return rows


def _run_by_pages(store: Any, name: str, size: int) -> int:
    """Run a case query over every case as ``kg query NAME --format tsv`` does: page by page, the
    pages on every core when the store allows it, each written as TSV; return the rows."""
    from kg.parallel_pages import serialized_pages
    from kg.queries import find_query

    # TSV escapes line breaks inside values, so each page has its header line and one per row.
    return sum(
        page.count(b"\n") - 1 for page in serialized_pages(store, find_query(name), {}, size, "tsv")
    )


def variant_labels(cases: list[str], page: Result | None = None) -> list[str]:
    """The labels of every named query variant, in catalogue order."""
    return [label for label, _, _ in _variants(cases, page)]


def query_run(args: Result) -> Result:
    """Open the store in this fresh process and run one named query: once cold, then warm repeats.

    The result is rewritten after every run, so a run stopped at the time limit keeps what it did.
    """
    from kg.store import EmbeddedStore

    variants = _variants(args["cases"], args.get("page"))
    text, options = next((t, o) for label, t, o in variants if label == args["label"])
    store = EmbeddedStore(Path(args["store"]), read_only=True)
    runs: list[float] = []
    out: Result = {}
    for _ in range(args["repeats"] + 1):
        started = time.perf_counter()
        if "by_pages" in options:
            rows = _run_by_pages(store, options["query"], int(options["by_pages"]))
        else:
            rows = _run_oxigraph(store, text)
        runs.append(time.perf_counter() - started)
        out = {
            "first": runs[0],
            "warm_median": statistics.median(runs[1:]) if runs[1:] else None,
            "runs": len(runs),
            "rows": rows,
        }
        _write_partial(out)
    return out


def _write_partial(result: Result) -> None:
    if RESULT_PATH is not None:
        RESULT_PATH.write_text(json.dumps(result))


def agreement(args: Result) -> Result:
    """Count cases where the SPARQL formulation of Bohan and Peter and the reasoner agree."""
    from kg.queries import find_query
    from kg.store import EmbeddedStore

    store = EmbeddedStore(Path(args["store"]), read_only=True)
    words = {
        "BPDefiniteDermatomyositis": "definite",
        "BPProbableDermatomyositis": "probable",
        "BPPossibleDermatomyositis": "possible",
    }
    sparql = {
        str(s["caseId"].value): str(s["dermatomyositis"].value)
        for s in store.query(find_query("bohan-peter-sparql").bind({}))
    }
    reasoner: dict[str, str] = {}
    text = (
        "PREFIX kg: <https://w3id.org/dmkg/vocab/> SELECT ?id ?c WHERE { "
        "GRAPH ?g { ?case kg:caseId ?id } GRAPH <https://w3id.org/dmkg/graph/inferred> "
        "{ ?s kg:assessedCase ?case ; kg:reasonerClass ?c } }"
    )
    for solution in store.query(text):
        local = str(solution["c"].value).rsplit("/", 1)[-1]
        reasoner[str(solution["id"].value)] = words.get(local, "none")
    agree = sum(reasoner.get(case, "none") == value for case, value in sparql.items())
    return {
        "cases": len(sparql),
        "agree": agree,
        "sparql_dm": sum(v != "none" for v in sparql.values()),
    }


def dump(args: Result) -> Result:
    """Write the whole store (cases, ontology, inferred graph) as N-Quads for the comparisons."""
    from kg.store import EmbeddedStore

    store = EmbeddedStore(Path(args["store"]), read_only=True)
    started = time.perf_counter()
    store.dump(Path(args["dump"]))
    return {"seconds": time.perf_counter() - started, "quads": len(store._store)}


# --- rdflib, the in-memory alternative ------------------------------------------------------------


def rdflib_compare(args: Result) -> Result:
    """Load the same quads into an rdflib Dataset and run the same queries, each stopped at a limit.

    Each query runs in a forked child (sharing the loaded graph copy-on-write), which reports every
    run's time down a pipe as it finishes; the parent kills it at the time limit, so a query that
    would run for hours costs ``timeout`` seconds and is reported as stopped.
    """
    import rdflib

    limit = int(args["memory_limit_gb"] * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    started = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    try:
        dataset.parse(args["dump"], format="nquads")
    except MemoryError:
        return {"load": "out of memory", "limit_gb": args["memory_limit_gb"]}
    load = time.perf_counter() - started
    out: Result = {"load_seconds": load, "quads": len(dataset), "queries": {}}
    for label, text, options in _variants(args["cases"], args.get("page")):
        if label in args.get("skip", ()) or "by_pages" in options:
            continue  # rdflib runs each query text whole
        out["queries"][label] = _timed_fork(
            lambda text=text: len(list(dataset.query(text))), args["repeats"] + 1, args["timeout"]
        )
        print(f"rdflib {label}: {out['queries'][label]}", file=sys.stderr, flush=True)
    return out


def _timed_fork(work: Callable[[], int], runs: int, timeout: float) -> Result:
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and exits
        os.close(read_end)
        for _ in range(runs):
            started = time.perf_counter()
            rows = work()
            os.write(write_end, f"{time.perf_counter() - started} {rows}\n".encode())
        os._exit(0)
    os.close(write_end)
    deadline, buffer = time.perf_counter() + timeout, b""
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0 or not select.select([read_end], [], [], remaining)[0]:
            os.kill(child, signal.SIGKILL)
            break
        chunk = os.read(read_end, 4096)
        if not chunk:
            break
        buffer += chunk
    os.waitpid(child, 0)
    os.close(read_end)
    lines = [line.split() for line in buffer.decode().splitlines()]
    times, rows = [float(t) for t, _ in lines], [int(r) for _, r in lines]
    return {
        "first": times[0] if times else None,
        "warm_median": statistics.median(times[1:]) if len(times) > 1 else None,
        "runs": len(times),
        "rows": rows[0] if rows else None,
        "stopped": len(times) < runs,
    }


PHASES: dict[str, Callable[[Result], Result]] = {
    "generate": generate,
    "build": build,
    "load_floor": load_floor,
    "reason": reason,
    "change_cases": change_cases,
    "add_case": add_case,
    "query_run": query_run,
    "agreement": agreement,
    "dump": dump,
    "rdflib_compare": rdflib_compare,
}


def main() -> None:
    """Run the phase named on the command line and write its JSON result."""
    global RESULT_PATH
    name, raw, result_path = sys.argv[1:4]
    RESULT_PATH = Path(result_path)
    result = PHASES[name](json.loads(raw))
    Path(result_path).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
