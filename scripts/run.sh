#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the main job on the bundled sample reports in samples/: the annual run
# (ingest → parse → build → quality gate → publish) into ./lake, with embedded parts only (local folder, DuckDB,
# Prefect's ephemeral mode). Seed 001 (no tables) is quarantined; the other four reports are published.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
xxgk run "$@"
