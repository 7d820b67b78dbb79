"""Classifying cell text: a number, a not-applicable mark, a blank, or a label."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from xxgk.parsing.normalize import fold_text

NA_MARKS = frozenset({"/", "-", "—", "——", "–", "－", "\\", "无", "×", "x", "X", "*"})
_NUMBER = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d{1,64})(?:\.\d{1,12})?)(件|条|个|项|万元|元|次|人次)?$")
_HTML_SPACE = re.compile(r"&nbsp;?|&#160;|&#xa0;", re.IGNORECASE)

BLANK, NA, NUMBER, LABEL = "blank", "na", "number", "label"


@dataclass(frozen=True)
class CellText:
    kind: str  # blank | na | number | label
    number: int | float | None = None
    unit: str | None = None


@functools.lru_cache(maxsize=1 << 16)
def classify(text: str) -> CellText:
    """What a cell holds. ``'1,234'`` → number 1234; ``'/'`` → na; ``'&nbsp;'`` → blank; ``'规章'`` → label."""
    s = _HTML_SPACE.sub("", fold_text(text)).strip()
    if not s:
        return CellText(BLANK)
    if s in NA_MARKS:
        return CellText(NA)
    m = _NUMBER.match(s.replace(" ", ""))
    if m:
        digits = m.group(1).replace(",", "")
        number: int | float = float(digits) if "." in digits else int(digits)
        return CellText(NUMBER, number, m.group(2))
    return CellText(LABEL)


def is_value_text(text: str) -> bool:
    return classify(text).kind != LABEL
