#!/usr/bin/env bash
# Installs what the tests need (first run only), checks lint and format, runs the whole suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
ruff check .
ruff format --check .
exec python -m pytest "$@"
