"""Readers: bytes → :class:`xxgk.parsing.model.Document`. The only modules that import format libraries."""

from xxgk.parsing.readers.errors import ReaderError

__all__ = ["ReaderError"]
