#!/usr/bin/env bash
# Set up Nebula in .venv and run it on its embedded defaults (SQLite, local jobs, ./nebula-data),
# listening on http://127.0.0.1:8080. Extra arguments go to `nebula serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
bootstrap_nebula ""
exec .venv/bin/nebula serve "$@"
