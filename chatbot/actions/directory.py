"""action_phone_directory: the number of the office the citizen names."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from chatbot.actions.signals import language_of, tell_hub
from chatbot.phone_directory import PhoneDirectory


class PhoneDirectoryLookup(Action):
    def __init__(self, directory: PhoneDirectory) -> None:
        self._directory = directory

    def name(self) -> str:
        return "action_phone_directory"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        office = self._directory.find(tracker.latest_message.get("text") or "")
        if office is None:
            dispatcher.utter_message(response="utter_ask_which_office")  # a question, not a failure
            return []
        dispatcher.utter_message(text=f"{office.name_in(language_of(tracker))}: {office.number}")
        tell_hub(dispatcher, answered=True, category="other", summary=f"전화번호 안내: {office.name_in('ko')}")
        return []
