#!/usr/bin/env bash
# Trains the Rasa model into chatbot/rasa/models/dasan.tar.gz with Rasa's own progress
# bars, then prints the wall time. Extra arguments go to `rasa train`
# (e.g. `./train.sh --force` retrains even when Rasa's cache says nothing changed).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${RASA_VENV:-$HERE/../../.venv-rasa}"
[[ -x "$VENV/bin/rasa" ]] || { echo "train.sh: no Rasa in $VENV; run chatbot/rasa/setup.sh first" >&2; exit 1; }

cd "$HERE"   # Rasa puts the working directory on sys.path: dasan_nlu/ must be importable
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore
export SQLALCHEMY_SILENCE_UBER_WARNING=1

start=$(date +%s)
"$VENV/bin/rasa" train \
    --config config.yml --domain domain.yml --data data \
    --out models --fixed-model-name dasan "$@"
end=$(date +%s)
echo "Trained models/dasan.tar.gz in $((end - start)) s ($(du -h models/dasan.tar.gz | cut -f1))."
