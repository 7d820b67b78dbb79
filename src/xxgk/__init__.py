"""xxgk: 政府信息公开工作年度报告 → trusted agency-year data.

The public parsing API is :func:`parse_bytes` and :func:`parse_path`; everything else is reached through its
sub-package (``xxgk.storage``, ``xxgk.staging``, …) or the ``xxgk`` command line.
"""

import logging

__version__ = "0.1.0"
# Bumped whenever parsing output can change, so staging re-parses exactly the reports it must.
PARSER_VERSION = "1"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["PARSER_VERSION", "__version__", "parse_bytes", "parse_path"]


def __getattr__(name: str):  # lazy, so `import xxgk` stays cheap for the command line
    if name in ("parse_bytes", "parse_path"):
        from xxgk.parsing import report

        return getattr(report, name)
    raise AttributeError(name)
