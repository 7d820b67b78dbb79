"""Plausibility limits shared by the parser's warnings and the quality gate's soft checks (one source of truth)."""

from __future__ import annotations

import re

# format-spec §2: fees are 万元, but some agencies enter 元. A township's fee above 10^4 万元 (100 million yuan) is
# implausible; larger agencies (a province's summary report) legitimately reach that, so they are judged at 10^6.
TOWNSHIP_FEE_LIMIT_WAN_YUAN = 1e4
ANY_FEE_LIMIT_WAN_YUAN = 1e6
_TOWNSHIP = re.compile(r"(镇|乡|街道|街道办事处)(人民政府)?$")


def is_township(agency_name: str | None) -> bool:
    """Whether the agency name is a township's (乡, 镇, 街道): the level the spec's fee limit is stated for."""
    return isinstance(agency_name, str) and bool(_TOWNSHIP.search(agency_name))


def fee_limit_wan_yuan(agency_name: str | None) -> float:
    """The 行政事业性收费 (万元) above which the amount looks like 元 entered as 万元 for this agency."""
    return TOWNSHIP_FEE_LIMIT_WAN_YUAN if is_township(agency_name) else ANY_FEE_LIMIT_WAN_YUAN
