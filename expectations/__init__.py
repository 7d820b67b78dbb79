"""Great Expectations suites of the publication gate, built in code from the canonical schema.

* :mod:`expectations.custom`: one expectation class per rule family, named ``Expect<Subject><Property>``, each a
  subclass of a built-in expectation with fixed defaults; every instance carries ``{"rule", "severity",
  "gate_column"}`` in ``meta``.
* :mod:`expectations.suites`: the suites ``agency_year__identities``, ``__completeness``, ``__ranges`` and
  ``__continuity``, generated from ``xxgk.quality.checks.gate_checks()`` (itself derived from ``xxgk.schema``),
  so they cannot drift from the schema.
* :mod:`expectations.gate`: the ``publication_gate`` checkpoint over the gate frame, validated through GX's pandas
  data source (GX 1.24 cannot validate DuckDB through SQLAlchemy; DataFrames read from DuckDB are used instead),
  with Data Docs built into a folder that the release carries.
"""

import os

# No usage statistics leave the machine.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
