"""The annual run end to end at national scale: generated reports → release, then an unchanged re-run.

    python benchmarks/annual_run.py [--n 20000] [--seed 6] [--corpus DIR] [--work DIR] [--runner threads|dask]

Generates the corpus with ``xxgk synth`` (kept in ``--corpus`` when given, reused if its ``truth.jsonl`` is there),
runs ``xxgk run --source CORPUS --lake LAKE --json`` in a fresh lake and once more unchanged, each in a child
process whose process tree is sampled for resident memory (psutil, every 0.2 s; ``ru_maxrss`` of the largest child
too). Then it scores the lake against the corpus ``truth.jsonl``: every cell of every report without planted
defects (staging cells, published value or derived value where the truth derives it) and, for each planted defect,
whether the rule meant for it failed for that report (release ``quality_results`` or the parser's issues). Appends
a section to ``benchmarks/RESULTS.md`` with the machine, load average, commands and figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
TARGETS = {"first_run_s": 180.0, "peak_rss_gb": 2.0, "rerun_s": 20.0}


def expected_cells(t: dict) -> list[tuple[str, object]]:
    """(cell id, true value) of every canonical cell of a ground-truth record: the published value, or the derived
    one where the report left the cell out."""
    derived = t.get("derived", {})
    out = [(f"table2.{k}", v) for k, v in t["table2"].items()]
    out += [(f"table3.{r}.{c}", v) for r, cols in t["table3"].items() for c, v in cols.items()]
    out += [(f"table4.{k}", v) for k, v in t["table4"].items()]
    return [(cid, v if v is not None else derived.get(cid)) for cid, v in out]


def cell_matches(mine: object, want: object) -> bool:
    return mine == want or (mine is not None and want is not None and float(mine) == float(want))  # type: ignore[arg-type]


def _tree_rss(proc: object) -> int:
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]  # type: ignore[attr-defined]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def timed_run(command: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run ``command``; wall time, exit status, JSON summary (last stdout line) and peak process-tree RSS."""
    import psutil

    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        p = psutil.Process(child.pid)
        while not done.is_set():
            peak = max(peak, _tree_rss(p))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    summary = None
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            summary = json.loads(line)
            break
    return {"wall_s": wall, "returncode": child.returncode, "summary": summary, "peak_tree_rss": peak,
            "stderr_tail": err.strip().splitlines()[-5:]}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def score(corpus: Path, lake: Path) -> dict[str, object]:
    """Cells right on defect-free reports; planted defects caught by their rule."""
    import duckdb

    truth = [json.loads(line) for line in (corpus / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    sha_of = {t["file"]: sha256_file(corpus / t["file"]) for t in truth}
    con = duckdb.connect()
    cells: dict[str, dict[str, float | None]] = {}
    for table in ("table2_cells", "table3_cells", "table4_cells"):
        glob = str(lake / "staging" / table / "*" / "*.parquet")
        for sha, cid, value in con.execute(
                f"select source_sha256, cell_id, value from read_parquet('{glob}', hive_partitioning=false)"
                ).fetchall():
            cells.setdefault(sha, {})[cid] = value
    issues: dict[str, set[str]] = {}
    glob = str(lake / "staging" / "parse_issues" / "*" / "*.parquet")
    for sha, rule in con.execute(f"select source_sha256, rule from read_parquet('{glob}', hive_partitioning=false)"
                                 ).fetchall():
        issues.setdefault(sha, set()).add(rule)
    current = (lake / "releases" / "CURRENT").read_text().strip()
    failed: dict[str, set[str]] = {}
    qr = lake / "releases" / current / "marts" / "quality_results.parquet"
    for sha, rule in con.execute(f"select source_sha256, rule_id from read_parquet('{qr}') where not passed"
                                 ).fetchall():
        failed.setdefault(sha, set()).add(rule)
    quarantined = {r[0] for r in con.execute(
        f"select source_sha256 from read_parquet('{lake / 'releases' / current / 'marts' / 'quarantine.parquet'}')"
    ).fetchall()}

    n_cells = wrong = 0
    wrong_reports: list[str] = []
    clean_quarantined = 0
    caught: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    missed_examples: dict[str, list[str]] = {}
    for t in truth:
        sha = sha_of[t["file"]]
        if not t["defects"]:
            got = cells.get(sha, {})
            expected = expected_cells(t)
            n_cells += len(expected)
            bad = sum(not cell_matches(got.get(cid), want) for cid, want in expected)
            wrong += bad
            if bad:
                wrong_reports.append(t["file"])
            clean_quarantined += sha in quarantined
            continue
        for d in t["defects"]:
            rule = d["rule"]
            if rule in failed.get(sha, set()) or rule in issues.get(sha, set()):
                caught[d["kind"]] += 1
            else:
                missed[d["kind"]] += 1
                missed_examples.setdefault(d["kind"], []).append(t["file"])
    n_clean = sum(1 for t in truth if not t["defects"])
    return {
        "reports": len(truth), "clean_reports": n_clean, "cells": n_cells, "wrong_cells": wrong,
        "cell_accuracy": 1 - wrong / n_cells if n_cells else float("nan"),
        "clean_reports_with_wrong_cells": len(wrong_reports), "wrong_examples": wrong_reports[:5],
        "clean_reports_quarantined": clean_quarantined,
        "defects_caught": dict(sorted(caught.items())), "defects_missed": dict(sorted(missed.items())),
        "missed_examples": {k: v[:3] for k, v in sorted(missed_examples.items())},
        "release": current,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--corpus", type=Path, help="corpus folder (generated when it has no truth.jsonl)")
    parser.add_argument("--work", type=Path, help="folder for the lake (default: a temporary folder)")
    parser.add_argument("--runner", default="threads", choices=("threads", "dask"))
    parser.add_argument("--no-write", action="store_true", help="print the figures without touching RESULTS.md")
    args = parser.parse_args()

    load_before = os.getloadavg()
    work = args.work or Path(tempfile.mkdtemp(prefix="xxgk-bench-"))
    corpus = args.corpus or work / "corpus"
    synth_s = None
    if not (corpus / "truth.jsonl").exists():
        started = time.perf_counter()
        subprocess.run(["xxgk", "synth", "--n", str(args.n), "--out", str(corpus), "--seed", str(args.seed)],
                       check=True, stdout=subprocess.DEVNULL)
        synth_s = time.perf_counter() - started
    n_files = sum(1 for p in corpus.iterdir() if p.name != "truth.jsonl")
    lake = work / "lake"
    if lake.exists():
        shutil.rmtree(lake)
    suffixes = sorted({p.suffix for p in corpus.iterdir() if p.name != "truth.jsonl"})
    sources = [a for s in suffixes for a in ("--source", str(corpus / f"*{s}"))]  # the reports, not truth.jsonl
    command = ["xxgk", "run", *sources, "--lake", str(lake), "--json", "--no-progress", "--runner", args.runner]
    env = dict(os.environ)
    first = timed_run(command, env)
    load_mid = os.getloadavg()
    rerun = timed_run(command, env)
    load_after = os.getloadavg()
    max_child_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    quality = score(corpus, lake) if first["returncode"] == 0 else {"error": "first run failed"}

    def stages(run: dict) -> str:
        s = run["summary"] or {}
        return ", ".join(f"{k} {v:.1f} s" for k, v in (s.get("stage_seconds") or {}).items())

    fs = first["summary"] or {}
    pub = fs.get("publish") or {}
    rate = n_files / first["wall_s"]
    peak_gb = first["peak_tree_rss"] / 1e9  # the target is in GB (10^9 bytes); GiB shown beside it
    peak_gib = first["peak_tree_rss"] / 2**30
    lines = [
        f"## annual run, end to end ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"* machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, Python "
        f"{platform.python_version()}, {platform.platform()}; shared and loaded: load average (1/5/15 min) "
        f"{'/'.join(f'{x:.1f}' for x in load_before)} before, {'/'.join(f'{x:.1f}' for x in load_mid)} after the "
        f"first run, {'/'.join(f'{x:.1f}' for x in load_after)} at the end",
        f"* command: `python benchmarks/annual_run.py --n {args.n} --seed {args.seed} --runner {args.runner}"
        f"{' --corpus ' + str(args.corpus) if args.corpus else ''}` → `{' '.join(command[:2])} "
        f"{' '.join('--source CORPUS/*' + s for s in suffixes)} --lake LAKE --json --no-progress "
        f"--runner {args.runner}` twice",
        f"* corpus: {n_files} generated reports (`xxgk synth --n {args.n} --seed {args.seed}`"
        + (f", {synth_s:.0f} s" if synth_s else ", generated beforehand") + ")",
        f"* first run: exit {first['returncode']}, **{first['wall_s']:.1f} s** wall "
        f"(target ≤ {TARGETS['first_run_s']:.0f} s), **{rate:.0f} reports/s**; stages: {stages(first)}",
        f"* peak memory of the process tree (sum of RSS): **{peak_gb:.2f} GB** ({peak_gib:.2f} GiB; target <"
        f" {TARGETS['peak_rss_gb']:.0f} GB); largest single process (ru_maxrss): {max_child_rss_mb / 1024:.2f} GiB",
        f"* release {fs.get('release_id')}: {pub.get('reports_checked')} reports checked, "
        f"{pub.get('reports_quarantined')} quarantined by rule "
        f"({', '.join(f'{k} {v}' for k, v in (fs.get('reasons') or {}).items())}), "
        f"{pub.get('reports_warned')} with warnings",
        f"* unchanged re-run: exit {rerun['returncode']}, **{rerun['wall_s']:.1f} s** wall (target < "
        f"{TARGETS['rerun_s']:.0f} s); stages: {stages(rerun)}; peak tree RSS {rerun['peak_tree_rss'] / 2**30:.2f} GiB",
    ]
    if "error" in quality:
        lines.append(f"* scoring skipped: {quality['error']}; stderr: {first['stderr_tail']}")
    else:
        caught, missed = quality["defects_caught"], quality["defects_missed"]
        lines += [
            f"* defect-free reports: {quality['clean_reports']}; cells right: "
            f"{quality['cells'] - quality['wrong_cells']} of {quality['cells']} (**{quality['cell_accuracy']:.4%}**); "
            f"reports with a wrong cell: "
            f"{quality['clean_reports_with_wrong_cells']} {quality['wrong_examples']}; defect-free reports "
            f"quarantined: {quality['clean_reports_quarantined']}",
            f"* planted defects caught by their rule: {sum(caught.values())} of "
            f"{sum(caught.values()) + sum(missed.values())}; by kind caught {caught}; missed {missed}"
            + (f" (examples {quality['missed_examples']})" if missed else ""),
        ]
    lines.append("")
    print("\n".join(lines))
    print(json.dumps({"first": {k: v for k, v in first.items() if k != "summary"},
                      "rerun": {k: v for k, v in rerun.items() if k != "summary"}}, default=str))
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return 0 if first["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
