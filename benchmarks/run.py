"""Run the benchmark at several corpus sizes and write benchmarks/RESULTS.md.

For each size, in a fresh working folder and a fresh store: generate the corpus, build the store
from the case files, bulk-load the same quads with raw pyoxigraph (the floor), classify every case
with each reasoner, run every named query cold and warm, check the SPARQL formulation of Bohan and
Peter against the reasoner, and do the same loading and querying with an rdflib in-memory Dataset.
Every phase runs in its own process (:mod:`benchmarks.measure`), so peak memory is per phase.

Usage::

    python -m benchmarks.run --sizes 1000 10000 100000

Results of each size are kept as JSON in ``benchmarks/results/`` and RESULTS.md is rendered from
all of them, so sizes can be run separately (``--sizes 100000`` later adds its column).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.generate import case_id
from benchmarks.measure import PhaseRun, run_phase
from benchmarks.report import machine_info, render

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
RESULTS_MD = HERE / "RESULTS.md"
PAGE_SIZE = 100  # cases per page in the paged query variants (kg query --page's default)
REASONERS = ("pellet", "hermit")  # hermit last: its inferred graph is the one queries read


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _phase(
    name: str, args: dict[str, Any], options: argparse.Namespace, timeout: float
) -> dict[str, Any]:
    run = run_phase(name, args, timeout=timeout, log=options.log)
    _log(f"  {name}: {run.status} in {run.wall_seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")
    return _record(run)


def _record(run: PhaseRun) -> dict[str, Any]:
    return asdict(run)


def drop_caches() -> bool:
    """Ask the kernel to drop the page cache, so a cold query reads from disk (needs root)."""
    try:
        with open("/proc/sys/vm/drop_caches", "w") as handle:
            handle.write("1\n")
    except OSError:
        return False
    return True


PHASE_GROUPS = ("build", "reason", "queries", "rdflib", "add")
# Also to be asked for: "rerun", the runs of `kg reason` that follow a first run (part of
# "reason"), alone on a kept store that a first run has reasoned about.
CHOICES = (*PHASE_GROUPS, "rerun")


def benchmark_size(
    size: int, options: argparse.Namespace, out: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run the chosen phase groups at one corpus size and return the measurements.

    ``build`` generates the corpus, builds the store and measures the raw load floor; the other
    groups reuse the working folder a kept ``build`` left, so a size can be measured in parts
    (each part records the commit it ran at).
    """
    work = options.workdir / f"n{size}"
    groups = options.phases
    if "build" in groups and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    paths = {
        name: str(work / name) for name in ("cases", "store", "floor", "asserted.nq", "full.nq")
    }
    sample = [case_id(size // 2)]
    page = sample_page(size)
    out = out if out is not None else {}
    out.update({"size": size, "seed": options.seed})
    earlier_queries = out.get("phase_commits", {}).get("queries")
    earlier_reasoning = out.get("phase_commits", {}).get("reason")
    machine = machine_info()
    out.setdefault("phase_commits", {}).update(dict.fromkeys(groups, machine["commit"]))
    out.setdefault("phase_dates", {}).update(dict.fromkeys(groups, machine["date"]))
    _log(f"size {size}: {work} ({', '.join(groups)})")
    if "build" in groups:
        out["started"] = time.strftime("%Y-%m-%d %H:%M:%S")
        _build_phases(size, paths, options, out)
        if out["build"]["status"] != "ok":
            return out
    if "reason" in groups:
        earlier = {} if "build" in groups else out.get("reason", {})
        out["reason"] = _stamped_runs(earlier, earlier_reasoning)  # other reasoners' runs stay
        for reasoner in options.reasoners:
            out["reason"].pop(reasoner, None)  # a rerun goes last: the rows keep the runs' order
            out["reason"][reasoner] = {
                **_phase(
                    "reason",
                    {"store": paths["store"], "reasoner": reasoner},
                    options,
                    options.reason_timeout,
                ),
                "commit": machine["commit"],
            }
        out["agreement"] = _phase("agreement", {"store": paths["store"]}, options, 3600)
    if "reason" in groups or "rerun" in groups:
        _reruns(paths, options, out, machine["commit"])
    if "queries" in groups:
        kept = _stamped(out.get("queries"), earlier_queries)
        out["queries"] = _queries(paths["store"], sample, page, options, kept)
    if "rdflib" in groups:
        out["rdflib"] = _rdflib(paths, sample, page, options)
    if "add" in groups:  # last: it adds a case and removes it again, which the others need not see
        adding = {"store": paths["store"], "folder": str(work / "added"), "index": size}
        out["add_case"] = {
            **_phase("add_case", {**adding, "seed": options.seed}, options, options.build_timeout),
            "commit": machine["commit"],
        }
    if not options.keep and set(groups) == set(PHASE_GROUPS):
        shutil.rmtree(work, ignore_errors=True)
    return out


def _reruns(
    paths: dict[str, str], options: argparse.Namespace, out: dict[str, Any], commit: str
) -> None:
    """What a curator waits for when `kg reason` runs again with no case changed (every case
    keeps its results), then after one case in a hundred was changed and rebuilt."""
    again = {"store": paths["store"], "reasoner": options.reasoners[-1]}
    out["rerun"] = {**_phase("reason", again, options, options.reason_timeout), "commit": commit}
    changes = {"store": paths["store"], "cases": paths["cases"]}
    out["change_cases"] = _phase("change_cases", changes, options, options.build_timeout)
    if out["change_cases"]["status"] == "ok":
        out["rerun_changed"] = {
            **_phase("reason", again, options, options.reason_timeout),
            "commit": commit,
        }


def _build_phases(
    size: int, paths: dict[str, str], options: argparse.Namespace, out: dict[str, Any]
) -> None:
    out["generate"] = _phase(
        "generate", {"cases": paths["cases"], "count": size, "seed": options.seed}, options, 7200
    )
    out["build"] = _phase(
        "build",
        {"cases": paths["cases"], "store": paths["store"], "dump": paths["asserted.nq"]},
        options,
        options.build_timeout,
    )
    if out["build"]["status"] != "ok":
        return
    out["load_floor"] = _phase(
        "load_floor", {"store": paths["floor"], "dump": paths["asserted.nq"]}, options, 3600
    )
    shutil.rmtree(paths["floor"], ignore_errors=True)


def sample_page(size: int) -> dict[str, Any]:
    """The page of cases (in case-id order) that holds the sample case, known from the ids."""
    index = size // 2
    number = index // PAGE_SIZE + 1
    first = (number - 1) * PAGE_SIZE
    cases = [case_id(i) for i in range(first, min(first + PAGE_SIZE, size))]
    return {"number": number, "size": PAGE_SIZE, "cases": cases}


def _stamped(previous: dict[str, Any] | None, commit: str | None) -> dict[str, Any] | None:
    """Earlier query results, each marked with the commit it ran at (runs from before results
    carried their own commit ran at the queries phase's commit), so a partial rerun keeps them
    attributed to it."""
    if not previous:
        return previous
    return {**previous, "queries": _stamped_runs(previous.get("queries", {}), commit)}


def _stamped_runs(runs: dict[str, Any], commit: str | None) -> dict[str, Any]:
    """Each run marked with the commit it ran at, unless it carries its own.

    >>> _stamped_runs({"a": {"commit": "x"}, "b": {}}, "y")
    {'a': {'commit': 'x'}, 'b': {'commit': 'y'}}
    """
    return {name: {"commit": commit, **run} for name, run in runs.items()}


def _queries(
    store: str,
    sample: list[str],
    page: dict[str, Any],
    options: argparse.Namespace,
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """Each named query in a fresh process after dropping the page cache: one cold run, then warm
    repeats; then more cold runs (fresh process, dropped cache) for the median of the cold runs.
    A query still running at ``--oxigraph-query-limit`` is stopped and reported as such. With
    ``--query-filter`` only the matching variants run, and the others' saved results are kept."""
    from benchmarks.phases import variant_labels

    out: dict[str, Any] = {"dropped_page_cache": True, "peak_rss_mb": 0.0, "queries": {}}
    if options.query_filter and previous:
        out = {**previous, "queries": dict(previous.get("queries", {}))}
    drop = drop_caches if options.drop_caches else lambda: False
    labels = variant_labels(sample, page)
    for label in [x for x in labels if not options.query_filter or options.query_filter in x]:
        out["dropped_page_cache"] &= drop()
        args = {
            "store": store,
            "cases": sample,
            "page": page,
            "label": label,
            "repeats": options.repeats,
        }
        warm = run_phase("query_run", args, timeout=options.oxigraph_query_limit, log=options.log)
        cold = [warm.result["first"]] if warm.result else []
        for _ in range(options.cold_repeats - 1 if warm.ok else 0):
            drop()
            again = run_phase(
                "query_run",
                {**args, "repeats": 0},
                timeout=options.oxigraph_query_limit,
                log=options.log,
            )
            cold += [again.result["first"]] if again.ok else []
        out["peak_rss_mb"] = max(out["peak_rss_mb"], warm.peak_rss_mb)
        out["queries"][label] = {
            **warm.result,
            "status": warm.status,
            "cold_median": statistics.median(cold) if cold else None,
            "cold_runs": len(cold),
            "peak_rss_mb": warm.peak_rss_mb,
            "commit": machine_info()["commit"],
        }
        cold_median, warm_median = (
            out["queries"][label]["cold_median"],
            warm.result.get("warm_median"),
        )
        _log(f"  query {label}: {warm.status}, cold {cold_median}, warm {warm_median}")
    return out


def _rdflib(
    paths: dict[str, str], sample: list[str], page: dict[str, Any], options: argparse.Namespace
) -> dict[str, Any]:
    """Dump the reasoned store and give the same quads and queries to rdflib, within limits."""
    dump = run_phase(
        "dump", {"store": paths["store"], "dump": paths["full.nq"]}, timeout=3600, log=options.log
    )
    quads = dump.result.get("quads", 0)
    if quads > options.rdflib_max_quads:
        return {
            "status": "not run",
            "quads": quads,
            "reason": f"{quads:,} quads exceed --rdflib-max-quads {options.rdflib_max_quads:,}: "
            "at the memory per quad measured at smaller sizes, rdflib would need more memory "
            "than this machine has",
        }
    args = {
        "dump": paths["full.nq"],
        "cases": sample,
        "page": page,
        "repeats": options.repeats,
        "timeout": options.query_timeout,
        "memory_limit_gb": options.rdflib_memory_gb,
    }
    from benchmarks.phases import variant_labels

    queries = len(variant_labels(sample, page))
    limit = options.rdflib_load_timeout + queries * (options.repeats + 1) * (
        options.query_timeout + 5
    )
    return _phase("rdflib_compare", args, options, limit)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description="Benchmark the knowledge graph at realistic scale."
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kg-benchmark"
    )
    parser.add_argument("--repeats", type=int, default=5, help="warm runs per query (median)")
    parser.add_argument("--cold-repeats", type=int, default=3, help="cold runs per query (median)")
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=60.0,
        help="seconds before an rdflib query is stopped",
    )
    parser.add_argument(
        "--oxigraph-query-limit",
        type=float,
        default=300.0,
        help="seconds before one named query's runs (cold + warm) are stopped",
    )
    parser.add_argument(
        "--query-filter",
        help="run only the query variants whose label holds this text (e.g. 'page'); the "
        "other variants' saved results are kept",
    )
    parser.add_argument("--reasoners", nargs="+", default=list(REASONERS))
    parser.add_argument("--build-timeout", type=float, default=7200.0)
    parser.add_argument("--reason-timeout", type=float, default=3600.0)
    parser.add_argument("--rdflib-max-quads", type=int, default=8_000_000)
    parser.add_argument("--rdflib-memory-gb", type=float, default=16.0)
    parser.add_argument("--rdflib-load-timeout", type=float, default=1800.0)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--output", type=Path, default=RESULTS_MD)
    parser.add_argument("--keep", action="store_true", help="keep the corpus and stores")
    parser.add_argument(
        "--no-drop-caches",
        dest="drop_caches",
        action="store_false",
        help="do not drop the OS page cache before cold query runs (it needs root)",
    )
    parser.add_argument(
        "--phases",
        nargs="+",
        choices=CHOICES,
        default=list(PHASE_GROUPS),
        help="run only these groups; later groups reuse the folder a --keep build left "
        "(rerun: only the runs of kg reason after a first one, on a store it reasoned about)",
    )
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite RESULTS.md from saved results"
    )
    options = parser.parse_args(argv)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    options.log = options.workdir / "benchmark.log"
    options.workdir.mkdir(parents=True, exist_ok=True)
    if not options.render_only:
        meta = machine_info()
        command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
        for size in options.sizes:
            saved_path = options.results_dir / f"n{size}.json"
            partial = set(options.phases) != set(PHASE_GROUPS) and saved_path.exists()
            result = json.loads(saved_path.read_text()) if partial else {}
            result = benchmark_size(size, options, result)
            result["machine"] = meta
            commands = result.get("commands", []) if partial else []
            result["commands"] = [*commands, command]
            result["command"] = "; ".join(result["commands"])
            saved_path.write_text(json.dumps(result, indent=1, default=str))
    saved = [json.loads(p.read_text()) for p in sorted(options.results_dir.glob("n*.json"))]
    options.output.write_text(render(sorted(saved, key=lambda r: r["size"])))
    _log(f"wrote {options.output}")


if __name__ == "__main__":
    main()
