"""Planted defects caught by the rule meant for them, at parser level, without the whole pipeline.

    python benchmarks/defect_rules.py --corpus /work/bench/corpus20k [--kind lost_column ...] [--clean] [--jobs 2]

Parses the reports of a generated corpus (``xxgk synth``) that carry a planted defect of the given kinds (all kinds
by default) and says, per kind, how many were caught by their rule, the way ``benchmarks/annual_run.py`` decides
it: the rule is among the parser's issues, or among the failures of the quality rules emulated here from the
parsed values (I1–I4 on reported + derived cells, ``fee_magnitude`` above the agency's limit in
``xxgk.schema.limits``, ``format_2019_late``, X1 against the same agency's report of the year before in the
corpus). With ``--clean`` it also parses the defect-free reports and counts wrong cells and reports with an
error-severity issue (false errors), scored as ``annual_run.py`` scores them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from collections import Counter
from pathlib import Path

from annual_run import cell_matches, expected_cells  # the same scoring as the end-to-end benchmark


def parse_one(path: str) -> dict:
    from xxgk.parsing.derive import check_identities
    from xxgk.parsing.report import parse_path
    from xxgk.schema.identities import all_identities
    from xxgk.schema.keys import TABLE3_COLS, cell_id
    from xxgk.schema.limits import fee_limit_wan_yuan

    r = parse_path(path)
    values: dict[str, float | None] = {}
    for k, c in r.table2.items():
        values[cell_id("table2", k)] = c.value
    for row, cols in r.table3.items():
        for col, c in cols.items():
            values[cell_id("table3", row, col)] = c.value
    for k, c in r.table4.items():
        values[cell_id("table4", k)] = c.value
    values.update(r.derived)
    rules = {i.rule for i in r.issues}
    errors = sorted({i.rule for i in r.issues if i.severity == "error"})
    quality = {i.rule for i in check_identities(values, all_identities(r.format_version or "2021"))}
    fee = values.get(cell_id("table2", "fees_wan_yuan"))
    if fee is not None and fee > fee_limit_wan_yuan(r.agency):
        quality.add("fee_magnitude")
    if r.format_version == "2019" and r.year and r.year > 2020:
        quality.add("format_2019_late")
    return {
        "rules": sorted(rules), "quality": sorted(quality), "errors": errors, "values": values,
        "agency": r.agency, "year": r.year,
        "carried_over": [values.get(cell_id("table3", "carried_over", c)) for c in TABLE3_COLS],
        "carried_forward": [values.get(cell_id("table3", "carried_forward", c)) for c in TABLE3_COLS],
        "issues": [(i.rule, i.severity, i.message[:160]) for i in r.issues],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--kind", action="append", help="defect kind (repeatable); all kinds by default")
    ap.add_argument("--clean", action="store_true", help="also score the defect-free reports")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--show", type=int, default=5, help="missed examples to list per kind")
    args = ap.parse_args()

    truth = [json.loads(line) for line in (args.corpus / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    kinds = set(args.kind or ())
    wanted = [t for t in truth if any(not kinds or d["kind"] in kinds for d in t["defects"])]
    need_x1 = any(d["kind"] == "carry_over_break" for t in wanted for d in t["defects"])
    # X1 needs the previous year's report of the same agency.
    by_agency_year = {(t["agency"], t["year"]): t for t in truth}
    extra = []
    if need_x1:
        names = {t["file"] for t in wanted}
        for t in wanted:
            prev = by_agency_year.get((t["agency"], t["year"] - 1))
            if prev is not None and prev["file"] not in names:
                extra.append(prev)
                names.add(prev["file"])
    clean = [t for t in truth if not t["defects"]] if args.clean else []
    todo = wanted + extra + clean
    with multiprocessing.Pool(args.jobs) as pool:
        parsed = dict(zip((t["file"] for t in todo),
                          pool.map(parse_one, [str(args.corpus / t["file"]) for t in todo], chunksize=16),
                          strict=True))
    by_parsed_key = {(p["agency"], p["year"]): p for p in parsed.values() if p["agency"] and p["year"]}

    caught: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for t in wanted:
        p = parsed[t["file"]]
        fired = set(p["rules"]) | set(p["quality"])
        prev = by_parsed_key.get((p["agency"], p["year"] - 1)) if p["agency"] and p["year"] else None
        if prev is not None:
            for this, last in zip(p["carried_over"], prev["carried_forward"], strict=True):
                if this is not None and last is not None and this != last:
                    fired.add("X1")
        for d in t["defects"]:
            if kinds and d["kind"] not in kinds:
                continue
            if d["rule"] in fired:
                caught[d["kind"]] += 1
            else:
                missed[d["kind"]] += 1
                examples.setdefault(d["kind"], []).append(t["file"])
    total_c, total_m = sum(caught.values()), sum(missed.values())
    print(f"planted defects caught by their rule: {total_c} of {total_c + total_m}")
    for kind in sorted(set(caught) | set(missed)):
        print(f"  {kind:18s} caught {caught[kind]:5d} missed {missed[kind]:4d}  {examples.get(kind, [])[:args.show]}")
    if args.clean:
        n_cells = wrong = 0
        wrong_reports: list[str] = []
        false_errors: list[tuple[str, list[str]]] = []
        for t in clean:
            p = parsed[t["file"]]
            expected = expected_cells(t)
            n_cells += len(expected)
            bad = sum(not cell_matches(p["values"].get(cid), want) for cid, want in expected)
            wrong += bad
            if bad:
                wrong_reports.append(t["file"])
            errs = sorted(set(p["errors"]) | set(p["quality"]) & {"I1", "I2", "I3", "I4"})
            if errs:
                false_errors.append((t["file"], errs))
        print(f"defect-free reports: {len(clean)}; cells right {n_cells - wrong} of {n_cells}; reports with a wrong "
              f"cell {len(wrong_reports)} {wrong_reports[:5]}; with an error issue {len(false_errors)} "
              f"{false_errors[:5]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
