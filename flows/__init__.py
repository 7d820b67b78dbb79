"""Prefect flows: thin orchestration over the ``xxgk`` library (one module per stage)."""
