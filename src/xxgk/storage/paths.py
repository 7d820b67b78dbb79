"""Object keys of the lake layout (ARCHITECTURE.md): where raw bytes and the manifest live, and key hygiene."""

from __future__ import annotations

import re

RAW_PREFIX = "raw/"
MANIFEST_PREFIX = "raw/_manifest/"

_SHA256 = re.compile(r"[0-9a-f]{64}")


def raw_key(sha256: str) -> str:
    """``raw/<sha256[:2]>/<sha256>`` for a lowercase hex digest."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return f"{RAW_PREFIX}{sha256[:2]}/{sha256}"


def is_raw_object_key(key: str) -> bool:
    """True for ``raw/ab/ab…`` content objects (not the manifest, not anything else under ``raw/``)."""
    parts = key.split("/")
    return len(parts) == 3 and parts[0] == "raw" and bool(_SHA256.fullmatch(parts[2])) and parts[1] == parts[2][:2]


def validate_key(key: str) -> str:
    """Return ``key`` if it is a clean relative ``/``-separated key; raise ValueError otherwise."""
    if not key or key.startswith("/") or key.endswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"invalid object key: {key!r}")
    for part in key.split("/"):
        if part in ("", ".", "..") or part.startswith(".tmp"):
            raise ValueError(f"invalid object key: {key!r}")
    return key
