#!/usr/bin/env bash
# Installs what the server needs (first run only) and serves it on port 8000 (PORT to change).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
export ENABLE_WEB_INTERFACE="${ENABLE_WEB_INTERFACE:-true}"
exec uvicorn server.app:app --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" "$@"
