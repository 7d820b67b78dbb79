"""The parser's entry point: bytes or a path → :class:`ParsedReport`.

read (format reader) → map tables by label → derive forced cells → check identities → metadata, sections, fee,
spam. Never raises for bad input: unreadable bytes give a report with every table absent and an error issue.
"""

from __future__ import annotations

import functools
import itertools
import logging
import operator
import re
from pathlib import Path

from xxgk.parsing import glued
from xxgk.parsing.derive import check_identities, derive_forced
from xxgk.parsing.meta import find_spam, fold_lines, read_fee, read_metadata, split_sections
from xxgk.parsing.model import CellValue, Document, FeeStatement, Issue, ParsedReport
from xxgk.parsing.normalize import decode_bytes
from xxgk.parsing.readers.binary import read_binary
from xxgk.parsing.readers.errors import ReaderError
from xxgk.parsing.readers.html import read_html
from xxgk.parsing.readers.sniff import count_control_bytes, sniff_media_type
from xxgk.parsing.readers.text import read_text
from xxgk.parsing.tables.common import view_rows
from xxgk.parsing.tables.table2 import read_table2
from xxgk.parsing.tables.table3 import read_table3
from xxgk.parsing.tables.table4 import read_table4
from xxgk.schema.identities import RULES, table3_identities, table4_identities
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE3_ROWS_NOT_IN_LAYOUT, TABLE4_KEYS, cell_id
from xxgk.schema.limits import fee_limit_wan_yuan

logger = logging.getLogger(__name__)

MAX_INPUT_BYTES = 64 * 1024 * 1024
_TABLE2_IDS = tuple((k, cell_id("table2", k)) for k in TABLE2_KEYS)  # (key, dotted id) pairs, built once
_TABLE3_IDS = tuple((r, tuple((c, cell_id("table3", r, c)) for c in TABLE3_COLS)) for r in TABLE3_ROWS)
_TABLE4_IDS = tuple((k, cell_id("table4", k)) for k in TABLE4_KEYS)
MAX_REPLACEMENT_SHARE = 0.02  # more undecodable characters than this: not a text report
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def parse_path(path: str | Path) -> ParsedReport:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            return unreadable_report(f"{path.name}: {size} bytes is larger than the {MAX_INPUT_BYTES} byte limit")
        data = path.read_bytes()
    except OSError as exc:
        return unreadable_report(f"{path}: cannot read file: {exc.strerror or exc}")
    return parse_bytes(data, name=path.name)


def parse_bytes(data: bytes, name: str | None = None) -> ParsedReport:
    try:
        document = read_document(data)
    except ReaderError as exc:
        return unreadable_report(str(exc))
    except Exception as exc:  # hostile input a reader did not anticipate: an error report, never a traceback
        logger.warning("reader failed on %s: %s", name, exc)
        logger.debug("reader failure", exc_info=True)
        return unreadable_report(f"could not read input: {type(exc).__name__}: {exc}")
    try:
        return parse_document(document)
    except Exception as exc:  # a mapper bug must not take the run down; the report is quarantined with the reason
        logger.error("parser failed on %s: %s", name, exc)
        logger.debug("parser failure", exc_info=True)
        return unreadable_report(f"internal parser error: {type(exc).__name__}: {exc}")


def read_document(data: bytes) -> Document:
    """Bytes → Document through the reader for the media type sniffed from the bytes (never the file name)."""
    if len(data) > MAX_INPUT_BYTES:
        raise ReaderError(f"input of {len(data)} bytes is larger than the {MAX_INPUT_BYTES} byte limit")
    if not data.strip():
        raise ReaderError("empty input: no report text")
    media_type = sniff_media_type(data)
    if media_type == "unknown":
        raise ReaderError("unrecognised input: not UTF-8 or GBK/GB18030 text, HTML, PDF, Word, a spreadsheet or an "
                          "image")
    if media_type not in ("html", "text"):
        return read_binary(data, media_type)
    text, encoding = decode_bytes(data)
    if encoding == "utf-8-replace" and text.count("\ufffd") > MAX_REPLACEMENT_SHARE * len(text):
        raise ReaderError("input is neither UTF-8 nor GBK/GB18030 text and not a known document format")
    # Each control character of UTF-8 or GB18030 text is one control byte: few in the bytes, none to count here.
    if (encoding not in ("utf-8", "utf-8-sig", "gb18030", "utf-8-replace") or count_control_bytes(data) > 2) and len(
            _CONTROL_CHARS.findall(text, 0, 20000)) > 0.01 * min(len(text), 20000) + 2:
        raise ReaderError("input looks binary (control characters), not a text report")
    if media_type == "html":
        return read_html(text, encoding=encoding, utf8=data if encoding == "utf-8" else None)
    return read_text(text, encoding=encoding)


def parse_document(document: Document) -> ParsedReport:
    rows = document.rows
    views = view_rows(rows)
    t3 = read_table3(views)
    t2 = read_table2(views, stop_at=t3.start_index)
    if t3.found and t2.format_version == "2019" and t3.format_version != "2019":
        # Table 三 alone tells the layouts apart only by its （六） rows; without them, table 二's layout decides.
        hinted = read_table3(views, layout_hint="2019")
        if hinted.format_version == "2019":
            t3 = hinted
    t4 = read_table4(rows, start=t3.end_index or 0)
    layout = t3.format_version if t3.found else (t2.format_version if t2.found else None)
    identities = (table3_identities(layout or "2021") if t3.found else ()) + (table4_identities() if t4.found else ())
    cells: dict[str, CellValue] = {**t2.cells, **t3.cells, **t4.cells}
    values = dict(zip(cells, map(_value_of, cells.values()), strict=True))
    outside_layout = _cells_not_in_layout(layout)
    # Derivable: missing cells of tables 三 and 四 (table 二 has no identities) that the layout has.
    derivable = [k for table in (t3, t4) if table.found for k in _unread(table.cells) if k not in outside_layout]
    glued_unread = [i for i in t3.issues + t4.issues if i.rule == "glued_ambiguous"]
    derived = _derive_agreeing_with_glued(values, derivable, identities, cells, glued_unread)
    merged = {**values, **derived}

    issues: list[Issue] = list(document.reader_issues)
    issues += [_settled_by_identities(i, derived) for i in t2.issues + t3.issues + t4.issues]
    for name, table in (("table2", t2), ("table3", t3), ("table4", t4)):
        if not table.found:
            issues.append(_issue("table_missing", f"{name} was not found in the report"))
    issues += _check_values(cells)
    issues += check_identities(merged, identities)
    if derived:
        issues.append(Issue("cell_derived", RULES["cell_derived"].severity,
                            f"{len(derived)} cells missing in the source were derived from the identities",
                            tuple(derived)))
    # Unread cells have no value: those neither derived nor not applicable are missing (in table order).
    missing = [k for k in (_unread(t2.cells) if t2.found else ()) if cells[k].status != "na"]
    missing += [k for k in derivable if k not in derived and cells[k].status != "na"]
    if missing:
        issues.append(Issue("cells_incomplete", RULES["cells_incomplete"].severity,
                            f"{len(missing)} cells are neither reported nor derivable", tuple(missing)))

    folded = fold_lines(document.lines)
    meta = read_metadata(folded)
    sections = split_sections(folded)
    fee = read_fee(sections, folded)
    spam = find_spam(folded)
    if spam:
        issues.append(_issue("spam_detected", "injected spam or defacement on lines "
                             + ", ".join(str(n) for n, _ in spam[:10]) + ": " + spam[0][1][:80]))
    if meta.agency is None:
        issues.append(_issue("agency_missing", "no agency name found in the title, metadata or signature"))
    if meta.year is None:
        issues.append(_issue("year_missing", "no report year found in the title or the data period"))
    if layout == "2019" and meta.year and meta.year > 2020:
        issues.append(_issue("format_2019_late", f"the 2019 layout is used for report year {meta.year}"))
    issues += _fee_magnitude(cells, meta.agency)

    return ParsedReport(
        agency=meta.agency, year=meta.year, format_version=layout, title=meta.title,
        publication_date=meta.publication_date, index_number=meta.index_number,
        table2={k: cells[cid] for k, cid in _TABLE2_IDS},
        table3={r: {c: cells[cid] for c, cid in row_ids} for r, row_ids in _TABLE3_IDS},
        table4={k: cells[cid] for k, cid in _TABLE4_IDS},
        derived=derived, issues=tuple(issues), sections=sections, fee=fee, has_spam=bool(spam),
        media_type=document.media_type, encoding=document.encoding,
        extensions=tuple(t2.extensions + t3.extensions + t4.extensions),
    )


def unreadable_report(message: str) -> ParsedReport:
    absent = CellValue(None, "absent")
    return ParsedReport(
        agency=None, year=None, format_version=None, title=None, publication_date=None, index_number=None,
        table2=dict.fromkeys(TABLE2_KEYS, absent), table3={r: dict.fromkeys(TABLE3_COLS, absent) for r in TABLE3_ROWS},
        table4=dict.fromkeys(TABLE4_KEYS, absent), derived={},
        issues=(_issue("unreadable", message),), sections={}, fee=FeeStatement("not_stated"), has_spam=False,
        media_type="unknown", encoding=None,
    )


def _issue(rule: str, message: str, cells: tuple[str, ...] = ()) -> Issue:
    return Issue(rule, RULES[rule].severity, message, cells)


def _derive_agreeing_with_glued(values: dict[str, int | float | None], derivable: list[str], identities: tuple,
                                cells: dict[str, CellValue], glued_unread: list[Issue]) -> dict[str, int | float]:
    """Cells the identities force, except those of a glued run left unread whose digits cannot hold the forced
    numbers (``0000001`` where the other rows force seven zeros): the published digits say otherwise, so the
    cells stay unread and the break is reported by the table mapper, never papered over by derivation."""
    while True:
        derived = derive_forced(values, derivable, identities)
        disagree: set[str] = set()
        for issue in glued_unread:
            run = (cells[issue.cells[0]].raw_text or "").strip() if issue.cells else ""
            forced = [derived.get(c) for c in issue.cells]
            # Blank cells (no digits) are assumed only when the run is too short for every cell to hold a count,
            # the assumption every glued split rests on.
            short = not glued.fits(run, [None] * len(forced))
            if any(v is not None for v in forced) and not glued.fits(run, forced, blanks=short):
                disagree.update(issue.cells)
        if not disagree.intersection(derivable):
            return derived
        derivable = [c for c in derivable if c not in disagree]


def _settled_by_identities(issue: Issue, derived: dict[str, int | float]) -> Issue:
    """A glued run that could not be split stops being an error when the identities force every cell it held."""
    if issue.rule == "glued_ambiguous" and issue.cells and all(c in derived for c in issue.cells):
        return Issue("glued_split", RULES["glued_split"].severity,
                     issue.message.replace("; left unread", "; every cell of it is forced by the identities"),
                     issue.cells, issue.loc)
    return issue


_value_of = operator.itemgetter(0)  # CellValue.value and .status: C-level field access over hundreds of cells
_status_of = operator.itemgetter(1)
_UNREAD_STATUSES = frozenset({"blank", "absent", "na"})  # every status whose value is None


def _unread(cells: dict[str, CellValue]) -> list[str]:
    """The ids of cells without a value in the source (blank, absent, not applicable), in order."""
    return list(itertools.compress(cells, map(_UNREAD_STATUSES.__contains__, map(_status_of, cells.values()))))


@functools.cache
def _cells_not_in_layout(layout: str | None) -> frozenset[str]:
    """Table 三 cells of rows the layout does not have (2019 has no （六） sub-rows, 2021 no single 其他处理 row)."""
    rows = TABLE3_ROWS_NOT_IN_LAYOUT.get(layout or "2021", ())
    return frozenset(cell_id("table3", row, col) for row in rows for col in TABLE3_COLS)


def _check_values(cells: dict[str, CellValue]) -> list[Issue]:
    bad = []
    fee_id = cell_id("table2", "fees_wan_yuan")
    for key, cell in cells.items():
        value = cell.value
        if value is None or (value >= 0 and (type(value) is int or key == fee_id or float(value).is_integer())):
            continue
        bad.append(key)
    if not bad:
        return []
    return [_issue("non_negative", f"{len(bad)} cells are negative or not whole counts", tuple(bad))]


def _fee_magnitude(cells: dict[str, CellValue], agency: str | None) -> list[Issue]:
    fee = cells[cell_id("table2", "fees_wan_yuan")].value
    if fee is None:
        return []
    limit = fee_limit_wan_yuan(agency)
    if fee > limit:
        return [_issue("fee_magnitude", f"行政事业性收费 {fee} 万元 exceeds {limit:g} 万元 for this agency; "
                       "possibly 元 entered as 万元", (cell_id("table2", "fees_wan_yuan"),))]
    return []
