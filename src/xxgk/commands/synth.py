"""``xxgk synth``: write N synthetic reports and their ground truth (``truth.jsonl``) to a folder."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "synth",
        help="generate synthetic reports with ground truth",
        description="Write N realistic synthetic 政府信息公开工作年度报告 (text and HTML serializations, planted "
                    "defects) to DIR, plus DIR/truth.jsonl with the published values, derived cells and defects.",
    )
    p.add_argument("--n", type=int, required=True, help="number of reports")
    p.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    p.add_argument("--seed", type=int, default=0, help="random seed; the same seed writes the same files")
    p.add_argument("--years", default="2022-2024", help="report years, e.g. 2022-2024 or 2020,2023")
    p.add_argument("--defect-rate", type=float, default=0.2,
                   help="probability that a report carries planted defects (0–1)")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes (default: number of CPUs); output is identical for any value")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xxgk.synth.corpus import parse_years, write_corpus

    if args.n < 0:
        print("xxgk synth: --n must be >= 0", file=sys.stderr)
        return 2
    if not 0.0 <= args.defect_rate <= 1.0:
        print("xxgk synth: --defect-rate must be between 0 and 1", file=sys.stderr)
        return 2
    try:
        years = parse_years(args.years)
    except ValueError as exc:
        print(f"xxgk synth: --years: {exc}", file=sys.stderr)
        return 2
    if args.out.exists() and not args.out.is_dir():
        print(f"xxgk synth: --out {args.out} exists and is not a folder", file=sys.stderr)
        return 2
    if args.out.is_dir() and any(args.out.iterdir()):
        print(f"xxgk synth: note: {args.out} is not empty; files with the same names are overwritten, others are "
              "left as they are (truth.jsonl lists only this run's files)", file=sys.stderr)
    started = time.perf_counter()
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    stats = write_corpus(args.out, args.n, seed=args.seed, years=years, defect_rate=args.defect_rate,
                         jobs=max(1, jobs))
    summary = stats.to_json_dict()
    summary["seconds"] = round(time.perf_counter() - started, 2)
    summary["out"] = str(args.out)
    print(json.dumps(summary, ensure_ascii=False))
    return 0
