# Dasan Hub. `make run` serves the hub on http://127.0.0.1:8080; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast bench bench-bot bench-video bench-report bot-eval-builtin browser clean

# The Rasa assistant: `make bot` (own Python 3.10 virtualenv, training), `make bot-eval`.
include chatbot/rasa/rasa.mk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The hub; with Rasa and its action server too once `make bot` has prepared them.
run: $(STAMP)
	RASA_VENV=$(abspath $(RASA_VENV)) bash deploy/run-local.sh

# Debian's Chromium for the browser tests, never a browser download; Noto CJK so that
# Korean, Chinese and Japanese are readable in their screenshots.
browser:
	@command -v chromium >/dev/null && fc-list | grep -q "Noto Sans CJK" || \
		{ apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# `bot-model` first: the Rasa tests start the trained model (the first time installs Rasa and trains).
test: $(STAMP) browser bot-model
	$(BIN)/python -m pytest -q --durations=25

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not rasa"

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/queries.py
	$(BIN)/python bench/langid.py

bench-bot: $(STAMP) bot-model
	$(BIN)/python bench/bot_turn.py

# The built-in bot's accuracy per language on the labelled questions (chatbot/evaluation).
bot-eval-builtin: $(STAMP)
	$(BIN)/python -m chatbot.evaluation

# The monthly report over 30 days × 19,243 conversations on SQLite and PostgreSQL (PostgreSQL
# on 127.0.0.1:5432, database dasan_bench recreated); ARGS="--per-day 500" for a quick look.
bench-report: $(STAMP)
	$(BIN)/python bench/report.py $(ARGS)

# Pins the hub to the first core and its test peers to the others (Linux, two cores or more).
bench-video: $(STAMP)
	$(BIN)/python bench/video.py

clean:
	rm -rf $(VENV) var .pytest_cache
