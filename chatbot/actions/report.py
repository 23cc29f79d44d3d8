"""action_file_report: the report form is complete; give it a number and file it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from chatbot.actions.signals import tell_hub

SEOUL = ZoneInfo("Asia/Seoul")
REPORT_SLOTS = ("report_type", "location", "time", "details")


def report_number(now: datetime) -> str:
    """A receipt number the citizen can read out on the phone: date plus six characters
    from an alphabet without look-alikes (0/O, 1/I)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"{now.astimezone(SEOUL):%Y%m%d}-" + "".join(secrets.choice(alphabet) for _ in range(6))


class FileReport(Action):
    """Files the report on the conversation (the hub records a `report_filed` event from the
    payload), tells the citizen its number, and clears the form for the next report."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def name(self) -> str:
        return "action_file_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        number = report_number(self._clock())
        report = {"id": number} | {slot: tracker.get_slot(slot) for slot in REPORT_SLOTS}
        dispatcher.utter_message(response="utter_report_filed", report_id=number)
        tell_hub(
            dispatcher,
            answered=True,
            report=report,
            category=tracker.get_slot("category"),
            summary=f"신고 접수 {number}: {report['report_type']} · {report['location']} · {report['time']}",
        )
        return [SlotSet("report_id", number), *(SlotSet(slot, None) for slot in REPORT_SLOTS)]
