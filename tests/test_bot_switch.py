"""Which bot answers: Rasa while it is up, the built-in knowledge bot whenever it is not."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from chatbot.rasa_bot import turn_from
from hub.core import HUB
from tests.conftest import citizen_says, hub_app, hub_settings, login
from tests.services import free_port


def test_rasa_messages_become_one_turn() -> None:
    answered = turn_from([{"recipient_id": "c", "text": "따릉이 대여 방법…"},
                          {"recipient_id": "c", "custom": {"dasan": {"article": "transport-001", "category": "transport"}}}])  # fmt: skip
    assert (answered.answered, answered.article_id, answered.category, answered.by) == (
        True, "transport-001", "transport", "rasa",
    )  # fmt: skip
    handoff = turn_from([{"text": "상담사에게 연결해 드릴게요."},
                         {"custom": {"dasan": {"handoff": True, "category": "water", "summary": "누수 신고"}}}])  # fmt: skip
    assert handoff.wants_handoff and handoff.summary == "누수 신고" and handoff.category == "water"
    unsure = turn_from([{"text": "잘 이해하지 못했어요."}, {"custom": {"dasan": {"answered": False}}}])
    assert not unsure.answered and unsure.text == "잘 이해하지 못했어요."
    report = turn_from([{"text": "접수되었습니다."},
                        {"custom": {"dasan": {"report": {"type": "noise", "location": "마포구 합정동"}}}}])  # fmt: skip
    assert report.answered and report.report == {"type": "noise", "location": "마포구 합정동"}
    assert not turn_from([]).answered
    # Rasa's knowledge action asks which article, as the built-in bot does: the hub gets the choices.
    asked = turn_from([{"text": "이 중 어떤 내용을 찾으세요?\n1. 여권 재발급\n2. 여권 분실"},
                       {"custom": {"dasan": {"choices": [{"article_id": "district-002", "title": "여권 재발급"},
                                                         {"article_id": "district-003", "title": "여권 분실"}]}}}])  # fmt: skip
    assert [choice.article_id for choice in asked.choices] == ["district-002", "district-003"]


async def test_with_rasa_down_the_builtin_bot_answers_at_once(database_url: str) -> None:
    settings = hub_settings(database_url, rasa_url=f"http://127.0.0.1:{free_port()}")
    async with TestClient(TestServer(hub_app(settings))) as client:
        hub = client.app[HUB]
        assert hub.bot.name == "builtin"
        answer = await citizen_says(client, "c-down", "따릉이 대여 방법 알려주세요")
        assert answer["state"] == "bot" and "따릉이" in answer["replies"][0]["text"]
        # Rasa passed its last health check but has gone away since: the turn still gets
        # the built-in bot's answer, and the failure marks Rasa down.
        hub.bot._rasa.healthy = True
        again = await citizen_says(client, "c-down", "여권 재발급 신청 방법")
        assert "여권" in again["replies"][0]["text"]
        assert hub.bot.name == "builtin"
        supervisor = await login(client, "jung", available=False)
        trail = await client.get(f"/api/v1/conversations/{answer['conversation_id']}/events", headers=supervisor)
        assert [e["actor"] for e in (await trail.json())["events"] if e["type"] == "bot_answered"] == [
            "bot:builtin",
            "bot:builtin",
        ]


async def test_with_rasa_down_the_builtin_bot_answers_a_foreign_language_and_a_person_is_a_word_away(
    database_url: str,
) -> None:
    settings = hub_settings(database_url, rasa_url=f"http://127.0.0.1:{free_port()}")
    async with TestClient(TestServer(hub_app(settings))) as client:
        # Answered from the Vietnamese variant of the lost-property article, in Vietnamese.
        answer = await citizen_says(client, "c-vi", "Xin chào, tôi bị mất ví trên xe buýt")
        assert answer["state"] == "bot"
        assert "xe buýt" in answer["replies"][0]["text"].lower()
        # Asking for a person reaches one who speaks Vietnamese.
        person = await citizen_says(client, "c-vi", "Gặp tư vấn viên")
        assert person["state"] == "queued"
        supervisor = await login(client, "jung", available=False)
        found = await client.get(f"/api/v1/conversations/{person['conversation_id']}", headers=supervisor)
        assert (await found.json())["queue"] == "foreign_language"
