"""Report metadata and prose: title, agency, report year, publication date, 索引号, the six sections, the
信息处理费 statement and injected spam. Small pure functions over the document's text lines."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from xxgk.parsing import patterns
from xxgk.parsing.labels import section_heading_forms
from xxgk.parsing.model import FeeStatement
from xxgk.parsing.normalize import fold_text
from xxgk.schema.keys import SECTION_IDS

MAX_HEADING_CHARS = 60  # a longer line is prose, never a section heading
_SPACES = re.compile(r"\s+")
HEAD_LINES = 30  # titles and metadata sit at the top of the page
TAIL_LINES = 12  # signatures sit at the bottom


def fold_lines(lines: Sequence[str]) -> list[str]:
    """NFKC-fold and strip every line in one pass (one normalisation call for the whole document)."""
    return [line.strip() for line in fold_text("\n".join(lines)).split("\n")]


@dataclass(frozen=True)
class Metadata:
    title: str | None
    agency: str | None
    year: int | None
    publication_date: str | None
    index_number: str | None


def read_metadata(folded: Sequence[str]) -> Metadata:
    """Metadata from the document's lines, already folded with :func:`fold_lines`."""
    title = find_title(folded)
    publication_date = find_publication_date(folded)
    year = find_report_year(folded, title)
    if year is None and publication_date:
        year = int(publication_date[:4]) - 1  # reports are published in the year after their data period
    return Metadata(title, find_agency(folded, title), year, publication_date, find_index_number(folded))


def find_title(lines: Sequence[str]) -> str | None:
    for line in lines[:HEAD_LINES]:
        if len(line) <= 80 and patterns.TITLE_HINT.search(line) and "《" not in line and "|" not in line:
            return line.strip()
    for line in lines[:HEAD_LINES]:
        m = patterns.TITLE_IN_QUOTES.search(line)
        if m:
            return m.group(1).strip()
    return None


def find_report_year(lines: Sequence[str], title: str | None) -> int | None:
    if title:
        m = patterns.YEAR_BEFORE_NIAN.search(title)
        if m:
            return int(m.group(1))
    for line in lines[:HEAD_LINES * 3]:
        m = patterns.DATA_PERIOD.search(line)
        if m and m.group(1) == m.group(2):
            return int(m.group(1))
    return None


def find_agency(lines: Sequence[str], title: str | None) -> str | None:
    publisher = next((m.group(1) for line in lines[:HEAD_LINES] if (m := patterns.PUBLISHER.search(line))), None)
    if title:
        m = patterns.AGENCY_BEFORE_YEAR.match(title.replace(" ", ""))
        if m and len(m.group(1)) >= 2:
            in_title = m.group(1).strip("《 ")
            # 发布机构 often names the agency in full where the title shortens it (乌恰镇 → 乌恰县乌恰镇).
            return publisher if publisher and publisher.endswith(in_title) else in_title
    if publisher:
        return publisher
    for line in reversed(lines[-TAIL_LINES:]):
        s = line.strip()
        if 2 < len(s) <= 30 and patterns.AGENCY_SUFFIX.search(s) and not any(ch.isdigit() for ch in s):
            return s
    return None


def find_publication_date(lines: Sequence[str]) -> str | None:
    for line in lines[:HEAD_LINES]:
        m = patterns.PUBLICATION_DATE.search(line) or patterns.DATE_LINE_START.match(line)
        if m:
            return _iso(m.group(1), m.group(2), m.group(3))
    for line in reversed(lines[-TAIL_LINES:]):
        m = patterns.SIGNATURE_DATE.match(line)
        if m:
            return _iso(m.group(1), m.group(2), m.group(3))
    return None


def find_index_number(lines: Sequence[str]) -> str | None:
    for line in lines[:HEAD_LINES]:
        m = patterns.INDEX_NUMBER.search(line)
        if m:
            return m.group(1)
    return None


def _iso(year: str, month: str, day: str) -> str | None:
    m, d = int(month), int(day)
    return f"{int(year):04d}-{m:02d}-{d:02d}" if 1 <= m <= 12 and 1 <= d <= 31 else None


def split_sections(lines: Sequence[str]) -> dict[str, str]:
    """Section id → text, from whole-line headings in their official order (never by a bare 「四、」 prefix).
    ``lines`` are folded (:func:`fold_lines`)."""
    forms = section_heading_forms()
    unnumbered = _unnumbered_heading_forms()
    endings = _heading_endings()
    starts: list[tuple[int, str]] = []
    order = {sid: i for i, sid in enumerate(SECTION_IDS)}
    last = -1
    for index, line in enumerate(lines):
        if len(line) > MAX_HEADING_CHARS or line[-1:] not in endings:
            continue
        key = _SPACES.sub("", line)
        section = forms.get(key) or unnumbered.get(key)
        if section and order[section] > last:
            starts.append((index, section))
            last = order[section]
    out = {}
    for n, (index, section) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        out[section] = "\n".join(filter(None, lines[index + 1 : end]))  # folded lines are stripped already
    return out


@functools.cache
def _heading_endings() -> frozenset[str]:
    """The last characters of every heading form: most lines end otherwise and need no closer look."""
    return frozenset(form[-1] for form in (*section_heading_forms(), *_unnumbered_heading_forms()) if form)


@functools.cache
def _unnumbered_heading_forms() -> dict[str, str]:
    return {_drop_numeral(k): v for k, v in section_heading_forms().items()}


def _drop_numeral(heading: str) -> str:
    return heading.split("、", 1)[1] if "、" in heading[:3] else heading


def read_fee(sections: dict[str, str], lines: Sequence[str]) -> FeeStatement:
    """The 信息处理费 statement of section 六 (or, when headings are missing, anywhere in the text)."""
    text = sections.get("other") or "\n".join(lines)
    charged = patterns.FEE_CHARGED.search(text)
    if charged and not patterns.FEE_NONE.search(text[max(0, charged.start() - 10) : charged.end()]):
        amount = float(charged.group(1) or charged.group(3))
        unit = charged.group(2) or charged.group(4)
        amount_yuan = amount * 10_000 if unit == "万元" else amount
        return FeeStatement("charged", amount_yuan, _sentence(text, charged.start()))
    none = patterns.FEE_NONE.search(text)
    if none:
        return FeeStatement("none", None, _sentence(text, none.start()))
    return FeeStatement("not_stated", None, None)


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind("。", 0, at), text.rfind("\n", 0, at)) + 1
    end_candidates = [i for i in (text.find("。", at), text.find("\n", at)) if i != -1]
    end = min(end_candidates) + 1 if end_candidates else len(text)
    return text[start:end].strip()


def find_spam(folded: Sequence[str]) -> list[tuple[int, str]]:
    """(line number, text) of every folded line carrying injected gambling spam or defacement."""
    if not patterns.SPAM.search("\n".join(folded).lower()):
        return []
    return [(i + 1, line) for i, line in enumerate(folded) if patterns.SPAM.search(line.lower())]
