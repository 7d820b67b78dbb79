"""The staging tables, declared as data (PUDL style): every field once, every table as an ordered list of fields.

Code that writes, validates or documents a staging table reads :data:`TABLE_SPECS`; nobody copies a column list.
The pandera schemas (``xxgk.staging.pandera``), the Parquet writer (``xxgk.staging.write``) and the dbt source yml
drift test all derive from here. Staging tables are also the dbt source tables (STYLE.md §7):
``reports``, ``sections``, ``table2_cells``, ``table3_cells``, ``table4_cells``, ``parse_issues``.

Logical dtypes (``FieldSpec.dtype``): ``string``, ``int``, ``float``, ``bool``, ``timestamp`` (UTC), ``date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from xxgk.schema.identities import RULES, SEVERITIES
from xxgk.schema.keys import (
    CELL_STATUSES,
    FEE_STATUSES,
    FORMAT_VERSIONS,
    SECTION_IDS,
    TABLE2_2019_ROW_KEYS,
    TABLE2_KEYS,
    TABLE3_COLS,
    TABLE3_ROWS,
    TABLE4_KEYS,
)

DTYPES = ("string", "int", "float", "bool", "timestamp", "date")
PARTITION_COLUMN = "report_year"

# How a report's parse ended (reports.parse_status).
PARSE_STATUSES = ("ok", "warning", "error", "failed")
PARSE_STATUS_MEANINGS = {
    "ok": "parsed, no issues",
    "warning": "parsed, warnings only",
    "error": "parsed, at least one error issue (numbers kept as published)",
    "failed": "the parser could not read the bytes; tables are absent",
}

# Table 二 extension cells of the 2019 trial layout (kept raw beside the canonical cells; may be negative).
TABLE2_2019_EXTENSION_KEYS: tuple[str, ...] = tuple(
    k for keys in TABLE2_2019_ROW_KEYS.values() for k in keys if k is not None and k.startswith("x2019_")
)


@dataclass(frozen=True)
class FieldSpec:
    """One column. ``allowed`` restricts values (None: any); ``min_value`` bounds numbers from below."""

    name: str
    dtype: str
    description: str
    label_zh: str
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """One staging table: ordered fields, primary key (the grain) and the partition column."""

    name: str
    description: str
    label_zh: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]
    partition_column: str = PARTITION_COLUMN
    notes: tuple[str, ...] = field(default=())

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")


def _f(name: str, dtype: str, description: str, label_zh: str, **kw: object) -> FieldSpec:
    assert dtype in DTYPES, dtype
    return FieldSpec(name, dtype, description, label_zh, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# The one dictionary of fields. A name means the same thing in every table.
# ---------------------------------------------------------------------------------------------------------------
FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        _f("source_sha256", "string", "SHA-256 of the raw object's exact bytes (raw/<sha256[:2]>/<sha256>)",
           "原始文件哈希", nullable=False, pattern=r"^[0-9a-f]{64}\Z"),
        _f("parser_version", "string", "xxgk.PARSER_VERSION that produced the row", "解析器版本", nullable=False),
        _f("parsed_at", "timestamp", "when the report was parsed (UTC)", "解析时间", nullable=False),
        _f("report_year", "int", "the report (data) year, not the publication year; null when not found",
           "报告年度", min_value=1990),
        _f("agency_name", "string", "the agency name as found in the report", "机关名称"),
        _f("format_version", "string", "national format version of the tables: 2019 (试行) or 2021",
           "报告格式版本", allowed=FORMAT_VERSIONS),
        # reports
        _f("title", "string", "report title line", "报告标题"),
        _f("publication_date", "date", "publication date found in the page or report", "发布日期"),
        _f("index_number", "string", "索引号 of the publishing page", "索引号"),
        _f("source", "string", "the ingestion source (file path, URL list, S3 prefix, crawl)", "来源"),
        _f("source_url", "string", "URL the bytes were fetched from, when known", "来源网址"),
        _f("media_type", "string", "detected media type of the raw bytes", "文件类型"),
        _f("encoding", "string", "detected text encoding", "字符编码"),
        _f("fee_status", "string", "信息处理费 statement in section 六: none, charged or not_stated",
           "信息处理费情况", nullable=False, allowed=FEE_STATUSES),
        _f("fee_amount_yuan", "float", "信息处理费 amount in 元, when stated", "信息处理费金额（元）", min_value=0),
        _f("fee_text", "string", "the sentence the fee statement was read from", "信息处理费原文"),
        _f("has_spam", "bool", "injected spam or defacement text was found", "含垃圾/篡改内容", nullable=False),
        _f("has_table2", "bool", "table 二 was found", "含表二", nullable=False),
        _f("has_table3", "bool", "table 三 was found", "含表三", nullable=False),
        _f("has_table4", "bool", "table 四 was found", "含表四", nullable=False),
        _f("parse_status", "string", "how the parse ended: ok, warning, error (issues), failed (unreadable)",
           "解析状态", nullable=False, allowed=PARSE_STATUSES),
        _f("n_errors", "int", "number of error issues", "错误数", nullable=False, min_value=0),
        _f("n_warnings", "int", "number of warning issues", "警告数", nullable=False, min_value=0),
        # cells
        _f("cell_id", "string", "dotted canonical cell id (xxgk.schema.keys.cell_id): table3.total.research",
           "单元格编号", nullable=False),
        _f("row_key", "string", "canonical row key (table 三) or cell key (tables 二 and 四)", "行键",
           nullable=False),
        _f("col_key", "string", "canonical column key (table 三 only; null for tables 二 and 四)", "列键"),
        _f("value", "float", "the value as published (derived value when status = derived); null when not reported",
           "数值"),
        _f("raw_text", "string", "the cell text exactly as found", "原始文本"),
        _f("raw_label", "string", "the row label exactly as found", "原始标签"),
        _f("status", "string", "reported, blank, na (not applicable), derived (forced by identities), absent",
           "单元格状态", nullable=False, allowed=CELL_STATUSES),
        _f("loc", "string", "where in the source the text came from (line 12, table[1]/tr[3]/td[2])", "来源位置"),
        # sections
        _f("section_id", "string", "canonical section id (一 overview … 六 other)", "部分编号", nullable=False,
           allowed=SECTION_IDS),
        _f("text", "string", "the section's text", "正文", nullable=False),
        _f("n_chars", "int", "length of the section text in characters", "字数", nullable=False, min_value=0),
        # parse issues
        _f("issue_index", "int", "position of the issue in the parser's list", "问题序号", nullable=False,
           min_value=0),
        _f("rule", "string", "rule id from xxgk.schema.identities.RULES", "规则", nullable=False,
           allowed=tuple(RULES)),
        _f("severity", "string", "error or warning", "严重程度", nullable=False, allowed=SEVERITIES),
        _f("cells", "string", "comma-separated cell ids the issue concerns", "涉及单元格"),
        _f("message", "string", "human-readable explanation", "说明", nullable=False),
    )
}

_SHARED = ("source_sha256", "parser_version", "parsed_at", "report_year", "agency_name", "format_version")
_CELL = ("cell_id", "row_key", "col_key", "value", "raw_text", "raw_label", "status", "loc")


def _fields(*names: str, **overrides: FieldSpec) -> tuple[FieldSpec, ...]:
    return tuple(overrides.get(n, FIELDS[n]) for n in names)


def _cell_fields(row_keys: tuple[str, ...], col_keys: tuple[str, ...] | None, *, min_value: float | None
                 ) -> tuple[FieldSpec, ...]:
    col = FIELDS["col_key"]
    col = replace(col, allowed=col_keys, nullable=col_keys is None) if col_keys else replace(col, allowed=())
    return _fields(
        *_SHARED, *_CELL,
        row_key=replace(FIELDS["row_key"], allowed=row_keys),
        col_key=col,
        value=replace(FIELDS["value"], min_value=min_value),
    )


TABLE_SPECS: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "reports",
            "One row per parsed raw object (source_sha256 × parser_version): metadata, fee statement, spam flag "
            "and parse status.",
            "报告",
            _fields(*_SHARED, "title", "publication_date", "index_number", "source", "source_url", "media_type",
                    "encoding", "fee_status", "fee_amount_yuan", "fee_text", "has_spam", "has_table2",
                    "has_table3", "has_table4", "parse_status", "n_errors", "n_warnings"),
            ("source_sha256", "parser_version"),
        ),
        TableSpec(
            "table2_cells",
            "One row per table 二 cell per report: the 10 canonical cells (all of them, status absent when not "
            "found), plus the 2019 trial-layout extension cells (x2019_*) when present.",
            "表二 主动公开政府信息情况",
            _cell_fields(TABLE2_KEYS + TABLE2_2019_EXTENSION_KEYS, None, min_value=None),
            ("source_sha256", "parser_version", "row_key"),
            notes=("value >= 0 for canonical keys; x2019_*_change (本年增/减) may be negative",),
        ),
        TableSpec(
            "table3_cells",
            "One row per table 三 cell per report: 25 rows × 7 columns = 175 cells (status absent when not found).",
            "表三 收到和处理政府信息公开申请情况",
            _cell_fields(TABLE3_ROWS, TABLE3_COLS, min_value=0),
            ("source_sha256", "parser_version", "row_key", "col_key"),
        ),
        TableSpec(
            "table4_cells",
            "One row per table 四 cell per report: the 15 canonical cells (status absent when not found).",
            "表四 政府信息公开行政复议、行政诉讼情况",
            _cell_fields(TABLE4_KEYS, None, min_value=0),
            ("source_sha256", "parser_version", "row_key"),
        ),
        TableSpec(
            "sections",
            "One row per section found in a report (一 … 六), with its text.",
            "报告正文部分",
            _fields(*_SHARED, "section_id", "text", "n_chars"),
            ("source_sha256", "parser_version", "section_id"),
        ),
        TableSpec(
            "parse_issues",
            "One row per issue the parser reported for a report (identity breaks, lost columns, spam, …).",
            "解析问题",
            _fields(*_SHARED, "issue_index", "rule", "severity", "cells", "message", "loc"),
            ("source_sha256", "parser_version", "issue_index"),
        ),
    )
}

CELL_TABLES: dict[str, str] = {"table2": "table2_cells", "table3": "table3_cells", "table4": "table4_cells"}
# Canonical (non-extension) table 二 keys must be non-negative; checked row-wise by the pandera schema.
NON_NEGATIVE_ROW_KEYS: dict[str, tuple[str, ...]] = {"table2_cells": TABLE2_KEYS}
