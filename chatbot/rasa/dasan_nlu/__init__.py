"""Custom Rasa NLU components for the hub's Rasa project (loaded by `rasa` from chatbot/rasa)."""
