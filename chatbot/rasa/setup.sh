#!/usr/bin/env bash
# Creates .venv-rasa at the top of the repository (Python 3.10) with rasa==3.6.21. Idempotent: a second run
# only checks the installed version and exits. Prints the time taken and the venv size.
#
# Rasa 3.6 supports Python 3.8-3.10 only and pins aiohttp<3.9, so it never shares the
# hub's Python 3.11 environment.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${RASA_VENV:-$HERE/../../.venv-rasa}"
RASA_VERSION="3.6.21"
STAMP="$VENV/.rasa-$RASA_VERSION-installed"

find_python310() {
    if [[ -n "${PYTHON310:-}" ]]; then echo "$PYTHON310"; return; fi
    local candidate
    for candidate in python3.10 "$HOME/.pyenv/versions/3.10"*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
            command -v "$candidate"; return
        fi
    done
    # pyenv shims refuse python3.10 unless that version is selected.
    if command -v pyenv >/dev/null 2>&1; then
        local version
        version="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -V | tail -1 || true)"
        if [[ -n "$version" ]]; then echo "$(pyenv root)/versions/$version/bin/python3.10"; return; fi
    fi
    return 1
}

if [[ -f "$STAMP" ]] && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('rasa') != '$RASA_VERSION')" 2>/dev/null; then
    echo "rasa $RASA_VERSION already installed in $VENV ($(du -sh "$VENV" | cut -f1)); nothing to do."
    exit 0
fi

PY="$(find_python310)" || { echo "setup.sh: Python 3.10 not found; set PYTHON310=/path/to/python3.10" >&2; exit 1; }
echo "Using $PY ($("$PY" --version 2>&1))"
start=$(date +%s)

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "Creating virtualenv $VENV"
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --upgrade --progress-bar on "pip<25" "setuptools<70" wheel
echo "Installing rasa==$RASA_VERSION (a few minutes; about 2.5 GB)"
"$VENV/bin/python" -m pip install --progress-bar on "rasa==$RASA_VERSION"
"$VENV/bin/rasa" --version
touch "$STAMP"

end=$(date +%s)
echo "Installed rasa $RASA_VERSION in $((end - start)) s; $VENV is $(du -sh "$VENV" | cut -f1)."
