"""The one error type readers raise for input they cannot read; the message is shown to the user as is."""


class ReaderError(Exception):
    """The bytes cannot be read as a report (empty, binary, hostile, encrypted, …)."""
