#!/usr/bin/env bash
# `make run`: RootMail on its embedded defaults plus the Microsoft 365 Agents Playground, both on loopback.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BOT_PORT=${ROOTMAIL_PORT:-3978}
PLAYGROUND_PORT=${PLAYGROUND_PORT:-56150}
mkdir -p var/playground
export ROOTMAIL_ADMIN_CONVERSATION=${ROOTMAIL_ADMIN_CONVERSATION:-personal-chat-rootmail}

pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; echo; echo "RootMail stopped."; }
trap stop INT TERM EXIT

.venv/bin/python app.py &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$BOT_PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "RootMail did not start (see above)."; exit 1; }
  sleep 0.2
done

: > var/playground/playground.log
(cd var/playground && \
  M365_AGENTS_PLAYGROUND_CONFIG_PATH="$ROOT/config/playground.yml" TEAMSAPPTESTER_BROWSER=none \
  exec node -r "$ROOT/scripts/loopback-only.cjs" "$ROOT/node_modules/@microsoft/m365agentsplayground/cli.js" \
    -e "http://127.0.0.1:$BOT_PORT/api/messages" -c msteams -p "$PLAYGROUND_PORT" --disable-telemetry \
    > playground.log 2>&1) &
pids+=($!)
port=""
for _ in $(seq 1 150); do
  port=$(grep -oE 'Listening on [0-9]+' var/playground/playground.log | head -1 | awk '{print $3}') && [ -n "$port" ] && break
  kill -0 "${pids[1]}" 2>/dev/null || { cat var/playground/playground.log; echo "The Playground did not start."; exit 1; }
  sleep 0.2
done

cat <<MSG

  RootMail is running on its embedded defaults.

  Open the Teams-like client:   http://127.0.0.1:${port}/
    - personal chat: type  new
    - team "Cloud Platform" > channel "AWS Accounts": @mention RootMail, then  new
  Send a sample AWS mail:        make demo-mail TO=<the address you got>
  Bot endpoint:                  http://127.0.0.1:${BOT_PORT}/api/messages   (health: /healthz, /readyz)
  Data:                          var/rootmail.db   Logs of the Playground: var/playground/playground.log

  Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
