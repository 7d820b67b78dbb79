"""Process-wide settings for a process that parses reports by the hundred (``xxgk parse`` over a folder, the
staging sandboxes): nothing here changes what a parse returns."""

from __future__ import annotations

import gc

# A parse allocates some hundred thousand short-lived objects and frees nearly all of them by reference counting.
# CPython's default (a young-generation collection every 700 allocations, each also walking what survived)
# costs about 4 % of the parser's instructions; a threshold of 20 000 costs a fraction of that, and measured
# alike from 5 000 to 100 000 (callgrind over 100 generated reports).
PARSING_GC_THRESHOLDS = (20_000, 50, 100)


def prepare_for_parsing() -> None:
    """Move what is alive now (imported modules, label maps) out of the collector's sight and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*PARSING_GC_THRESHOLDS)
