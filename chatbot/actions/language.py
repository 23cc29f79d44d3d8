"""action_set_language: the `language` slot follows what the hub says on every message."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from chatbot.actions.signals import LANGUAGES


class SetLanguage(Action):
    """The slot's custom mapping: Rasa runs it before any rule on every user message, so a
    citizen who switches language gets the very next answer in the new one."""

    def name(self) -> str:
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        sent = (tracker.latest_message.get("metadata") or {}).get("language")
        if sent in LANGUAGES and sent != tracker.get_slot("language"):
            return [SlotSet("language", sent)]
        return []
