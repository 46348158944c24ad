#!/usr/bin/env bash
# Installs what the server needs (first run only) and serves it on port 8000 (PORT to change),
# with openenv's web interface on, through the `server` console script (server.app:main), so
# the WebSocket limits of server/settings.py apply. Once /health answers it prints the pages.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
export ENABLE_WEB_INTERFACE="${ENABLE_WEB_INTERFACE:-true}"
python scripts/announce_urls.py "http://localhost:${PORT:-8000}" --wait-pid $$ &
exec server
