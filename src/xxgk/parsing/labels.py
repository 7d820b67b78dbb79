"""Label crosswalks: raw label variants → canonical keys, read from ``package_data/label_maps/*.csv``.

Matching is exact on the normalised form first; a close fuzzy match (typos such as 不现处理) is accepted only
above a similarity floor and reported, so every mapping can be audited.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
from dataclasses import dataclass
from importlib import resources

from xxgk.parsing.normalize import normalize_label

FUZZY_FLOOR = 0.86  # below this a label is not a variant of a canonical one but a different label
FUZZY_MIN_LENGTH = 5  # short labels (规章, 其他) must match exactly
FUZZY_BIGRAM_SHARE = 0.6  # share of a candidate's character pairs a text must contain to be compared at all


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


@dataclass(frozen=True)
class LabelMatch:
    key: str
    format_version: str  # "any", "2019" or "2021": the layout the label belongs to
    is_fuzzy: bool


@functools.cache
def _read_map(name: str) -> tuple[dict[str, str], ...]:
    text = resources.files("xxgk.package_data.label_maps").joinpath(name).read_text(encoding="utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))


class LabelMap:
    """One crosswalk: normalised label → (key, format_version)."""

    def __init__(self, entries: list[tuple[str, str, str]]):
        self._exact: dict[str, tuple[str, str]] = {}
        for label, key, version in entries:
            self._exact.setdefault(normalize_label(label), (key, version))
        self._choices = list(self._exact)
        self._grams = {f: _bigrams(f) for f in self._choices}
        self.forms_longest_first = tuple(sorted(self._exact, key=len, reverse=True))
        self._cache: dict[bool, dict[str, LabelMatch | None]] = {True: {}, False: {}}
        self._suffix_cache: dict[str, LabelMatch | None] = {}
        self._lengths_desc = sorted({len(f) for f in self._exact if len(f) >= 2}, reverse=True)

    def match(self, raw: str, *, fuzzy: bool = True) -> LabelMatch | None:
        cache = self._cache[fuzzy]
        hit = cache.get(raw, False)
        if hit is False:
            if len(cache) > 50_000:
                cache.clear()
            hit = cache[raw] = self._match(raw, fuzzy)
        return hit

    def match_suffix(self, norm: str) -> LabelMatch | None:
        """The longest label (two characters or more) that the normalised text ends with, for glued labels such
        as 「三、本年度办理结果(一)予以公开」."""
        hit = self._suffix_cache.get(norm, False)
        if hit is False:
            hit = None
            for n in self._lengths_desc:
                if n < len(norm) and (key := self._exact.get(norm[-n:])):
                    hit = LabelMatch(key[0], key[1], False)
                    break
            if len(self._suffix_cache) > 50_000:
                self._suffix_cache.clear()
            self._suffix_cache[norm] = hit
        return hit

    def lookup(self, form: str) -> tuple[str, str]:
        """(key, format_version) of a normalised form from :attr:`forms_longest_first`."""
        return self._exact[form]

    def _match(self, raw: str, fuzzy: bool) -> LabelMatch | None:
        norm = normalize_label(raw)
        if not norm:
            return None
        hit = self._exact.get(norm)
        if hit:
            return LabelMatch(hit[0], hit[1], False)
        if not fuzzy or len(norm) < FUZZY_MIN_LENGTH or len(norm) > 80:
            return None
        # Cheap prefilter: a typo keeps most character pairs, so candidates sharing few are never compared.
        grams = _bigrams(norm)
        near = [f for f in self._choices if len(grams & self._grams[f]) >= FUZZY_BIGRAM_SHARE * len(self._grams[f])]
        if not near:
            return None
        best = difflib.get_close_matches(norm, near, n=1, cutoff=FUZZY_FLOOR)
        if best:
            key, version = self._exact[best[0]]
            return LabelMatch(key, version, True)
        return None

    def contains_key(self, norm: str) -> bool:
        return norm in self._exact


@functools.cache
def table3_rows() -> LabelMap:
    return LabelMap([(r["label"], r["key"], r["format_version"]) for r in _read_map("table3_rows.csv")])


@functools.cache
def table3_groups() -> LabelMap:
    return LabelMap([(r["label"], "group", "any") for r in _read_map("table3_groups.csv")])


@functools.cache
def table3_cols() -> LabelMap:
    return LabelMap([(r["label"], r["key"], "any") for r in _read_map("table3_cols.csv")])


@functools.cache
def table2_rows() -> LabelMap:
    return LabelMap([(r["label"], r["row"], r["format_version"]) for r in _read_map("table2_rows.csv")])


@functools.cache
def table2_cols() -> LabelMap:
    return LabelMap([(r["label"], r["label"], r["format_version"]) for r in _read_map("table2_cols.csv")])


@functools.cache
def table4_leaves() -> LabelMap:
    return LabelMap([(r["label"], r["leaf"], "any") for r in _read_map("table4_leaves.csv")])


@functools.cache
def sections() -> LabelMap:
    return LabelMap([(r["label"], r["section"], "any") for r in _read_map("sections.csv")])


@functools.cache
def section_heading_forms() -> dict[str, str]:
    """Normalised heading *with* its numeral (一、…) → section id; headings are matched whole, never by prefix."""
    return {_heading_key(r["label"]): r["section"] for r in _read_map("sections.csv")}


def _heading_key(label: str) -> str:
    from xxgk.parsing.normalize import fold_text

    return "".join(ch for ch in fold_text(label) if not ch.isspace())
