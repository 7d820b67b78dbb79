from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from xxgk.parsing.normalize import fold_text, nfkc

# Report-like text: ideographs, Chinese and full-width punctuation, ASCII, and the characters that make NFKC
# interesting (combining marks that compose with a preceding letter, compatibility ideographs, ligatures, Hangul).
_ALPHABET = st.sampled_from(
    list("规章申请数量本机关政府信息公开（）：，；、。《》“”【】〔〕　 \u00a0\u200b\ufeff０１２３ＡＢ")
    + list("aAeE0123 \n|\t") + ["\u0301", "\u0308", "\u0327", "\uf900", "\ufb01", "\u1100", "\u1161", "\u11a8",
                                 "\u2460", "\u3000", "\u2026", "\u00bd", "\u212b", "\u0041\u030a"]
)


@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_nfkc_is_unicodedata_nfkc(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


@given(st.text(max_size=80))
def test_nfkc_is_unicodedata_nfkc_on_any_text(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_fold_text_folds_full_width_forms_and_drops_invisible_characters() -> None:
    assert fold_text("（一）本机关\u200b：１２\u3000件\ufeff") == "(一)本机关:12 件"


def test_a_combining_mark_after_a_full_width_letter_composes() -> None:
    assert nfkc("Ａ\u0301规章") == "\u00c1规章"
