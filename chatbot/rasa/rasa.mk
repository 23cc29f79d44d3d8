# Rasa 3.6 project in chatbot/rasa. The top Makefile includes this fragment:
#     include chatbot/rasa/rasa.mk
# Targets: bot (install Rasa in its own Python 3.10 virtualenv + train), bot-eval (held-out
# intent accuracy per language), bot-run (Rasa server for the hub on 127.0.0.1:5005).
# Rasa never enters the hub's .venv: it needs Python <= 3.10 and pins aiohttp < 3.9.

RASA_DIR := chatbot/rasa
RASA_VENV ?= $(RASA_DIR)/.venv
RASA_PORT ?= 5005
RASA_BIN := $(abspath $(RASA_VENV))/bin
RASA_STAMP := $(RASA_VENV)/.rasa-3.6.21-installed
RASA_MODEL := $(RASA_DIR)/models/dasan.tar.gz
RASA_SOURCES := $(RASA_DIR)/config.yml $(RASA_DIR)/domain.yml \
	$(wildcard $(RASA_DIR)/data/*.yml $(RASA_DIR)/data/nlu/*.yml $(RASA_DIR)/dasan_nlu/*.py)

.PHONY: bot bot-setup bot-train bot-eval bot-run

$(RASA_STAMP): $(RASA_DIR)/setup.sh
	RASA_VENV=$(abspath $(RASA_VENV)) bash $(RASA_DIR)/setup.sh

bot-setup: $(RASA_STAMP)

$(RASA_MODEL): $(RASA_STAMP) $(RASA_SOURCES)
	RASA_VENV=$(abspath $(RASA_VENV)) bash $(RASA_DIR)/train.sh

# Install (once) and train (when the project changed).
bot: $(RASA_MODEL)

# Retrain even if nothing changed.
bot-train: $(RASA_STAMP)
	RASA_VENV=$(abspath $(RASA_VENV)) bash $(RASA_DIR)/train.sh --force

bot-eval: $(RASA_MODEL)
	$(RASA_BIN)/python $(RASA_DIR)/evaluate.py

# REST channel (/webhooks/rest/webhook) and HTTP API (/model/parse) on loopback only.
# Custom actions are served by the hub's action server on 127.0.0.1:5055 (endpoints.yml).
bot-run: $(RASA_MODEL)
	cd $(RASA_DIR) && RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 \
		$(RASA_BIN)/rasa run --enable-api -i 127.0.0.1 -p $(RASA_PORT) \
		--model models/dasan.tar.gz --endpoints endpoints.yml --credentials credentials.yml
