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
    return nfkc(text).replace("\u200b", "").replace("\ufeff", "")


# Characters NFKC leaves alone (ASCII, the CJK Unified Ideographs, the common Chinese punctuation 、。〈〉《》「」
# 『』【】〔〕 and quotes): a report is mostly these, and CPython's NFKC costs ~80 ns per character even on them.
_NFKC_STABLE = "\x00-\x7f\u4e00-\u9fff\u3001\u3002\u3008-\u3011\u3014-\u301b\u2018\u2019\u201c\u201d\u00d7"
_NOT_NFKC_STABLE = re.compile(f"([^{_NFKC_STABLE}]+)")
_nfkc_of_stretch: dict[str, str] = {}
MAX_CACHED_STRETCHES = 1 << 14


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, several times faster on Chinese text.

    Each stretch of other characters (full-width ，（）：) is replaced by its own NFKC form, giving a string
    compatibility-equivalent to ``text`` (same NFKD). When that string is in NFKC it is NFKC(text); otherwise (a
    combining mark composing across a stretch boundary, say) the whole text is normalised the slow way.
    """
    if text.isascii():
        return text
    parts = _NOT_NFKC_STABLE.split(text)
    if len(parts) == 1:
        return text
    known = _nfkc_of_stretch
    parts[1::2] = [known.get(part) or _nfkc_stretch(part) for part in parts[1::2]]
    folded = "".join(parts)
    return folded if unicodedata.is_normalized("NFKC", folded) else unicodedata.normalize("NFKC", text)


def _nfkc_stretch(stretch: str) -> str:
    folded = unicodedata.normalize("NFKC", stretch)
    if len(_nfkc_of_stretch) < MAX_CACHED_STRETCHES:
        _nfkc_of_stretch[stretch] = folded
    return folded


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
