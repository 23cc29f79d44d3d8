"""The report's figures (docs/reports.md) on hand-built event sequences: each definition on
the cases that make call-centre figures go wrong (an abandoned chat, a transfer, a reopen, a
callback, an agent who declines an offer)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from hub.reports import figures
from model import Event
from model.rounds import Round, rounds_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


class Story:
    """A conversation's events, written as they would be stored, seconds after T0."""

    def __init__(self, conversation_id: str = "c1", contact_id: str = "p1", channel: str = "sms") -> None:
        self.conversation_id, self.contact_id = conversation_id, contact_id
        self.events = [Event("created", "citizen", T0, {"channel": channel})]

    def then(self, seconds: float, kind: str, actor: str = "router", **data: Any) -> Story:
        self.events.append(Event(kind, actor, T0 + timedelta(seconds=seconds), data))
        return self

    def rounds(self) -> list[Round]:
        return rounds_of(self.conversation_id, self.contact_id, self.events)


def answered(
    conversation_id: str, wait: float, disposition: str, category: str = "water", contact: str = "p1"
) -> Story:
    """Handed off at 10 s, accepted `wait` seconds later by kim, resolved 120 s after that."""
    return (
        Story(conversation_id, contact)
        .then(1, "category_set", category=category)
        .then(10, "handed_off", reason="bot could not answer")
        .then(10, "queued", queue=category, position=1)
        .then(10 + wait, "accepted", "agent:kim", agent="kim")
        .then(15 + wait, "first_response", "agent:kim")
        .then(130 + wait, "resolved", "agent:kim", disposition=disposition)
    )


def test_a_citizen_who_leaves_the_queue_counts_against_answer_rate_and_service_level() -> None:
    left = (
        Story("gone")
        .then(5, "queued", queue="water", position=3)
        .then(25, "abandoned", "citizen")
        .then(25, "resolved", "citizen", disposition=None)
    )
    [gone] = left.rounds()
    assert gone.abandoned and gone.wait_seconds is None and gone.disposition is None
    rounds = [gone, *answered("quick", 20, "resolved").rounds()]
    assert figures.answer_rate(rounds) == 0.5
    assert figures.abandonment_rate(rounds) == 0.5
    # Abandoned after 20 s, well inside 60 s: it still fails the service level.
    assert figures.service_level(rounds, 60) == 0.5
    # Nobody resolved it: first-contact resolution does not see it.
    assert figures.first_contact_resolution(rounds) == 1.0
    assert figures.dispositions(rounds)["resolved"] == 1


def test_a_conversation_still_waiting_counts_in_no_rate() -> None:
    waiting = Story("w").then(5, "queued", queue="city", position=1)
    rounds = [*waiting.rounds(), *answered("a", 90, "resolved").rounds()]
    assert figures.answer_rate(rounds) == 1.0
    assert figures.service_level(rounds, 60) == 0.0
    assert figures.service_level(rounds, {"water": 120}) == 1.0


def test_a_transfer_keeps_the_first_wait_and_counts_once_for_the_agent_who_resolves() -> None:
    story = (
        Story("t")
        .then(10, "queued", queue="district", position=1)
        .then(40, "accepted", "agent:kim", agent="kim")
        .then(60, "transferred", "agent:kim", queue="water")
        .then(60, "queued", queue="water", position=1)
        .then(200, "accepted", "agent:lee", agent="lee")
        .then(400, "resolved", "agent:lee", disposition="transferred")
    )
    [round_] = story.rounds()
    assert round_.wait_seconds == 30  # the citizen's first wait, not the second queue's
    assert round_.queue == "district" and round_.transfers == 1
    assert round_.agents == ("kim", "lee") and round_.agent == "lee"
    assert round_.handle_seconds == 360
    assert figures.dispositions([round_])["transferred"] == 1
    assert figures.first_contact_resolution([round_]) == 0.0


def test_a_reopen_is_a_new_contact_and_never_erases_the_first() -> None:
    story = answered("r", 30, "resolved", category="transport")
    story.then(1000, "reopened", "citizen").then(1010, "queued", queue="transport", position=1)
    story.then(1100, "accepted", "agent:park", agent="park").then(
        1300, "resolved", "agent:park", disposition="callback"
    )
    first, second = story.rounds()
    assert (first.number, first.wait_seconds, first.disposition, first.agent) == (0, 30, "resolved", "kim")
    assert (second.number, second.category, second.wait_seconds, second.disposition) == (1, "transport", 90, "callback")
    assert figures.first_contact_resolution([first, second]) == 0.5
    # The citizen came back about the same thing within a week: the first contact repeated.
    assert figures.repeat_contact_rate([first, second]) == 0.5
    assert figures.repeat_contact_rate([first, second], within=timedelta(minutes=10)) == 0.0


def test_a_callback_is_counted_as_its_own_disposition_not_as_resolved() -> None:
    rounds = [*answered("a", 10, "callback").rounds(), *answered("b", 10, "resolved").rounds()]
    assert figures.dispositions(rounds) == {
        "resolved": 1,
        "directory": 0,
        "connected": 0,
        "transferred": 0,
        "callback": 1,
    }
    assert figures.first_contact_resolution(rounds) == 0.5


def test_a_declined_offer_does_not_answer_the_citizen() -> None:
    story = (
        Story("d")
        .then(5, "queued", queue="city", position=1)
        .then(6, "offered", agent="kim")
        .then(20, "declined", "agent:kim", agent="kim")
        .then(21, "offered", agent="lee")
        .then(95, "accepted", "agent:lee", agent="lee")
        .then(300, "resolved", "agent:lee", disposition="resolved")
    )
    [round_] = story.rounds()
    assert round_.declines == 1 and round_.agents == ("lee",)
    assert round_.wait_seconds == 90  # the wait runs on through the declined offer
    assert figures.service_level([round_], 60) == 0.0
    assert figures.wait_percentiles([round_]) == {"p50": 90, "p90": 90}


def test_first_contact_resolution_splits_city_and_district_matters_as_the_report_does() -> None:
    rounds = [
        *answered("c1", 5, "resolved", category="water").rounds(),
        *answered("c2", 5, "connected", category="transport").rounds(),
        *answered("d1", 5, "resolved", category="district").rounds(),
        *answered("d2", 5, "resolved", category="district").rounds(),
        *answered("d3", 5, "transferred", category="district").rounds(),
        *answered("d4", 5, "resolved", category="district").rounds(),
    ]
    split = figures.fcr_split(rounds)
    assert split == pytest.approx({"all": 4 / 6, "city": 0.5, "district": 0.75})


def test_a_bot_answered_contact_is_a_contact_but_not_in_agent_figures() -> None:
    bot = Story("b", channel="kakao").then(1, "bot_answered", "bot:builtin").then(600, "resolved", "router")
    rounds = [*bot.rounds(), *answered("a", 10, "directory").rounds()]
    assert figures.contacts_by(rounds, lambda r: r.channel) == {"kakao": 1, "sms": 1}
    assert figures.answer_rate(rounds) == 1.0
    assert figures.handle_time(rounds) == {"mean": 120.0, "p50": 120.0}
    assert figures.first_contact_resolution(rounds) == 0.0


def test_satisfaction_is_the_mean_of_the_rated_rounds_on_the_100_point_scale() -> None:
    rated = answered("rated", 20, "resolved").then(300, "survey_answered", "citizen", score=5, points=100.0)
    middling = answered("middling", 20, "resolved").then(300, "survey_answered", "citizen", score=3, points=50.0)
    silent = answered("silent", 20, "resolved").then(300, "survey_asked", "system")
    rounds = [*rated.rounds(), *middling.rounds(), *silent.rounds()]
    assert [r.satisfaction for r in rounds] == [100.0, 50.0, None]
    assert figures.satisfaction(rounds) == 75.0
    assert figures.satisfaction(silent.rounds()) is None
