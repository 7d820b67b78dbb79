"""Value types shared by the readers, the table mappers and the report assembler.

A reader turns bytes into a :class:`Document`: lines of text and rows of :class:`Cell` that remember where they
came from. The mappers turn a document into :class:`ParsedReport`, the one result type everything downstream
reads (the JSON contract of format-spec §8 is :meth:`ParsedReport.to_json_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS

# NamedTuple construction without the generated ``__new__``'s Python frame, three times faster: readers and
# mappers build hundreds of cells per report. ``new_tuple(Cell, (text, loc, False))`` — every field, in order.
new_tuple = tuple.__new__


class Cell(NamedTuple):  # a NamedTuple, not a dataclass: readers create hundreds per report
    """One cell of a grid. ``loc`` says where its text came from: ``line 12`` or ``table[1]/tr[3]/td[2]``."""

    text: str
    loc: str
    is_span: bool = False  # a placeholder left by rowspan/colspan: never a value, never a blank


class Row(NamedTuple):
    """A physical row: a table row, a delimited text line, or the cells regrouped from one-cell-per-line text."""

    cells: tuple[Cell, ...]
    loc: str
    is_grid: bool  # True when the source said where cells are (pipes, tabs, <td>); False for regrouped lines


@dataclass(frozen=True)
class Document:
    """What a reader hands the mappers: the text as lines (for sections and metadata) and the rows."""

    lines: tuple[str, ...]
    rows: tuple[Row, ...]
    media_type: str
    encoding: str | None = None
    reader_issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class Issue:
    rule: str
    severity: str
    message: str
    cells: tuple[str, ...] = ()
    loc: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "cell": self.cells[0] if len(self.cells) == 1 else (list(self.cells) if self.cells else None),
            "message": self.message,
        }
        if self.loc:
            out["loc"] = self.loc
        return out


class CellValue(NamedTuple):
    """A canonical cell as found: ``value`` is as reported (None when blank, n/a, absent or unreadable)."""

    value: float | int | None
    status: str  # reported | blank | na | absent | derived (derived only in ParsedReport.cells())
    raw_text: str | None = None
    raw_label: str | None = None
    loc: str | None = None


@dataclass(frozen=True)
class FeeStatement:
    status: str  # none | charged | not_stated
    amount_yuan: float | None = None
    text: str | None = None


@dataclass(frozen=True)
class ExtensionCell:
    """A value outside the canonical cells (2019 table 二 columns, extra rows): kept raw, never in identities."""

    table: str
    key: str
    value: float | int | None
    raw_text: str
    raw_label: str
    loc: str | None = None


@dataclass(frozen=True)
class ParsedReport:
    agency: str | None
    year: int | None
    format_version: str | None
    title: str | None
    publication_date: str | None
    index_number: str | None
    table2: dict[str, CellValue]
    table3: dict[str, dict[str, CellValue]]
    table4: dict[str, CellValue]
    derived: dict[str, int | float]
    issues: tuple[Issue, ...]
    sections: dict[str, str]
    fee: FeeStatement
    has_spam: bool
    media_type: str
    encoding: str | None
    extensions: tuple[ExtensionCell, ...] = field(default=())

    @property
    def has_error(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    @property
    def tables_present(self) -> dict[str, bool]:
        return {
            "table2": any(c.status != "absent" for c in self.table2.values()),
            "table3": any(c.status != "absent" for row in self.table3.values() for c in row.values()),
            "table4": any(c.status != "absent" for c in self.table4.values()),
        }

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "year": self.year,
            "format_version": self.format_version,
            "title": self.title,
            "publication_date": self.publication_date,
            "index_number": self.index_number,
            "table2": {k: self.table2[k].value for k in TABLE2_KEYS},
            "table3": {r: {c: self.table3[r][c].value for c in TABLE3_COLS} for r in TABLE3_ROWS},
            "table4": {k: self.table4[k].value for k in TABLE4_KEYS},
            "derived": dict(self.derived),
            "issues": [i.to_json_dict() for i in self.issues],
            "fee": {"status": self.fee.status, "amount_yuan": self.fee.amount_yuan},
            "has_spam": self.has_spam,
            "sections": {k: len(v) for k, v in self.sections.items()},
            "media_type": self.media_type,
            "encoding": self.encoding,
        }
