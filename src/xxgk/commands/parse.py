"""``xxgk parse PATH... [--json]``: parse report files or folders and print the result."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from xxgk.parsing.model import ParsedReport
from xxgk.parsing.process import prepare_for_parsing
from xxgk.parsing.report import parse_path, unreadable_report
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("parse", help="parse report files or folders (format-spec §8)")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="report files, or folders to read recursively")
    parser.add_argument("--json", action="store_true", help="print the JSON contract (JSON Lines for several files)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = list(_expand(args.paths))
    several = len(files) != 1 or any(Path(p).is_dir() for p in args.paths)
    if several:
        prepare_for_parsing()
    any_error = False
    for path, missing in files:
        report = unreadable_report(f"{path}: no such file or folder") if missing else parse_path(path)
        any_error |= report.has_error
        if args.json:
            obj = report.to_json_dict()
            if several:
                obj = {"path": str(path), **obj}
            sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(render_summary(str(path), report) + "\n")
    return 1 if any_error or not files else 0


def _expand(paths: list[str]) -> Iterator[tuple[Path, bool]]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from ((p, False) for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith("."))
        else:
            yield path, not path.exists()


def _fmt(value: object) -> str:
    if value is None:
        return "·"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render_summary(path: str, report: ParsedReport) -> str:
    """A readable summary: metadata, the three tables aligned, then the issues."""
    lines = [f"== {path}",
             f"agency: {report.agency or '?'}   year: {report.year or '?'}   format: {report.format_version or '?'}"
             f"   published: {report.publication_date or '?'}   fee: {report.fee.status}"
             + ("   SPAM" if report.has_spam else "")]

    def shown(table: str, key: str, value: object) -> str:
        derived = report.derived.get(key)
        return f"({_fmt(derived)})" if value is None and derived is not None else _fmt(value)

    lines.append("table 二")
    for key in TABLE2_KEYS:
        lines.append(f"  {key:<24}{shown('table2', f'table2.{key}', report.table2[key].value):>10}")
    lines.append(f"{'table 三':<25}" + "".join(f"{c[:9]:>10}" for c in TABLE3_COLS))
    for row in TABLE3_ROWS:
        cells = "".join(f"{shown('table3', f'table3.{row}.{c}', report.table3[row][c].value):>10}" for c in TABLE3_COLS)
        lines.append(f"  {row:<24}{cells[2:] if len(row) > 24 else cells}")
    lines.append("table 四")
    for key in TABLE4_KEYS:
        lines.append(f"  {key:<28}{shown('table4', f'table4.{key}', report.table4[key].value):>6}")
    lines.append("  (n) = derived from the identities, · = not reported")
    if report.issues:
        lines.append("issues:")
        for issue in report.issues:
            cells = f" [{', '.join(issue.cells[:4])}{' …' if len(issue.cells) > 4 else ''}]" if issue.cells else ""
            lines.append(f"  {issue.severity:<8}{issue.rule:<28}{issue.message}{cells}")
    else:
        lines.append("issues: none")
    return "\n".join(lines)
