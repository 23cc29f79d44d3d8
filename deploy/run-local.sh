#!/usr/bin/env bash
# `make run`: the hub at once, with the built-in knowledge bot. When `make bot-model` has
# prepared Rasa (its virtualenv and a trained model), the action server and Rasa start
# beside it; the hub follows Rasa's health check and hands it the conversations as soon
# as the model is loaded (about a minute), without a restart. Ctrl-C stops them all.
# `--assistant-only` (`make bot`): Rasa and the action server without the hub.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8080}"
RASA_DIR=chatbot/rasa
RASA="$(realpath -m "${RASA_VENV:-.venv-rasa}")/bin/rasa"
MODEL="$RASA_DIR/models/dasan.tar.gz"
HUB=yes
[[ "${1:-}" == "--assistant-only" ]] && HUB=no

if [[ ! -x "$RASA" || ! -f "$MODEL" ]]; then
  [[ $HUB == no ]] && { echo "Rasa is not prepared: run \`make bot-model\` first." >&2; exit 1; }
  echo "Rasa is not prepared (\`make bot-model\` prepares it): the built-in knowledge bot answers, in Korean."
  exec .venv/bin/dasan serve --host "$HOST" --port "$PORT"
fi

export DASAN_RASA_URL="${DASAN_RASA_URL:-http://127.0.0.1:5005}"
children=()
stop() { kill "${children[@]}" 2>/dev/null || true; wait; }
trap stop EXIT
trap 'exit 130' INT TERM

if [[ $HUB == yes ]]; then
  .venv/bin/dasan serve --host "$HOST" --port "$PORT" & children+=($!)
fi
.venv/bin/dasan actions --host 127.0.0.1 --port 5055 & children+=($!)
(
  cd "$RASA_DIR"
  export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore
  exec "$RASA" run --enable-api -i 127.0.0.1 -p "${DASAN_RASA_URL##*:}" \
    --model models/dasan.tar.gz --endpoints endpoints.yml --credentials credentials.yml
) & children+=($!)
echo "Rasa is loading its model (about a minute); until it answers, the built-in knowledge bot does."
wait -n  # one of them stopped: stop the others too
