#!/usr/bin/env bash
# Pre-submission check, in three parts; each says PASS, FAIL or SKIPPED, and any FAIL fails the run.
#   1. files:  `openenv validate` on a temporary copy of the repository, with a uv.lock generated
#              there by `uv lock` (uv from PATH, else pip-installed into a temporary venv). The
#              lock is never written into the repository (DESIGN section 6).
#   2. server: starts the server on a free loopback port (web interface on, as on the Space),
#              runs `openenv validate --url` and the README's curl walk-through against it.
#   3. docker: `docker build` when a Docker engine answers; SKIPPED otherwise.
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
say "1. openenv validate on the files (lock generated in $WORK)"
COPY="$WORK/inventory_env"
mkdir -p "$COPY"
git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null \
  | tar -xf - -C "$COPY"
UV="$(command -v uv || true)"
if [ -z "$UV" ]; then
  echo "uv is not on PATH: installing it into a temporary venv"
  if python -m venv "$WORK/uv-venv" && "$WORK/uv-venv/bin/pip" install --quiet uv; then
    UV="$WORK/uv-venv/bin/uv"
  fi
fi
if [ -z "$UV" ]; then
  echo "SKIPPED: uv could not be had, so no uv.lock for 'openenv validate' to find"
  RESULT[files]=SKIPPED
elif ! (cd "$COPY" && "$UV" lock --quiet); then
  echo "SKIPPED: 'uv lock' failed (is PyPI reachable?)"
  RESULT[files]=SKIPPED
elif (cd "$COPY" && openenv validate --verbose); then
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
elif openenv validate --url "$URL" --timeout 30 >"$WORK/runtime.json" \
  && python -c 'import json, sys; r = json.load(open(sys.argv[1])); print("openenv validate --url:", "passed" if r["passed"] else "FAILED", r["summary"])' "$WORK/runtime.json" \
  && walkthrough; then
  RESULT[server]=PASS
else
  cat "$WORK/runtime.json" 2>/dev/null || true
  RESULT[server]=FAIL
fi

# ------------------------------------------------------------------------------ 3. docker
say "3. docker build"
if [ "${SKIP_DOCKER:-0}" = "1" ]; then
  echo "SKIPPED: SKIP_DOCKER=1"
  RESULT[docker]=SKIPPED
elif ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "SKIPPED: no Docker engine answers here ('docker info' fails), the image was not built"
  RESULT[docker]=SKIPPED
elif docker build -t inventory-env:validate "$ROOT"; then
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
