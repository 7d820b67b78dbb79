"""Source arguments and URL-list CSVs become entries; every bad one is an entry with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from xxgk.ingest.sources import check_url, expand_sources, parse_url_list


def entries(csv_text: str, encoding: str = "utf-8") -> list:  # type: ignore[type-arg]
    return list(parse_url_list(csv_text.encode(encoding), origin="list.csv"))


def test_url_list_rows_with_hints() -> None:
    got = entries("URL, Agency ,year\nhttp://a.gov.cn/r.html,甲区人民政府,2023\nhttps://b.gov.cn/2022/x.pdf,,\n")
    assert [(e.location, e.agency_hint, e.year_hint, e.origin, e.error) for e in got] == [
        ("http://a.gov.cn/r.html", "甲区人民政府", 2023, "list.csv:2", None),
        ("https://b.gov.cn/2022/x.pdf", None, 2022, "list.csv:3", None),
    ]


def test_gbk_url_list_and_bom() -> None:
    assert entries("url,agency\nhttp://a/,乙县\n", "gbk")[0].agency_hint == "乙县"
    assert entries("\ufeffurl\nhttp://a/\n")[0].location == "http://a/"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        pytest.param("ftp://a.gov.cn/r.pdf,,", "unsupported URL scheme 'ftp'", id="ftp"),
        pytest.param("file:///etc/passwd,,", "unsupported URL scheme 'file'", id="file"),
        pytest.param("a.gov.cn/r.html,,", "unsupported URL scheme '(none)'", id="no-scheme"),
        pytest.param("http:///r.html,,", "URL has no host", id="no-host"),
        pytest.param(",甲,2023", "empty url", id="empty-url"),
        pytest.param("http://a/,甲,2023,extra", "4 fields, header has 3", id="too-many-fields"),
        pytest.param("http://a/,甲,MMXXIII", "not a year", id="bad-year"),
        pytest.param("http://a/,甲,1999", "out of range", id="old-year"),
        pytest.param('"http://a/"x,甲,2023', "malformed CSV row", id="bad-quoting"),
    ],
)
def test_bad_rows_are_entries_with_reasons(row: str, reason: str) -> None:
    got = entries(f"url,agency,year\nhttp://ok.gov.cn/,,\n{row}\nhttp://ok2.gov.cn/,,\n")
    assert [e.is_bad for e in got] == [False, True, False]
    assert reason in got[1].error and got[1].origin == "list.csv:3"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("link,name\nhttp://a/,x\n", "no 'url' column", id="no-url-column"),
    ],
)
def test_unusable_url_lists(text: str, reason: str) -> None:
    got = entries(text)
    assert len(got) == 1 and reason in got[0].error


def test_url_list_year_variants() -> None:
    got = entries("url,year\nhttp://a/,2023.0\nhttp://b/,2024年度\n")
    assert [e.year_hint for e in got] == [2023, 2024]


def test_arguments_of_every_kind(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("a")
    (tmp_path / "d" / "sub" / "b.pdf").write_bytes(b"%PDF")
    (tmp_path / "urls.csv").write_text("url\nhttp://x.gov.cn/1.html\n")
    got = expand_sources([str(tmp_path / "d"), str(tmp_path / "d" / "*.txt"), str(tmp_path / "urls.csv"),
                          "https://y.gov.cn/r.html#top", "ftp://z/", "", str(tmp_path / "missing")])
    assert [(e.kind, e.location, e.error) for e in got] == [
        ("file", str(tmp_path / "d" / "a.txt"), None),
        ("file", str(tmp_path / "d" / "sub" / "b.pdf"), None),
        ("url", "http://x.gov.cn/1.html", None),
        ("url", "https://y.gov.cn/r.html", None),
        ("url", "ftp://z/", "unsupported URL scheme 'ftp': only http and https are fetched"),
        ("file", "", "empty source argument"),
        ("file", str(tmp_path / "missing"), "no such file or directory"),
    ]


def test_check_url() -> None:
    assert check_url("https://www.gov.cn/zhengce/2024.html") is None
    assert check_url("HTTP://WWW.GOV.CN/") is None
    assert "scheme" in (check_url("javascript:alert(1)") or "")
