#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the main job on the bundled sample reports in samples/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
xxgk parse samples/
