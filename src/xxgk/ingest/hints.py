"""Agency and report-year hints read from a source's name (file name, URL path): small pure functions.

A hint is only a hint: the parser reads agency and year from the report itself. Hints help route and check.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

FIRST_REPORT_YEAR = 2008  # 《政府信息公开条例》 took effect on 2008-05-01
LAST_REPORT_YEAR = 2099

_YEAR_WITH_NIAN = re.compile(r"(?<!\d)(20\d\d)\s*年")
_YEAR_ALONE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_AGENCY_BEFORE_YEAR = re.compile(r"^(?P<agency>[^\d/\\]*?[\u4e00-\u9fff][^\d/\\]*?)[\s_\-—（(]*20\d\d\s*年")
_AGENCY_AFTER_YEAR = re.compile(r"20\d\d\s*年度?[\s_\-—]*(?P<agency>[^\d/\\]+?)政府信息公开")
_GENERIC = frozenset({"政府", "人民政府", "本级", "本单位", "我局", "我委", "我办"})
_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_plausible_year(year: int) -> bool:
    return FIRST_REPORT_YEAR <= year <= LAST_REPORT_YEAR


def name_of(location: str) -> str:
    """The last path component of a file path or URL, percent-decoded (query and fragment dropped)."""
    path = urlsplit(location).path if "://" in location else location
    return unquote(path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1])


def find_year_hint(text: str) -> int | None:
    """A plausible report year in ``text``: ``2024年`` first, else a standalone ``2024``; the last one wins."""
    for pattern in (_YEAR_WITH_NIAN, _YEAR_ALONE):
        years = [int(y) for y in pattern.findall(text) if is_plausible_year(int(y))]
        if years:
            return years[-1]
    return None


def year_hint_from_location(location: str) -> int | None:
    """Year from the file name first, then from the rest of the path or URL path."""
    name = name_of(location)
    year = find_year_hint(name)
    if year is not None:
        return year
    rest = urlsplit(location).path if "://" in location else location
    return find_year_hint(unquote(rest))


def agency_hint_from_location(location: str) -> str | None:
    """An agency name in a Chinese file name: ``某某区人民政府2023年…`` or ``2023年某某局政府信息公开…``."""
    stem = name_of(location).rsplit(".", 1)[0]
    if not _CJK.search(stem):
        return None
    for pattern in (_AGENCY_BEFORE_YEAR, _AGENCY_AFTER_YEAR):
        match = pattern.search(stem)
        if match:
            agency = match.group("agency").strip(" _-—（()）【】[]")
            if len(agency) >= 2 and _CJK.search(agency) and "年度报告" not in agency and agency not in _GENERIC:
                return agency
    return None
