"""xxgk.synth.render: every serialization carries every label and number, in the shape of the seeds."""

from __future__ import annotations

import random
import re

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings

from xxgk.schema.keys import TABLE2_CELLS, TABLE3_ROWS, TABLE3_ROWS_NOT_IN_LAYOUT, TABLE4_KEYS
from xxgk.synth import SERIALIZATIONS, Report, random_report, render
from xxgk.synth.layout import format_number, style_label, table3_label
from xxgk.synth.style import TABLE3_LABEL_VARIANTS, TABLE3_OFFICIAL_LABELS

from .synth_strategies import clean_reports

_STRIP = re.compile(r"[\s|]+")


def _flat_text(report: Report, data: bytes) -> str:
    """The rendered text with whitespace and pipes removed (HTML: the text content)."""
    if report.style.serialization.startswith("html"):
        text = lxml.html.document_fromstring(data.decode(report.style.encoding)).text_content()
    else:
        text = data.decode("utf-8")
    return _STRIP.sub("", text)


def _expected_runs(report: Report) -> list[str]:
    """Label immediately followed by its values, for each row of the three tables (after stripping)."""
    style = report.style
    runs = []
    if report.format_version == "2021":
        rows: dict[str, list] = {}
        for c in TABLE2_CELLS:
            rows.setdefault(c.row_label, []).append(c)
        for label, cells in rows.items():
            if label == "行政规范性文件" and style.t2_legacy_normative:
                label = "规范性文件"
            values = [report.table2[c.key] for c in cells]
            text = "".join("/" if v is None else format_number(v, style, is_fee=c.unit == "wan_yuan")
                           for v, c in zip(values, cells, strict=True))
            runs.append(label + text)
    for row in TABLE3_ROWS:
        if row in TABLE3_ROWS_NOT_IN_LAYOUT[report.format_version]:
            continue
        if report.format_version == "2019" and row == "other_other":
            label = style_label("（六）其他处理", style)
        else:
            label = table3_label(row, style)
        values = "".join(str(v) for v in report.table3[row].values() if v is not None)
        runs.append(_STRIP.sub("", label) + values)
    runs.append("".join(str(report.table4[k]) for k in TABLE4_KEYS))
    return runs


@pytest.mark.parametrize("serialization", SERIALIZATIONS)
def test_each_serialization_carries_every_label_and_number(serialization: str) -> None:
    rng = random.Random(100)
    for _ in range(12):
        report = random_report(rng, serialization=serialization)
        flat = _flat_text(report, render(report))
        for run in _expected_runs(report):
            assert run in flat, (serialization, run)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clean_reports())
def test_any_clean_report_carries_its_labels_and_numbers(report: Report) -> None:
    flat = _flat_text(report, render(report))
    for run in _expected_runs(report):
        assert run in flat


def test_labels_used_are_official_or_known_variants() -> None:
    rng = random.Random(101)
    for _ in range(50):
        report = random_report(rng)
        for row in TABLE3_ROWS:
            label = table3_label(row, report.style)
            choices = {style_label(TABLE3_OFFICIAL_LABELS[row], report.style)} | {
                style_label(v, report.style) for v in TABLE3_LABEL_VARIANTS.get(row, ())}
            assert label in choices


def test_rendering_is_deterministic() -> None:
    a = random_report(random.Random(5), serialization="html")
    b = random_report(random.Random(5), serialization="html")
    for ser in SERIALIZATIONS:
        assert render(a, ser) == render(b, ser)


def test_gbk_html_decodes_as_gb18030_but_not_utf8() -> None:
    rng = random.Random(102)
    for _ in range(10):
        report = random_report(rng, serialization="html_gbk")
        data = render(report)
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("gb18030")
        assert report.agency.name in text
        declared = re.search(rb"charset=([\w-]+)", data)
        assert declared is None or declared.group(1).lower() not in (b"gbk", b"gb18030", b"gb2312")


def _tds(data: bytes, encoding: str = "utf-8") -> list:
    return lxml.html.document_fromstring(data.decode(encoding)).findall(".//td")


@pytest.mark.parametrize("fv,rowspan", [("2021", "22"), ("2019", "20")])
def test_html_has_the_official_spans(fv: str, rowspan: str) -> None:
    report = random_report(random.Random(103), serialization="html", format_version=fv, variants=False)
    spans = {(td.text_content().strip(), td.get("rowspan"), td.get("colspan")) for td in _tds(render(report))}
    assert ("三、本年度办理结果", rowspan, None) in spans
    assert ("申请人情况", None, "7") in spans
    assert ("法人或其他组织", None, "5") in spans
    assert ("行政复议", None, "5") in spans and ("行政诉讼", None, "10") in spans
    assert ("未经复议直接起诉", None, "5") in spans
    assert ("自然人", "2", None) in spans and ("总计", "2", None) in spans


def test_word_markup_and_split_tables() -> None:
    report = random_report(random.Random(104), serialization="html", variants=False)
    plain = render(report, word_markup=False, split_tables=False)
    word = render(report, word_markup=True, split_tables=True)
    assert b"<o:p>" in word and b"mso-" in word and b"&nbsp;" in word
    assert word.count(b"<table") > plain.count(b"<table") >= 3
    assert _STRIP.sub("", lxml.html.document_fromstring(word.decode()).text_content()).count("三、本年度办理结果") == 1


def test_cell_lines_look_like_seed_000() -> None:
    report = random_report(random.Random(105), serialization="cell_lines", variants=False, level="township")
    lines = render(report).decode().splitlines()
    i = lines.index("申请人情况 |")
    assert lines[i + 1] == "||||||||"  # 2 spanned by the 勾稽 note + 6 by 申请人情况
    r25 = next(k for k, line in enumerate(lines) if line.startswith("四、结转下年度继续办理"))
    assert lines[r25 + 8] == "||"
    assert lines[r25 + 9].startswith("四、")  # the parser trap: heading 四 right after the R25 row


def test_glued_rows_have_no_separators() -> None:
    report = random_report(random.Random(106), serialization="glued", variants=False)
    text = render(report).decode()
    row = report.table3["new_received"]
    assert "一、本年新收政府信息公开申请数量" + "".join(str(v) for v in row.values()) in text
    assert any(d.kind == "glued_digits" for d in report.defects)


def test_other_encodings_and_options_are_honoured() -> None:
    report = random_report(random.Random(107), serialization="pipe_rows")
    data = render(report, "html_gbk", encoding="gbk", meta_charset=None)
    assert b"charset" not in data
    data.decode("gbk")
    with pytest.raises(ValueError):
        render(report, "pdf")


def test_headings_title_and_signature_are_present() -> None:
    rng = random.Random(108)
    for ser in SERIALIZATIONS:
        report = random_report(rng, serialization=ser)
        flat = _flat_text(report, render(report))
        for section in ("overview", "proactive", "applications", "review_litigation", "problems", "other"):
            assert _STRIP.sub("", style_label(report.style.heading(section), report.style)) in flat
        assert report.agency.name in flat
        assert f"统计期限自{report.year}年1月1日起至{report.year}年12月31日止" in flat
        signed = report.signature_date
        assert f"{signed.year}年{signed.month}月{signed.day}日" in flat


def test_truth_follows_a_rendering_override() -> None:
    from xxgk.synth import truth_dict

    report = random_report(random.Random(109), serialization="pipe_rows")
    assert truth_dict(report)["serialization"] == "pipe_rows"
    glued = truth_dict(report, serialization="glued")
    assert glued["serialization"] == "glued"
    assert [d["kind"] for d in glued["defects"]] == ["glued_digits"]
    gbk = truth_dict(report, serialization="html_gbk", encoding="gbk")
    assert gbk["encoding"] == "gbk"
