"""Synthetic 政府信息公开工作年度报告 with ground truth: the test-data engine for the parser and the benchmarks.

Public API (used by the parser tests)::

    rng = random.Random(7)
    report = random_report(rng, serialization="html", defects=False)
    data = render(report)                 # bytes of the chosen serialization
    truth = truth_dict(report)            # published values, derived cells, planted defects
    for ser in SERIALIZATIONS: render(report, ser)

Layout: ``population`` (who reports), ``model`` (numbers and the Report type), ``style`` (how it looks),
``text`` (prose), ``defects`` (what goes wrong), ``layout``/``render`` (bytes), ``build`` (assembly),
``corpus`` (many reports over years, written with ``truth.jsonl``). Imports only ``xxgk.schema`` and the stdlib.
"""

from xxgk.synth.build import build_report, derived_cells, format_version_for, random_report, truth_dict
from xxgk.synth.defects import DEFECT_KINDS
from xxgk.synth.model import Defect, Fee, Report, Values, broken_identities, derive_cells, generate_values
from xxgk.synth.population import LEVELS, Agency, Region
from xxgk.synth.render import render
from xxgk.synth.style import SERIALIZATIONS, Style

__all__ = [
    "DEFECT_KINDS",
    "LEVELS",
    "SERIALIZATIONS",
    "Agency",
    "Defect",
    "Fee",
    "Region",
    "Report",
    "Style",
    "Values",
    "broken_identities",
    "build_report",
    "derive_cells",
    "derived_cells",
    "format_version_for",
    "generate_values",
    "random_report",
    "render",
    "truth_dict",
]
