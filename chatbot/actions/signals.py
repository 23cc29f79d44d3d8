"""What every custom action shares: the citizen's language, and the payload for the hub."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from model import CATEGORIES, LANGUAGES, Language


def language_of(tracker: Tracker) -> str:
    """The `language` slot, else the language the hub sent with the message, else Korean."""
    slot = tracker.get_slot("language")
    if slot in LANGUAGES:
        return str(slot)
    sent = (tracker.latest_message.get("metadata") or {}).get("language")
    return sent if sent in LANGUAGES else Language.KO.value


def intent_in(parse_data: dict[str, Any] | None) -> str | None:
    """The intent of a message's parse data (the latest message's, or a user event's)."""
    return ((parse_data or {}).get("intent") or {}).get("name")


def intent_of(tracker: Tracker) -> str | None:
    """The latest message's intent."""
    return intent_in(tracker.latest_message)


def category_of_intent(intent: str | None) -> str | None:
    """`faq_water` → `water`; other intents name no category."""
    if intent and intent.startswith("faq_") and intent[4:] in CATEGORIES:
        return intent[4:]
    return None


def tell_hub(dispatcher: CollectingDispatcher, **signals: Any) -> None:
    """Send the hub what the text alone cannot say (see chatbot.rasa_bot.turn_from)."""
    dispatcher.utter_message(json_message={"dasan": {k: v for k, v in signals.items() if v is not None}})
