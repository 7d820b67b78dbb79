"""Text hygiene: small pure functions for decoding, Unicode folding and label normalisation."""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# Leading enumeration of a label: 一、 / （一） / (一) / 1. / 1、 / ① …
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|[(][一二三四五六七八九十]+[)]|\d{1,2}[.、](?!\d)|[①-⑳])"
)
_PARENTHETICAL = re.compile(r"[(][^()]*[)]")
_PUNCT = re.compile(r"[、,.。:;!?'\"“”‘’《》<>〈〉「」『』\[\]【】/\\_\-—~·|]")
_CJK_DIGITS = "零一二三四五六七八九"


def fold_text(text: str) -> str:
    """NFKC plus the folds NFKC leaves out (NBSP and ideographic space become plain spaces under NFKC)."""
    return unicodedata.normalize("NFKC", text).replace("\u200b", "").replace("\ufeff", "")


@functools.lru_cache(maxsize=1 << 16)
def normalize_label(text: str) -> str:
    """The comparison form of a label: folded, no whitespace, no numbering, no parenthetical notes, no punctuation.

    ``（二）部分公开 (区分处理的，只计这一情形)`` → ``部分公开``; ``商业 企业`` → ``商业企业``.
    """
    s = _WHITESPACE.sub("", fold_text(text))
    s = _NUMBERING.sub("", s, count=1)
    s = _PARENTHETICAL.sub("", s)
    return _PUNCT.sub("", s)


def label_numbering(text: str) -> str | None:
    """The enumeration prefix of a label (``1.``, ``(三)``, ``四、``), folded, or None."""
    s = _WHITESPACE.sub("", fold_text(text))
    m = _NUMBERING.match(s)
    return m.group(0) if m else None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode report bytes whatever a page declares: BOMs, then strict UTF-8, then GB18030 (a superset of GBK).

    Returns the text and the encoding actually used. Bytes that are neither decode as UTF-8 with replacement
    characters, reported as ``utf-8-replace`` so the caller can flag it.
    """
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), "utf-8-replace"


def cjk_to_int(text: str) -> int | None:
    """``二〇二四`` / ``二零二四`` → 2024 (digit-by-digit Chinese numerals, as in dates)."""
    digits = []
    for ch in text:
        if ch == "〇":
            digits.append("0")
        elif ch in _CJK_DIGITS:
            digits.append(str(_CJK_DIGITS.index(ch)))
        else:
            return None
    return int("".join(digits)) if digits else None
