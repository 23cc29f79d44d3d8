"""action_handoff: hand the conversation to a person with what the assistant learned."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from chatbot.actions.signals import CATEGORIES, category_of_intent, intent_in, language_of, tell_hub

REPORT_TYPES = {"parking": "불법주정차", "noise": "소음", "dumping": "무단투기", "water_leak": "누수"}
QUOTED_MESSAGES = 3


def summary_for_agent(tracker: Tracker) -> str:
    """A few lines for the agent who takes over, in Korean (the console's language): what the
    citizen asked, and any report the form had begun to take down."""
    asked = [
        " ".join(event.get("text", "").split())[:120]
        for event in tracker.events
        if event.get("event") == "user"
        and intent_in(event.get("parse_data")) != "ask_person"
        and event.get("text")
        and not event["text"].startswith("/")
    ][-QUOTED_MESSAGES:]
    lines = [f"언어 {language_of(tracker)} · 상담사 연결 요청"]
    if asked:
        lines.append("시민의 말: " + " / ".join(f"«{text}»" for text in asked))
    report_type = tracker.get_slot("report_type")
    if report_type:
        found = [f"{label} {tracker.get_slot(slot)}" for slot, label in (("location", "위치"), ("time", "시간"),
                 ("details", "내용")) if tracker.get_slot(slot)]  # fmt: skip
        lines.append(
            f"작성 중이던 {REPORT_TYPES.get(report_type, report_type)} 신고: " + (", ".join(found) or "내용 없음")
        )
    return "\n".join(lines)


def category_for_agent(tracker: Tracker) -> str | None:
    """The category of the last question with one, else the `category` slot."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            category = category_of_intent(intent_in(event.get("parse_data")))
            if category:
                return category
    slot = tracker.get_slot("category")
    return slot if slot in CATEGORIES else None


class Handoff(Action):
    """Says a person is coming, then tells the hub to queue the conversation; the hub stops
    forwarding the conversation to Rasa until an agent resolves it."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_handoff")
        tell_hub(
            dispatcher,
            handoff=True,
            category=category_for_agent(tracker),
            language=language_of(tracker),
            summary=summary_for_agent(tracker),
        )
        return []
