#!/usr/bin/env bash
# Start every process under one supervisor (honcho). Settings: .env if present, else the demo values
# from .env.example. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a
# shellcheck disable=SC1091
[ -f .env ] && . ./.env
: "${BACKEND_PORT:=8000}" "${SANDBOX_PORT:=8001}" "${ACTIONS_PORT:=5055}" "${RASA_PORT:=5005}"
: "${RASA_TOKEN:=demo-rasa-token-change-me}"
: "${ACTION_SERVER_TOKEN:=demo-action-token-change-me}"
: "${ACTION_SERVER_URL:=http://127.0.0.1:${ACTIONS_PORT}/webhook}"
: "${BACKEND_URL:=http://127.0.0.1:${BACKEND_PORT}}"
: "${TWILIO_API_BASE:=http://127.0.0.1:${SANDBOX_PORT}}"
: "${SMS_WEBHOOK_PUBLIC_URL:=http://127.0.0.1:${RASA_PORT}/webhooks/sms/webhook}"
: "${TRACKER_DB_DIALECT:=sqlite}" "${TRACKER_DB:=var/tracker.db}"
: "${EVENTS_DB_DIALECT:=sqlite}" "${EVENTS_DB:=var/events.db}"
: "${RASA_EVENTS_URL:=sqlite:///var/events.db}"
set +a
cat <<MSG

Care coordination assistant (demo)
  backend API   ${BACKEND_URL}/docs
  SMS sandbox   http://127.0.0.1:${SANDBOX_PORT}/docs   (POST /sandbox/inbound to text as a patient)
  Rasa          http://127.0.0.1:${RASA_PORT}   SMS webhook ${SMS_WEBHOOK_PUBLIC_URL}
  actions       http://127.0.0.1:${ACTIONS_PORT}/health
$(.venv/backend/bin/python -m backend.app.seed --logins)
  Demo patients: +447700900001 to +447700900060. Ctrl-C stops everything.

MSG
exec .venv/backend/bin/honcho start -f Procfile
