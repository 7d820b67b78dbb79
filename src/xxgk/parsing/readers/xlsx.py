"""Spreadsheet reports (XLSX through openpyxl, legacy XLS through xlrd) → :class:`~xxgk.parsing.model.Document`.

Every sheet is read in workbook order, every non-empty sheet row is a grid row from the sheet's first to its last
used column. A merged range keeps its value in its top-left cell and leaves span placeholders on every other
position it covers. Numbers are written as published (``38540``, ``12.5``; an integral float loses its ``.0``);
formulas are read through their cached values. Locations read ``sheet 表三 R5C3``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re
import warnings
from collections.abc import Iterable

from xxgk.parsing.model import Cell, Document, Row
from xxgk.parsing.readers.binary import check_size, check_zip_container, row_text
from xxgk.parsing.readers.errors import ReaderError

logger = logging.getLogger(__name__)

MAX_SHEETS = 100
MAX_SHEET_CELLS = 2_000_000  # used rectangle of one sheet (rows × columns)
MAX_XLS_BYTES = 64 * 1024 * 1024  # xlrd reads the whole compound file into memory


def read_xlsx(data: bytes) -> Document:
    """Read an XLSX workbook; raises :class:`ReaderError` for a corrupt, encrypted or oversized one."""
    with check_zip_container(data, "XLSX") as archive:
        has_formulas = any(
            re.search(rb"<(?:\w+:)?f[ >]", archive.read(name))
            for name in archive.namelist() if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )
    workbook = _load_workbook(data, data_only=True)
    formulas = _load_workbook(data, data_only=False) if has_formulas else None
    if len(workbook.worksheets) > MAX_SHEETS:
        raise ReaderError(f"XLSX has {len(workbook.worksheets)} sheets, more than {MAX_SHEETS}")
    sheets = []
    for sheet in workbook.worksheets:
        if sheet.max_row * sheet.max_column > MAX_SHEET_CELLS:
            raise ReaderError(f"sheet {sheet.title} spans {sheet.max_row}×{sheet.max_column} cells, beyond the limit")
        covered = {
            (r, c): (r == rng.min_row and c == rng.min_col)
            for rng in sheet.merged_cells.ranges
            for r in range(rng.min_row, rng.max_row + 1)
            for c in range(rng.min_col, rng.max_col + 1)
        }
        values = {
            (cell.row, cell.column): cell.value
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None and not _is_merged_cell(cell)
        }
        if formulas is not None:
            # a formula saved without its computed value (files written by scripts): keep the formula text, so
            # the cell reads as "not a number" instead of a silent blank
            for row in formulas[sheet.title].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("=") and \
                            (cell.row, cell.column) not in values:
                        values[(cell.row, cell.column)] = cell.value
        sheets.append((sheet.title, values, covered))
    workbook.close()
    if formulas is not None:
        formulas.close()
    return _document(sheets, "xlsx")


def _load_workbook(data: bytes, *, data_only: bool):  # type: ignore[no-untyped-def]
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions and styles
            return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only, read_only=False)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, XML errors … for broken packages
        raise ReaderError(f"XLSX could not be read (corrupt or malformed XML): {type(exc).__name__}: {exc}") from exc


def read_xls(data: bytes) -> Document:
    """Read a legacy XLS workbook (BIFF, through xlrd); raises :class:`ReaderError` for an unreadable one."""
    if len(data) > MAX_XLS_BYTES:
        raise ReaderError(f"XLS file is larger than {MAX_XLS_BYTES // 2**20} MiB")
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors …
        message = str(exc)
        if "encrypt" in message.lower() or "password" in message.lower():
            raise ReaderError("XLS is encrypted (password-protected); it cannot be read") from exc
        raise ReaderError(f"XLS could not be read: {type(exc).__name__}: {message}") from exc
    try:
        if book.nsheets > MAX_SHEETS:
            raise ReaderError(f"XLS has {book.nsheets} sheets, more than {MAX_SHEETS}")
        sheets = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.nrows * sheet.ncols > MAX_SHEET_CELLS:
                raise ReaderError(f"sheet {sheet.name} spans {sheet.nrows}×{sheet.ncols} cells, beyond the limit")
            covered = {
                (r + 1, c + 1): (r == rlo and c == clo)
                for rlo, rhi, clo, chi in sheet.merged_cells
                for r in range(rlo, rhi)
                for c in range(clo, chi)
            }
            values: dict[tuple[int, int], object] = {}
            for r in range(sheet.nrows):
                for c in range(sheet.ncols):
                    cell = sheet.cell(r, c)
                    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        continue
                    value: object = cell.value
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        try:
                            value = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
                        except (ValueError, OverflowError):
                            pass
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        value = "#ERROR"
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        value = bool(cell.value)
                    values[(r + 1, c + 1)] = value
            sheets.append((sheet.name, values, covered))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return _document(sheets, "xls")


def _is_merged_cell(cell: object) -> bool:
    return type(cell).__name__ == "MergedCell"


def _document(sheets: Iterable[tuple[str, dict[tuple[int, int], object], dict[tuple[int, int], bool]]],
              media_type: str) -> Document:
    lines: list[str] = []
    rows: list[Row] = []
    for title, values, covered in sheets:
        positions = list(values) + [p for p, first in covered.items() if not first]
        if not values:
            continue
        lines.append(str(title))
        first_col = min(c for _, c in positions)
        used_rows = sorted({r for r, _ in positions})
        block_end = _block_last_columns(used_rows, positions)
        for r in sorted({r for r, _ in values}):
            cells = []
            for c in range(first_col, block_end[r] + 1):
                loc = f"sheet {title} R{r}C{c}"
                if (r, c) in covered and not covered[(r, c)]:
                    cells.append(Cell("", loc, is_span=True))
                else:
                    cells.append(Cell(format_value(values.get((r, c))), loc))
            if sum(1 for c in cells if c.text) == 1 and not any(c.is_span for c in cells):
                cells = [c for c in cells if c.text]  # a line of prose or a caption, not a table row
            if not cells:
                continue
            rows.append(Row(tuple(cells), f"sheet {title} R{r}", is_grid=True))
            lines.append(row_text(cells))
    check_size(len(rows), sum(len(r.cells) for r in rows), media_type.upper())
    if not rows:
        raise ReaderError(f"{media_type.upper()} workbook has no cell values")
    return Document(lines=tuple(lines), rows=tuple(rows), media_type=media_type, encoding=None)


def _block_last_columns(used_rows: list[int], positions: list[tuple[int, int]]) -> dict[int, int]:
    """For every used row, the last used column of its block (rows separated by an empty row form one table),
    so each row of a table keeps the table's full width, blank trailing cells included."""
    last_in_row: dict[int, int] = {}
    for r, c in positions:
        last_in_row[r] = max(last_in_row.get(r, 0), c)
    out: dict[int, int] = {}
    block: list[int] = []
    for r in [*used_rows, None]:
        if block and (r is None or r != block[-1] + 1):
            width = max(last_in_row[b] for b in block)
            out.update({b: width for b in block})
            block = []
        if r is not None:
            block.append(r)
    return out


def format_value(value: object) -> str:
    """A cell value as the text a reader of the sheet sees: ``38540``, ``12.5``, ``2024-01-15``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(round(value, 10)).rstrip("0").rstrip(".") if "e" not in repr(value) else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()
