"""Callbacks (재통화): a task from a resolve or a citizen's yes, brought back to an agent when due,
its outcomes recorded and counted; the after-hours answer that offers one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from hub.core import HUB
from model.callbacks import (
    CallbackOutcome,
    CallbackSettings,
    CallbackState,
    CallbackTask,
    accepts_callback,
    outcome_recorded,
)
from store.retention import ERASED_TEXT, anonymise_texts
from tests.conftest import citizen_says, login, wait_for

SEOUL = ZoneInfo("Asia/Seoul")
TRANSPORT = "버스 노선 문의 상담사 연결해 주세요"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


# -- the model -------------------------------------------------------------------------


def _task(attempts: int = 0) -> CallbackTask:
    return CallbackTask("t1", "c1", "p1", "transport", "kakao", "버스 노선", NOW, "agent:kim",
                        CallbackState.IN_PROGRESS, NOW, NOW, attempts=attempts)  # fmt: skip


def test_no_answer_is_tried_again_until_the_last_attempt() -> None:
    settings = CallbackSettings(max_attempts=2, retry_after=timedelta(minutes=30))
    first = outcome_recorded(_task(), CallbackOutcome.NO_ANSWER, NOW, settings)
    assert (first.state, first.attempts, first.due_at) == (CallbackState.PENDING, 1, NOW + timedelta(minutes=30))
    last = outcome_recorded(first, CallbackOutcome.NO_ANSWER, NOW, settings)
    assert (last.state, last.outcome, last.attempts, last.done_at) == (
        CallbackState.DONE, CallbackOutcome.NO_ANSWER, 2, NOW)  # fmt: skip
    reached = outcome_recorded(_task(), CallbackOutcome.REACHED, NOW, settings)
    assert (reached.state, reached.outcome) == (CallbackState.DONE, CallbackOutcome.REACHED)


@pytest.mark.parametrize(
    "text",
    ["네", "네.", " 예 ", "재통화", "Yes", "yes please!", "callback", "好的", "回电", "はい", "折り返し", "Có",
     "gọi lại", "Тийм", "за"],
)  # fmt: skip
def test_the_words_that_accept_a_callback(text: str) -> None:
    assert accepts_callback(text)


@pytest.mark.parametrize("text", ["아니요", "네 그런데 버스는요?", "no", "yesterday", "버스 노선 알려주세요", ""])
def test_other_words_do_not(text: str) -> None:
    assert not accepts_callback(text)


def test_the_button_accepts_in_its_language() -> None:
    assert accepts_callback("Буцааж залгуулах", "Буцааж залгуулах")
    assert accepts_callback("request a callback", "Request a callback")


# -- resolving with a callback ---------------------------------------------------------


async def _held_by_kim(client: TestClient, sender: str) -> tuple[str, dict[str, str]]:
    kim = await login(client, "kim", available=False)
    conversation_id = (await citizen_says(client, sender, TRANSPORT))["conversation_id"]
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)
    assert claimed.status == 200, await claimed.text()
    return conversation_id, kim


async def _tasks(client: TestClient, headers: dict[str, str], **query: str) -> dict[str, Any]:
    response = await client.get("/api/v1/callbacks", params=query, headers=headers)
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def test_a_callback_is_made_offered_when_due_and_its_outcomes_counted(client: TestClient) -> None:
    conversation_id, kim = await _held_by_kim(client, "c-callback")
    supervisor = await login(client, "jung", available=False)
    due = datetime.now(timezone.utc) + timedelta(seconds=1)
    resolved = await client.post(
        f"/api/v1/conversations/{conversation_id}/resolve",
        json={"disposition": "callback", "callback_due": due.isoformat(), "callback_need": "010-1234-5678 노선 변경"},
        headers=kim,
    )
    assert resolved.status == 200, await resolved.text()
    assert (await resolved.json())["disposition"] == "callback"
    [task] = (await _tasks(client, supervisor))["callbacks"]
    assert task["conversation_id"] == conversation_id and task["queue"] == "transport"
    assert datetime.fromisoformat(task["due_at"]) == due
    assert task["created_by"] == "agent:kim" and task["need"] == "010-****-5678 노선 변경"

    # Due: the conversation is reopened into its queue with priority and offered to kim.
    await client.post("/api/v1/me/state", json={"state": "available"}, headers=kim)

    async def offered() -> dict[str, Any] | None:
        found = await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=supervisor)).json()
        return found if found["state"] == "offered" and found["assigned_agent"] == "kim" else None

    conversation = await wait_for(offered, failure="the callback offered to kim")
    assert conversation["priority"] == 3 and conversation["queue"] == "transport"
    [task] = (await _tasks(client, kim, state="offered"))["callbacks"]
    assert task["id"] and task["offered_at"]
    messages = await (await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=kim)).json()
    assert messages["messages"][0]["text"] == TRANSPORT  # the whole history comes with it
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)
    assert claimed.status == 200

    async def in_progress() -> bool:
        return bool((await _tasks(client, kim, state="in_progress"))["callbacks"])

    await wait_for(in_progress, failure="the callback in progress")

    # No answer: due again later; then reached, and both counted for the month.
    path = f"/api/v1/callbacks/{task['id']}/outcome"
    retried = await (await client.post(path, json={"outcome": "no_answer"}, headers=kim)).json()
    assert retried["state"] == "pending" and retried["attempts"] == 1 and retried["outcome"] == "no_answer"
    assert datetime.fromisoformat(retried["due_at"]) > datetime.now(timezone.utc) + timedelta(hours=1)
    done = await (await client.post(path, json={"outcome": "reached"}, headers=kim)).json()
    assert (done["state"], done["outcome"], done["attempts"]) == ("done", "reached", 2)
    again = await client.post(path, json={"outcome": "reached"}, headers=kim)
    assert again.status == 409
    month = datetime.now(SEOUL).strftime("%Y-%m")
    assert (await _tasks(client, supervisor, month=month))["outcomes"] == {"no_answer": 1, "reached": 1}
    events = await (await client.get(f"/api/v1/conversations/{conversation_id}/events", headers=kim)).json()
    kinds = [event["type"] for event in events["events"]]
    assert kinds.index("callback_scheduled") < kinds.index("callback_due") < kinds.index("reopened")
    assert kinds.count("callback_outcome") == 2


async def test_the_default_due_time_and_refusals(client: TestClient) -> None:
    conversation_id, kim = await _held_by_kim(client, "c-default")
    resolved = await client.post(
        f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "callback"}, headers=kim
    )
    assert resolved.status == 200
    resolved_at = datetime.fromisoformat((await resolved.json())["resolved_at"])
    [task] = (await _tasks(client, kim))["callbacks"]
    # The queue is open: an hour later (the resolve and the task take their clocks a moment apart).
    assert abs(datetime.fromisoformat(task["due_at"]) - (resolved_at + timedelta(hours=1))) < timedelta(seconds=30)
    assert task["need"] == TRANSPORT

    other, _ = await _held_by_kim(client, "c-refused")
    bad = [
        ({"disposition": "callback", "callback_due": "2020-01-01T09:00:00+09:00"}, "invalid_callback_due"),
        ({"disposition": "callback", "callback_due": "2030-01-01T09:00:00"}, "invalid_callback_due"),
        ({"disposition": "callback", "callback_due": "9999-12-31T23:59:00-01:00"}, "invalid_callback_due"),
        ({"disposition": "resolved", "callback_due": "2030-01-01T09:00:00+09:00"}, "not_a_callback"),
    ]
    for body, code in bad:
        response = await client.post(f"/api/v1/conversations/{other}/resolve", json=body, headers=kim)
        assert response.status == 400 and (await response.json())["error"]["code"] == code, body
    lee = await login(client, "lee", available=False)  # not a transport agent
    assert (await _tasks(client, lee))["callbacks"] == []
    refused = await client.post(f"/api/v1/callbacks/{task['id']}/outcome", json={"outcome": "reached"}, headers=lee)
    assert refused.status == 403
    unknown = await client.post(f"/api/v1/callbacks/{task['id']}/outcome", json={"outcome": "maybe"}, headers=kim)
    assert unknown.status == 400 and (await unknown.json())["error"]["code"] == "unknown_outcome"
    editor = await login(client, "han", available=False)
    assert (await client.get("/api/v1/callbacks", headers=editor)).status == 403
    for query in ("state=later", "queue=nowhere", "month=2026-13", "month=0001-01"):
        assert (await client.get(f"/api/v1/callbacks?{query}", headers=kim)).status == 400, query

    # The queue closed: the callback is due when it opens.
    await _close(client, "transport")
    resolved = await client.post(f"/api/v1/conversations/{other}/resolve", json={"disposition": "callback"},
                                 headers=kim)  # fmt: skip
    assert resolved.status == 200
    opens_at = (await client.app[HUB].hours.status("transport", datetime.now(timezone.utc))).opens_at
    [task] = [t for t in (await _tasks(client, kim))["callbacks"] if t["conversation_id"] == other]
    assert opens_at is not None and datetime.fromisoformat(task["due_at"]) == opens_at

    # Erasing the conversation's texts (retention, a citizen's request) erases the need too.
    async with client.app[HUB].store.write() as session:
        await anonymise_texts(session, [other], ERASED_TEXT, datetime.now(timezone.utc))
    [task] = [t for t in (await _tasks(client, kim))["callbacks"] if t["conversation_id"] == other]
    assert task["need"] == ERASED_TEXT


# -- after hours -----------------------------------------------------------------------


async def _close(client: TestClient, queue: str) -> None:
    """The queue opens for an hour a day, starting two to three hours from now (Seoul time)."""
    start = (datetime.now(SEOUL) + timedelta(hours=2)).hour
    hours = [[f"{start:02d}:00", f"{start + 1:02d}:00"]]
    weekly = {day: hours for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    admin = await login(client, "admin", available=False)
    response = await client.put(f"/api/v1/queues/{queue}/hours", json={"weekly": weekly}, headers=admin)
    assert response.status == 200, await response.text()


WHEN = {
    "ko": "{m}월 {d}일 {t}",
    "en": "{month} {d} at {t}",
    "zh": "{m}月{d}日 {t}",
    "ja": "{m}月{d}日 {t}",
    "vi": "{t} ngày {d} tháng {m}",
    "mn": "{m}-р сарын {d}, {t}",
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
ASKS = {
    "ko": (TRANSPORT, "네"),
    "en": ("I want to talk to a real person about buses", "yes"),
    "zh": ("我要转人工", "好的"),
    "ja": ("オペレーターと話したいです", "はい"),
    "vi": ("Tôi muốn gặp tư vấn viên", "có"),
    "mn": ("Оператортой холбож өгнө үү", "тийм"),
}


@pytest.mark.parametrize("language", list(WHEN))
async def test_after_hours_the_citizen_is_told_when_and_accepts_a_callback(
    sqlite_client: TestClient, language: str
) -> None:
    client = sqlite_client
    hub = client.app[HUB]
    queue = "transport" if language == "ko" else "foreign_language"
    await _close(client, queue)
    opens_at = (await hub.hours.status(queue, datetime.now(timezone.utc))).opens_at
    assert opens_at is not None
    local = opens_at.astimezone(SEOUL)
    when = WHEN[language].format(m=local.month, d=local.day, t=local.strftime("%H:%M"),
                                 month=MONTHS[local.month - 1])  # fmt: skip
    asks, yes = ASKS[language]

    told = await citizen_says(client, f"c-night-{language}", asks, language=language)
    assert told["state"] == "bot"  # nobody to wait for: the bot keeps the conversation
    [offer] = told["replies"]
    assert when in offer["text"] and offer["language"] == language
    supervisor = await login(client, "jung", available=False)
    path = f"/api/v1/conversations/{told['conversation_id']}/messages"
    listed = (await (await client.get(path, headers=supervisor)).json())["messages"]
    assert [a["label"] for a in listed[-1]["actions"]] == [hub.catalog.text("action.callback", language)]

    accepted = await citizen_says(client, f"c-night-{language}", yes, language=language)
    assert accepted["state"] == "bot"
    [scheduled] = accepted["replies"]
    assert when in scheduled["text"] and scheduled["text"] != offer["text"]
    [task] = (await _tasks(client, supervisor))["callbacks"]
    assert (task["state"], task["created_by"], task["queue"]) == ("pending", "citizen", queue)
    assert datetime.fromisoformat(task["due_at"]) == opens_at and task["need"] == asks

    # The bot keeps answering meanwhile; another yes is just a message to the bot.
    later = await citizen_says(client, f"c-night-{language}", yes, language=language)
    assert later["replies"] and later["replies"][0]["text"] != scheduled["text"]
    assert len((await _tasks(client, supervisor))["callbacks"]) == 1
