#!/usr/bin/env bash
# Pre-submission check, in three parts; each says PASS, FAIL or SKIPPED, and any FAIL fails the run.
#   1. files:  `openenv validate --level static` on the repository itself, then its runtime level
#              through scripts/validate_local.py (the server as a local process, no Docker).
#   2. server: starts the server on a free loopback port (web interface on, as on the Space),
#              runs `openenv validate --url` and the README's curl walk-through against it.
#   3. docker: `docker build` and `openenv validate` (all levels, Docker runtime) when a Docker
#              engine answers; SKIPPED otherwise.
# Usage: scripts/validate-submission.sh            (SKIP_DOCKER=1 to leave out part 3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"  # .venv, PATH, cd to the repository root
ROOT="$(pwd)"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

declare -A RESULT
say() { printf '\n=== %s\n' "$*"; }

# ------------------------------------------------------------------------------ 1. files
say "1. openenv validate on the repository itself: static level, then runtime level"
# The CLI's runtime level builds a Docker image (part 3); scripts/validate_local.py runs the same
# runtime graders on the server as a local process. openenv 0.10 ships no semantic graders.
if openenv validate --level static \
  && python scripts/validate_local.py; then
  RESULT[files]=PASS
else
  RESULT[files]=FAIL
fi

# ------------------------------------------------------------------------------ 2. server
say "2. the running server: openenv validate --url and the curl walk-through"
PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
HOST=127.0.0.1 PORT="$PORT" LOG_LEVEL=warning ENABLE_WEB_INTERFACE=true \
  GRADIO_ANALYTICS_ENABLED=False server >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
  curl -sf "$URL/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.2
done

walkthrough() {  # every command must succeed (set -e does not apply inside an && list)
  local show='import json, sys; print(json.dumps(json.load(sys.stdin))[:300])'
  echo "+ curl $URL/health"
  curl -sS --fail-with-body "$URL/health" | python -c "$show" || return 1
  echo "+ curl -X POST $URL/reset"
  curl -sS --fail-with-body -X POST "$URL/reset" | python -c "$show" || return 1
  echo "+ curl -X POST $URL/step -d '{\"action\":{...}}'"
  curl -sS --fail-with-body -X POST "$URL/step" -H 'Content-Type: application/json' \
    -d '{"action":{"buy_quantities":{"groceries":10},"delivery_method":"fast"}}' \
    | python -c "$show" || return 1
  echo "+ curl $URL/state   (the episode persisted: day 1)"
  curl -sS --fail-with-body "$URL/state" | python -c 'import json, sys
s = json.load(sys.stdin)
assert s["current_day"] == 1, s
print("day", s["current_day"], "of episode", s["episode_id"])' || return 1
  echo "+ curl $URL/tasks"
  curl -sS --fail-with-body "$URL/tasks" \
    | python -c 'import json, sys; print([t["name"] for t in json.load(sys.stdin)["tasks"]])' \
    || return 1
  echo "+ curl -X POST '$URL/grader?task_name=easy&agent_profit=5000'"
  curl -sS --fail-with-body -X POST "$URL/grader?task_name=easy&agent_profit=5000" \
    | python -c "$show" || return 1
  echo "+ curl '$URL/baseline?task_name=hard'"
  curl -sS --fail-with-body "$URL/baseline?task_name=hard" | python -c "$show" || return 1
  echo "+ curl $URL/web/ and $URL/play"
  curl -sS --fail-with-body -o /dev/null "$URL/web/" || return 1
  curl -sS --fail-with-body -o /dev/null "$URL/play" || return 1
}

if ! curl -sf "$URL/health" >/dev/null 2>&1; then
  echo "FAIL: the server did not start; its output:"
  tail -n 40 "$WORK/server.log"
  RESULT[server]=FAIL
elif openenv validate --url "$URL" --timeout 30 --json >"$WORK/runtime.json" \
  && python -c 'import json, sys; r = json.load(open(sys.argv[1])); print("openenv validate --url:", "passed" if r["passed"] else "FAILED", sum(c["passed"] for c in r["criteria"]), "of", len(r["criteria"]), "criteria")' "$WORK/runtime.json" \
  && walkthrough; then
  RESULT[server]=PASS
else
  cat "$WORK/runtime.json" 2>/dev/null || true
  RESULT[server]=FAIL
fi

# ------------------------------------------------------------------------------ 3. docker
say "3. docker build, and openenv validate with its own Docker runtime level"
if [ "${SKIP_DOCKER:-0}" = "1" ]; then
  echo "SKIPPED: SKIP_DOCKER=1"
  RESULT[docker]=SKIPPED
elif ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "SKIPPED: no Docker engine answers here ('docker info' fails), the image was not built"
  RESULT[docker]=SKIPPED
elif docker build -t inventory-env:validate "$ROOT" && openenv validate; then
  RESULT[docker]=PASS
else
  RESULT[docker]=FAIL
fi

say "summary"
STATUS=0
for part in files server docker; do
  printf '%-7s %s\n' "$part" "${RESULT[$part]}"
  [ "${RESULT[$part]}" = FAIL ] && STATUS=1
done
exit "$STATUS"
