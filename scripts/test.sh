#!/usr/bin/env bash
# Set up Nebula with its test dependencies in .venv and run the whole test suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
bootstrap_nebula "test"
exec .venv/bin/python -m pytest "$@"
