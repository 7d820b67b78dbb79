"""The quality gate's rules applied to pandas DataFrames: pure functions, no I/O, no Great Expectations.

:mod:`xxgk.quality.frames` turns the long staging cell tables into one row per report; :mod:`xxgk.quality.checks`
computes every rule of ``xxgk.schema.identities.RULES`` the gate uses as ``quality_results`` rows and as a *gate
frame* (one row per report, one residual column per check, 0 = pass) that the expectation suites validate;
:mod:`xxgk.quality.results` declares the ``quality_results`` table; :mod:`xxgk.quality.report` renders the
human-readable HTML quality report.
"""

from xxgk.quality.checks import GATE_RULES, CheckThresholds, run_checks
from xxgk.quality.results import QUALITY_RESULTS_COLUMNS, quarantine_reasons

__all__ = ["GATE_RULES", "QUALITY_RESULTS_COLUMNS", "CheckThresholds", "quarantine_reasons", "run_checks"]
