"""The satisfaction survey: an agent's resolve asks the citizen to rate the conversation, in their
language and on their channel; the rating counts on the report's 100-point scale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Locator, Page, expect

from channels.registry import configured
from channels.sms.settings import SMS_PATH
from hub.config import Settings
from hub.core import HUB, Hub
from hub.reports import figures
from hub.survey import SurveySettings, points, rating_in
from model import Channel, Event, EventType
from model.catalog import Catalog
from model.clock import utcnow
from model.rounds import rounds_of
from store import conversations
from tests.browsers import PASSWORD
from tests.conftest import api_channel_headers, citizen_says, hub_app, hub_settings, login, wait_for
from tests.services import free_port
from tests.standins.twilio import TwilioStandIn, signed_inbound
from tests.test_sms import twilio_settings

CATALOG = Catalog()
KOREAN_SCALE = ["1 매우 불만족", "2 불만족", "3 보통", "4 만족", "5 매우 만족"]
HANDOFF = "버스 분실물 상담사 연결해 주세요"


def text(key: str, language: str = "ko") -> str:
    return CATALOG.text(key, language)


async def _handed_to_kim(client: TestClient, kim: dict[str, str], sender: str, words: str = HANDOFF) -> str:
    answer = await citizen_says(client, sender, words)
    assert answer["state"] == "queued"
    claimed = await client.post(f"/api/v1/conversations/{answer['conversation_id']}/claim", headers=kim)
    assert claimed.status == 200, await claimed.text()
    return str(answer["conversation_id"])


async def _resolve(client: TestClient, kim: dict[str, str], conversation_id: str) -> None:
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "resolved"}, headers=kim
    )
    assert response.status == 200, await response.text()


async def _citizen_sees(client: TestClient, sender: str) -> list[dict[str, Any]]:
    """What the API channel's integration shows the citizen: the replies to them."""
    response = await client.get(
        "/api/v1/channels/api/messages", params={"sender": sender}, headers=api_channel_headers(client)
    )
    assert response.status == 200
    return list((await response.json())["messages"])


async def _events(hub: Hub, conversation_id: str) -> list[Event]:
    async with hub.store.read() as session:
        return await conversations.events(session, conversation_id)


async def _of_type(hub: Hub, conversation_id: str, kind: EventType) -> list[Event]:
    return [event for event in await _events(hub, conversation_id) if event.type == kind]


async def _satisfaction(hub: Hub, conversation_id: str) -> list[float | None]:
    return [r.satisfaction for r in rounds_of(conversation_id, None, await _events(hub, conversation_id))]


async def _messages(client: TestClient, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation as agents see it."""
    supervisor = await login(client, "jung", available=False)
    response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=supervisor)
    assert response.status == 200
    return list((await response.json())["messages"])


# -- what counts as a rating ---------------------------------------------------------------


@pytest.mark.parametrize(("message", "score"), [("5", 5), (" 5 ", 5), ("5점", 5), ("５", 5), ("3 점", 3), ("1.", 1)])
def test_a_lone_digit_is_a_rating(message: str, score: int) -> None:
    assert rating_in(message) == score


@pytest.mark.parametrize("message", ["", "0", "6", "15", "5 5", "5번 버스", "five", "버스 5분 지연"])
def test_anything_else_is_not_a_rating(message: str) -> None:
    assert rating_in(message) is None


def test_scores_on_the_reports_scale() -> None:
    assert [points(score) for score in range(1, 6)] == [0, 25, 50, 75, 100]


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().survey == SurveySettings(True, timedelta(minutes=30), timedelta(minutes=10))
    monkeypatch.setenv("DASAN_SURVEY", "0")
    monkeypatch.setenv("DASAN_SURVEY_ANSWER_SECONDS", "600")
    monkeypatch.setenv("DASAN_SURVEY_COMMENT_SECONDS", "120")
    assert Settings.from_env().survey == SurveySettings(False, timedelta(minutes=10), timedelta(minutes=2))


# -- through the hub -----------------------------------------------------------------------


async def test_the_citizen_rates_in_korean_with_buttons_and_says_why(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    conversation_id = await _handed_to_kim(client, kim, "rater")
    await _resolve(client, kim, conversation_id)

    # The closing message asks, with a button per score; tapping one sends its number.
    closing = (await _citizen_sees(client, "rater"))[-1]
    assert closing["text"].startswith(text("system.resolved"))
    assert text("survey.question") in closing["text"]
    assert closing["actions"] == [{"label": label, "text": label[0]} for label in KOREAN_SCALE]
    [asked] = await _of_type(hub, conversation_id, EventType.SURVEY_ASKED)
    assert asked.actor == "system" and asked.data["language"] == "ko"

    answer = await citizen_says(client, "rater", "5")
    assert answer["conversation_id"] == conversation_id and answer["state"] == "resolved"
    assert [reply["text"] for reply in answer["replies"]] == [text("survey.thanks")]
    [rated] = await _of_type(hub, conversation_id, EventType.SURVEY_ANSWERED)
    assert rated.actor == "citizen" and rated.data["score"] == 5 and rated.data["points"] == 100
    rounds = rounds_of(conversation_id, None, await _events(hub, conversation_id))
    assert figures.satisfaction(rounds) == 100.0

    comment = "버스 분실물 찾는 방법을 친절하게 알려주셨어요"
    answer = await citizen_says(client, "rater", comment)
    assert answer["state"] == "resolved"
    assert [reply["text"] for reply in answer["replies"]] == [text("survey.comment_thanks")]
    answers = await _of_type(hub, conversation_id, EventType.SURVEY_ANSWERED)
    assert [event.data.get("comment") for event in answers] == [None, comment]
    # The round has one rating: the comment adds no second score.
    assert [event.data.get("points") for event in answers] == [100, None]
    assert await _satisfaction(hub, conversation_id) == [100.0]

    # Nothing the citizen said is lost, and nothing reached an agent's queue.
    citizen = [m["text"] for m in await _messages(client, conversation_id) if m["author"] == "citizen"]
    assert citizen[-2:] == ["5", comment]
    assert not await _of_type(hub, conversation_id, EventType.REOPENED)
    queued = await client.get("/api/v1/conversations", params={"state": "queued"}, headers=kim)
    assert [c["id"] for c in (await queued.json())["conversations"]] == []

    # The survey is over: the next message reopens the conversation, as without a survey.
    answer = await citizen_says(client, "rater", "지하철 유실물 센터 상담사 연결해 주세요")
    assert answer["conversation_id"] == conversation_id and answer["state"] == "queued"
    assert len(await _of_type(hub, conversation_id, EventType.REOPENED)) == 1


async def test_an_english_speaker_is_asked_in_english_and_agents_read_korean(client: TestClient, hub: Hub) -> None:
    park = await login(client, "park", available=False)  # the foreign-language queue's agent
    conversation_id = await _handed_to_kim(client, park, "visitor", "Can I talk to a person about my passport?")
    await _resolve(client, park, conversation_id)

    closing = (await _citizen_sees(client, "visitor"))[-1]
    assert closing["language"] == "en"
    assert closing["text"] == f"{text('system.resolved', 'en')}\n\n{text('survey.question', 'en')}"
    assert [action["label"] for action in closing["actions"]] == [
        "1 Very dissatisfied",
        "2 Dissatisfied",
        "3 Neutral",
        "4 Satisfied",
        "5 Very satisfied",
    ]
    seen_by_agents = (await _messages(client, conversation_id))[-1]
    assert text("survey.question") in seen_by_agents["translation"]

    # A full-width digit, as some keyboards type it.
    answer = await citizen_says(client, "visitor", " ４ ")
    assert [reply["text"] for reply in answer["replies"]] == [text("survey.thanks", "en")]
    assert await _satisfaction(hub, conversation_id) == [75.0]


async def test_a_message_that_is_no_rating_reopens_as_before(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    conversation_id = await _handed_to_kim(client, kim, "asker")
    await _resolve(client, kim, conversation_id)

    answer = await citizen_says(client, "asker", "5번 버스 분실물도 문의할게요")
    assert answer["conversation_id"] == conversation_id and answer["state"] == "queued"
    assert len(await _of_type(hub, conversation_id, EventType.REOPENED)) == 1
    assert await _of_type(hub, conversation_id, EventType.SURVEY_ANSWERED) == []
    # The new round's question is not a late answer to the old survey.
    answer = await citizen_says(client, "asker", "5")
    assert answer["state"] == "queued"
    assert await _of_type(hub, conversation_id, EventType.SURVEY_ANSWERED) == []


async def test_a_rating_after_the_window_reopens(client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    kim = await login(client, "kim", available=False)
    conversation_id = await _handed_to_kim(client, kim, "late")
    await _resolve(client, kim, conversation_id)

    # 31 minutes later: past the 30 minutes a rating counts, within the hour a conversation reopens.
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr("hub.ingest.utcnow", lambda: later)
    answer = await citizen_says(client, "late", "5")
    assert answer["conversation_id"] == conversation_id and answer["state"] == "queued"
    assert await _of_type(hub, conversation_id, EventType.SURVEY_ANSWERED) == []
    assert await _satisfaction(hub, conversation_id) == [None, None]


async def test_a_message_after_the_comment_window_is_no_comment(
    client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    kim = await login(client, "kim", available=False)
    conversation_id = await _handed_to_kim(client, kim, "returner")
    await _resolve(client, kim, conversation_id)
    assert (await citizen_says(client, "returner", "4점"))["state"] == "resolved"

    later = utcnow() + timedelta(minutes=11)
    monkeypatch.setattr("hub.ingest.utcnow", lambda: later)
    answer = await citizen_says(client, "returner", "수도 요금 상담사 연결해 주세요")
    assert answer["state"] == "queued"
    answers = await _of_type(hub, conversation_id, EventType.SURVEY_ANSWERED)
    assert [event.data for event in answers] == [{"score": 4, "points": 75, "message": answers[0].data["message"]}]


async def test_no_survey_when_the_citizen_left_or_the_bot_closed(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    # Abandoned while waiting for a person.
    waiting = await citizen_says(client, "impatient", HANDOFF)
    await hub.citizen_left(Channel.API, "impatient")
    # The bot's conversation, closed by the citizen.
    with_bot = await citizen_says(client, "reader", "따릉이 대여 방법 알려주세요")
    assert with_bot["state"] == "bot"
    await hub.citizen_left(Channel.API, "reader")
    # Left while an agent served them: the agent still resolves it, nobody is there to rate.
    served = await _handed_to_kim(client, kim, "gone")
    await hub.citizen_left(Channel.API, "gone")
    await _resolve(client, kim, served)
    goodbye = [m for m in await _citizen_sees(client, "gone") if m["author"] == "system"][-1]
    assert goodbye["text"] == text("system.resolved")

    for sender, conversation_id in (
        ("impatient", waiting["conversation_id"]),
        ("reader", with_bot["conversation_id"]),
        ("gone", served),
    ):
        assert await _of_type(hub, conversation_id, EventType.SURVEY_ASKED) == []
        buttons = [action["label"] for message in await _citizen_sees(client, sender) for action in message["actions"]]
        assert not set(buttons) & set(KOREAN_SCALE), sender
        answer = await citizen_says(client, sender, "5")
        assert answer["state"] != "resolved", sender
        assert await _of_type(hub, conversation_id, EventType.SURVEY_ANSWERED) == []


async def test_asked_once_a_round_and_rated_once(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    conversation_id = await _handed_to_kim(client, kim, "twice")
    await _resolve(client, kim, conversation_id)
    again = await client.post(
        f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "resolved"}, headers=kim
    )
    assert again.status == 409
    assert len(await _of_type(hub, conversation_id, EventType.SURVEY_ASKED)) == 1

    assert (await citizen_says(client, "twice", "5"))["state"] == "resolved"
    # A button tapped twice: kept, thanked, not counted again.
    repeated = await citizen_says(client, "twice", "1")
    assert repeated["state"] == "resolved"
    assert [reply["text"] for reply in repeated["replies"]] == [text("survey.thanks")]
    assert (await citizen_says(client, "twice", "빨라서 좋았어요"))["state"] == "resolved"
    assert await _satisfaction(hub, conversation_id) == [100.0]
    assert len(await _of_type(hub, conversation_id, EventType.SURVEY_ASKED)) == 1

    # The citizen comes back: a new round, resolved again, asked again and rated on its own.
    assert (await citizen_says(client, "twice", "여권 재발급 상담사 연결해 주세요"))["state"] == "queued"
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)).status == 200
    await _resolve(client, kim, conversation_id)
    assert len(await _of_type(hub, conversation_id, EventType.SURVEY_ASKED)) == 2
    assert (await citizen_says(client, "twice", "2"))["state"] == "resolved"
    assert await _satisfaction(hub, conversation_id) == [100.0, 25.0]
    rounds = rounds_of(conversation_id, None, await _events(hub, conversation_id))
    assert figures.satisfaction(rounds) == 62.5


@pytest.fixture
async def survey_off(database_url: str) -> AsyncIterator[TestClient]:
    settings = hub_settings(database_url, survey=SurveySettings(enabled=False))
    async with TestClient(TestServer(hub_app(settings))) as test_client:
        yield test_client


async def test_turned_off_the_hub_only_says_goodbye(survey_off: TestClient) -> None:
    kim = await login(survey_off, "kim", available=False)
    conversation_id = await _handed_to_kim(survey_off, kim, "quiet")
    await _resolve(survey_off, kim, conversation_id)
    closing = (await _citizen_sees(survey_off, "quiet"))[-1]
    assert closing["text"] == text("system.resolved") and closing["actions"] == []
    assert (await citizen_says(survey_off, "quiet", "5"))["state"] == "queued"


# -- by SMS: the scale in the text, answered with a number --------------------------------

PHONE = "+821055501234"


@pytest.fixture
async def sms_hub(database_url: str) -> AsyncIterator[tuple[TestClient, TwilioStandIn, str]]:
    async with TwilioStandIn() as twilio:
        port = free_port()
        public_url = f"http://127.0.0.1:{port}"
        channels = tuple(configured({}, public_url, given={Channel.SMS: twilio_settings(twilio, public_url)}))
        settings = hub_settings(database_url, channels=channels, public_url=public_url)
        async with TestClient(TestServer(hub_app(settings), host="127.0.0.1", port=port)) as test_client:
            yield test_client, twilio, public_url


async def _texts(client: TestClient, url: str, body: str) -> None:
    form, headers = signed_inbound(url + SMS_PATH, PHONE, body)
    response = await client.post(SMS_PATH, data=form, headers=headers)
    assert response.status == 200, await response.text()


async def test_by_sms_the_question_lists_the_scale_and_a_number_answers(
    sms_hub: tuple[TestClient, TwilioStandIn, str],
) -> None:
    client, twilio, url = sms_hub
    hub: Hub = client.app[HUB]
    kim = await login(client, "kim", available=False)
    await _texts(client, url, HANDOFF)
    conversation = await wait_for(lambda: hub.conversation(Channel.SMS, PHONE))
    assert (await client.post(f"/api/v1/conversations/{conversation.id}/claim", headers=kim)).status == 200
    await _resolve(client, kim, conversation.id)

    def sent_with(words: str) -> list[str]:
        return [message.body for message in twilio.messages if words in message.body]

    [question] = await wait_for(lambda: sent_with(text("survey.question_numbered")), 10)
    assert question.startswith(text("system.resolved"))
    assert question.endswith("\n".join(KOREAN_SCALE))
    assert "[1]" not in question  # no buttons to hint at: the list is the answer sheet

    await _texts(client, url, "5점")
    await wait_for(lambda: sent_with(text("survey.thanks")), 10, failure="the thanks never went out by SMS")
    assert await _satisfaction(hub, conversation.id) == [100.0]
    record = await hub.conversation(Channel.SMS, PHONE)
    assert record is not None and record.state.value == "resolved"


# -- in the web chat, in a real browser ----------------------------------------------------


def _chat(page: Page, author: str) -> Locator:
    return page.locator(f"[data-testid=chat-message][data-author={author}][data-message-id]")


@pytest.mark.browser
async def test_the_citizen_taps_5_in_the_web_chat(hub_url: str, browser: Browser, shots: Path) -> None:
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 480, "height": 820}
    )
    citizen = await context.new_page()
    errors: list[str] = []
    citizen.on("pageerror", lambda error: errors.append(str(error)))
    await citizen.goto(f"{hub_url}/webchat/")
    await citizen.get_by_test_id("chat-launcher").click()
    await citizen.get_by_test_id("chat-input").fill(HANDOFF)
    await citizen.get_by_test_id("chat-send").click()
    await expect(_chat(citizen, "system").filter(has_text="상담사 연결을 요청했습니다")).to_have_count(1)

    async with aiohttp.ClientSession() as http:
        login_body = {"username": "kim", "password": PASSWORD}
        async with http.post(f"{hub_url}/api/v1/auth/login", json=login_body) as response:
            kim = {"Authorization": f"Bearer {(await response.json())['token']}"}

        async def waiting() -> str | None:
            async with http.get(f"{hub_url}/api/v1/conversations?state=queued", headers=kim) as response:
                listed = (await response.json())["conversations"]
            return next((c["id"] for c in listed if c["channel"] == "webchat"), None)

        conversation_id = await wait_for(waiting, 10)
        for action, body in (("claim", None), ("resolve", {"disposition": "resolved"})):
            async with http.post(
                f"{hub_url}/api/v1/conversations/{conversation_id}/{action}", json=body, headers=kim
            ) as response:
                assert response.status == 200, await response.text()

        closing = _chat(citizen, "system").filter(has_text=text("survey.question"))
        await expect(closing).to_contain_text("상담이 종료되었습니다")
        buttons = closing.get_by_test_id("chat-action")
        await expect(buttons).to_have_text(KOREAN_SCALE)
        await buttons.filter(has_text="5 매우 만족").click()

        # The citizen's tap is their "5", stored and thanked; the thanks invites a comment.
        await expect(_chat(citizen, "citizen").last.locator(".bubble")).to_have_text("5")
        await expect(_chat(citizen, "system").last.locator(".bubble")).to_have_text(text("survey.thanks"))
        # Still closed: nothing to end, no queue, no agent.
        await expect(citizen.get_by_test_id("chat-end")).to_be_hidden()
        async with http.get(f"{hub_url}/api/v1/conversations/{conversation_id}", headers=kim) as response:
            assert (await response.json())["state"] == "resolved"

    await citizen.get_by_test_id("chat-panel").screenshot(path=str(shots / "widget-survey.png"))
    assert errors == []
    await context.close()
