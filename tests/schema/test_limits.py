"""The fee plausibility limit: townships are held to the spec's 10^4 万元, larger agencies to 10^6."""

from __future__ import annotations

import pytest

from xxgk.schema.limits import ANY_FEE_LIMIT_WAN_YUAN, TOWNSHIP_FEE_LIMIT_WAN_YUAN, fee_limit_wan_yuan, is_township


@pytest.mark.parametrize(("name", "township"), [
    ("贞丰县青柏镇人民政府", True), ("鸡西市鸡冠区高寿街道办事处", True), ("某某乡", True),
    ("贞丰县人民政府", False), ("镇江市人民政府", False), (None, False), (float("nan"), False),
])
def test_is_township(name: object, township: bool) -> None:
    assert is_township(name) is township  # type: ignore[arg-type]
    assert fee_limit_wan_yuan(name) == (TOWNSHIP_FEE_LIMIT_WAN_YUAN if township else ANY_FEE_LIMIT_WAN_YUAN)  # type: ignore[arg-type]
