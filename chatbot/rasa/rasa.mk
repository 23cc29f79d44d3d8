# Rasa 3.6 project in chatbot/rasa. The top Makefile includes this fragment:
#     include chatbot/rasa/rasa.mk
# Targets: bot-model (install Rasa in its own Python 3.10 virtualenv + train), bot (bot-model,
# then Rasa on 127.0.0.1:5005 and the hub's action server on 127.0.0.1:5055), bot-eval
# (held-out intent accuracy, then both bots' knowledge answers, per language), bot-run (Rasa alone).
# Rasa never enters the hub's .venv: it needs Python <= 3.10 and pins aiohttp < 3.9.

RASA_DIR := chatbot/rasa
# Beside the hub's .venv, outside the packages: its site-packages are no part of the project.
RASA_VENV ?= .venv-rasa
RASA_PORT ?= 5005
RASA_BIN := $(abspath $(RASA_VENV))/bin
RASA_STAMP := $(RASA_VENV)/.rasa-3.6.21-installed
RASA_MODEL := $(RASA_DIR)/models/dasan.tar.gz
RASA_SOURCES := $(RASA_DIR)/config.yml $(RASA_DIR)/domain.yml \
	$(wildcard $(RASA_DIR)/data/*.yml $(RASA_DIR)/data/nlu/*.yml $(RASA_DIR)/dasan_nlu/*.py)

.PHONY: bot bot-model bot-setup bot-train bot-eval bot-run

$(RASA_STAMP): $(RASA_DIR)/setup.sh
	RASA_VENV=$(abspath $(RASA_VENV)) bash $(RASA_DIR)/setup.sh

bot-setup: $(RASA_STAMP)

$(RASA_MODEL): $(RASA_STAMP) $(RASA_SOURCES)
	RASA_VENV=$(abspath $(RASA_VENV)) bash $(RASA_DIR)/train.sh

# Install (once) and train (when the project changed).
bot-model: $(RASA_MODEL)

# Prepare, then serve the assistant: Rasa and the action server, until Ctrl-C. The hub
# (`make run` in another terminal, or on its own: it starts both itself) switches to Rasa
# once the model is loaded.
bot: $(RASA_MODEL) $(STAMP)
	bash deploy/run-local.sh --assistant-only

# Retrain even if nothing changed.
bot-train: $(RASA_STAMP)
	RASA_VENV=$(abspath $(RASA_VENV)) bash $(RASA_DIR)/train.sh --force

# Held-out intent accuracy per language, then the built-in bot and the assistant (Rasa with
# the action server) on the same labelled questions, accuracy per language side by side.
bot-eval: $(RASA_MODEL) $(STAMP)
	$(RASA_BIN)/python $(RASA_DIR)/evaluate.py
	RASA_VENV=$(abspath $(RASA_VENV)) $(BIN)/python -m chatbot.evaluation.through_rasa

# REST channel (/webhooks/rest/webhook) and HTTP API (/model/parse) on loopback only.
# Custom actions are served by the hub's action server on 127.0.0.1:5055 (endpoints.yml).
bot-run: $(RASA_MODEL)
	cd $(RASA_DIR) && RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 \
		$(RASA_BIN)/rasa run --enable-api -i 127.0.0.1 -p $(RASA_PORT) \
		--model models/dasan.tar.gz --endpoints endpoints.yml --credentials credentials.yml
