"""Router v1: bot first, handoff rules, queues, agent choice, offers, transfers."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.config import Settings
from router.routing import RouterSettings
from tests.conftest import citizen_says, hub_app, hub_settings, login, wait_for

PERSON_REQUESTS = {
    "ko": "상담사 연결해 주세요",
    "en": "Can I talk to a real person please?",
    "zh": "我要转人工客服",
    "ja": "オペレーターと話したいです",
    "vi": "Tôi muốn gặp nhân viên tư vấn",
    "mn": "Оператортой холбогдмоор байна",
}


async def conversation(client: TestClient, headers: dict[str, str], conversation_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    assert response.status == 200
    return await response.json()


async def events(client: TestClient, headers: dict[str, str], conversation_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/conversations/{conversation_id}/events", headers=headers)
    return (await response.json())["events"]


@pytest.mark.parametrize("language", sorted(PERSON_REQUESTS))
async def test_asking_for_a_person_hands_off_in_every_language(client: TestClient, language: str) -> None:
    answer = await citizen_says(client, f"c-{language}", PERSON_REQUESTS[language])
    assert answer["state"] == "queued"
    supervisor = await login(client, "jung", available=False)
    found = await conversation(client, supervisor, answer["conversation_id"])
    assert found["language"] == language
    assert found["queue"] == ("other" if language == "ko" else "foreign_language")
    handoff = [e for e in await events(client, supervisor, answer["conversation_id"]) if e["type"] == "handed_off"]
    assert handoff and handoff[0]["data"]["reason"] == "citizen asked for a person"
    # The citizen is told their position, in their language.
    assert "1" in answer["replies"][-1]["text"]


async def test_bot_failing_twice_hands_off_with_the_reason_recorded(client: TestClient) -> None:
    first = await citizen_says(client, "c1", "우주선 발사 일정이 궁금합니다")
    assert first["state"] == "bot"
    assert "상담사 연결" in first["replies"][0]["text"]
    second = await citizen_says(client, "c1", "화성 이주 신청은 어떻게 하나요")
    assert second["state"] == "queued"
    supervisor = await login(client, "jung", available=False)
    trail = await events(client, supervisor, second["conversation_id"])
    kinds = [e["type"] for e in trail]
    assert kinds.count("bot_failed") == 2
    assert next(e for e in trail if e["type"] == "handed_off")["data"]["reason"] == "the bot failed twice"


async def test_an_answer_resets_the_failure_count(client: TestClient) -> None:
    await citizen_says(client, "c2", "우주선 발사 일정이 궁금합니다")
    answered = await citizen_says(client, "c2", "여권 재발급 신청 방법")
    assert answered["state"] == "bot" and "여권" in answered["replies"][0]["text"]
    again = await citizen_says(client, "c2", "화성 이주 신청은 어떻게 하나요")
    assert again["state"] == "bot"


async def test_a_people_only_queue_skips_the_bot(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    response = await client.patch("/api/v1/queues/water", json={"bot_first": False}, headers=admin)
    assert response.status == 200 and (await response.json())["bot_first"] is False
    answer = await citizen_says(client, "c3", "수도요금 자동이체 신청하고 싶어요")
    assert answer["state"] == "queued"
    supervisor = await login(client, "jung", available=False)
    found = await conversation(client, supervisor, answer["conversation_id"])
    assert (found["category"], found["queue"]) == ("water", "water")
    # Only admins change queues.
    agent = await login(client, "kim", available=False)
    assert (await client.patch("/api/v1/queues/water", json={"bot_first": True}, headers=agent)).status == 403


CATEGORY_LINES = [
    ("ko", "지하철 막차 시간이 궁금해요", "transport"),
    ("ko", "수돗물에서 녹물이 나와요", "water"),
    ("ko", "청년수당 신청 자격이 어떻게 되나요", "city"),
    ("ko", "여권 재발급 하려면 어디로 가야 하나요", "district"),
    ("en", "I left my bag on the subway", "transport"),
    ("en", "How do I renew my passport?", "district"),
    ("zh", "我想问一下水费怎么交", "water"),
    ("ja", "地下鉄に財布を忘れました", "transport"),
    ("vi", "Tôi muốn hỏi về lễ hội ở Seoul", "city"),
    ("mn", "Паспорт сунгах талаар асуух гэсэн юм", "district"),
]


@pytest.mark.parametrize(("language", "text", "category"), CATEGORY_LINES)
async def test_language_and_category_come_from_the_first_message(
    client: TestClient, language: str, text: str, category: str
) -> None:
    answer = await citizen_says(client, "c-cat", text)
    supervisor = await login(client, "jung", available=False)
    found = await conversation(client, supervisor, answer["conversation_id"])
    assert (found["language"], found["category"]) == (language, category)
    reasons = [
        e["data"].get("reason")
        for e in await events(client, supervisor, answer["conversation_id"])
        if e["type"] == "category_set"
    ]
    assert reasons and reasons[0]


async def test_foreign_languages_go_to_agents_who_speak_them(client: TestClient) -> None:
    answer = await citizen_says(client, "c-vi", "Xin chào, tôi cần gặp tư vấn viên")
    assert answer["state"] == "queued"
    assert "tư vấn viên" in answer["replies"][0]["text"]  # the citizen is answered in Vietnamese
    kim = await login(client, "kim")  # Korean only
    nguyen = await login(client, "nguyen")  # speaks Vietnamese, has the foreign_language skill
    supervisor = await login(client, "jung", available=False)

    async def offered() -> dict[str, Any] | None:
        found = await conversation(client, supervisor, answer["conversation_id"])
        return found if found["state"] == "offered" else None

    found = await wait_for(offered)
    assert found["assigned_agent"] == "nguyen"
    del kim, nguyen


async def test_longest_idle_agent_with_capacity_gets_the_offer(client: TestClient) -> None:
    lee = await login(client, "lee")
    kim = await login(client, "kim")  # available after lee: lee has been idle longer
    supervisor = await login(client, "jung", available=False)
    first = await citizen_says(client, "c-a", "여권 재발급 상담사 연결해 주세요")

    async def state_of(conversation_id: str, state: str) -> dict[str, Any] | None:
        found = await conversation(client, supervisor, conversation_id)
        return found if found["state"] == state else None

    found = await wait_for(lambda: state_of(first["conversation_id"], "offered"))
    assert found["queue"] == "district" and found["assigned_agent"] == "lee"
    reason = [e for e in await events(client, supervisor, first["conversation_id"]) if e["type"] == "offered"]
    assert "longest idle" in reason[0]["data"]["reason"]
    # Transport is not one of lee's skills: kim gets it.
    second = await citizen_says(client, "c-b", "버스 분실물 상담사 연결해 주세요")
    found = await wait_for(lambda: state_of(second["conversation_id"], "offered"))
    assert found["assigned_agent"] == "kim"
    del lee, kim


async def test_capacity_is_respected_and_priority_goes_first(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    ids = [
        (await citizen_says(client, f"c-{n}", "쓰레기 무단투기 상담사 연결")).get("conversation_id") for n in range(5)
    ]
    # The last one becomes urgent.
    response = await client.patch(f"/api/v1/conversations/{ids[-1]}", json={"priority": 5}, headers=supervisor)
    assert response.status == 200
    lee = await login(client, "lee")  # district skill, chat capacity 3

    async def offered_ids() -> list[str] | None:
        listed = await client.get("/api/v1/conversations", params={"state": "offered"}, headers=supervisor)
        found = [c["id"] for c in (await listed.json())["conversations"]]
        return found if len(found) >= 3 else None

    offered = await wait_for(offered_ids)
    assert len(offered) == 3
    assert ids[-1] in offered and ids[0] in offered and ids[1] in offered
    queued = await client.get(
        "/api/v1/conversations", params={"state": "queued", "queue": "district"}, headers=supervisor
    )
    assert [c["id"] for c in (await queued.json())["conversations"]] == [ids[2], ids[3]]
    assert [c["queue_position"] for c in (await queued.json())["conversations"]] == [1, 2]
    del lee


async def test_an_unaccepted_offer_returns_to_the_queue(database_url: str) -> None:
    settings: Settings = hub_settings(
        database_url, router=RouterSettings(sweep_interval_seconds=0.1, offer_timeout_seconds=0.5)
    )
    async with TestClient(TestServer(hub_app(settings))) as client:
        supervisor = await login(client, "jung", available=False)
        kim = await login(client, "kim")
        answer = await citizen_says(client, "c-x", "상담사 연결해 주세요")

        async def expired() -> list[dict[str, Any]] | None:
            trail = await events(client, supervisor, answer["conversation_id"])
            return trail if any(e["type"] == "offer_expired" for e in trail) else None

        trail = await wait_for(expired)
        assert [e["type"] for e in trail].index("offered") < [e["type"] for e in trail].index("offer_expired")
        found = await conversation(client, supervisor, answer["conversation_id"])
        assert found["state"] == "queued" and found["assigned_agent"] is None
        me = await (await client.get("/api/v1/me", headers=kim)).json()
        assert me["state"] == "break"


async def test_a_declined_offer_goes_to_another_agent_and_not_back(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    kim = await login(client, "kim")  # idle longest of the two with the `other` skill
    lee = await login(client, "lee")
    conversation_id = (await citizen_says(client, "c-d", "상담사 연결해 주세요"))["conversation_id"]

    async def offered_to(username: str) -> bool:
        found = await conversation(client, supervisor, conversation_id)
        return found["state"] == "offered" and found["assigned_agent"] == username

    await wait_for(lambda: offered_to("kim"))
    path = f"/api/v1/conversations/{conversation_id}/decline"
    assert (await client.post(path, headers=lee)).status == 403  # not offered to lee
    declined = await client.post(path, headers=kim)
    assert declined.status == 200, await declined.text()
    await wait_for(lambda: offered_to("lee"))
    assert (await client.post(path, headers=lee)).status == 200
    # Both declined: it waits at the front of its queue rather than going back to either.
    found = await conversation(client, supervisor, conversation_id)
    assert (found["state"], found["assigned_agent"], found["queue_position"]) == ("queued", None, 1)
    assert (await client.post(path, headers=kim)).status == 409  # nothing offered to decline
    trail = [e for e in await events(client, supervisor, conversation_id) if e["type"] == "declined"]
    assert [e["data"]["agent"] for e in trail] == ["kim", "lee"]
    me = await (await client.get("/api/v1/me", headers=kim)).json()
    assert me["state"] == "available"  # declining is a choice, not absence


async def test_claim_transfer_and_resolve(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    kim = await login(client, "kim", available=False)
    answer = await citizen_says(client, "c-t", "버스 노선 문의 상담사 연결해 주세요")
    conversation_id = answer["conversation_id"]
    # Pull from the queue while on break: allowed, the agent chooses.
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)
    assert claimed.status == 200 and (await claimed.json())["state"] == "assigned"
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)).status == 409
    lee = await login(client, "lee", available=False)
    refused = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": "제가 답할게요"}, headers=lee
    )
    assert refused.status == 403
    moved = await client.post(
        f"/api/v1/conversations/{conversation_id}/transfer", json={"queue": "district"}, headers=kim
    )
    assert moved.status == 200
    assert ((await moved.json())["state"], (await moved.json())["queue"]) == ("queued", "district")
    # A transfer's target must be available (it may be offered the conversation meanwhile).
    assert (await client.post("/api/v1/me/state", json={"state": "available"}, headers=lee)).status == 200
    to_agent = await client.post(
        f"/api/v1/conversations/{conversation_id}/transfer", json={"agent": "lee"}, headers=supervisor
    )
    assert (await to_agent.json())["assigned_agent"] == "lee"
    bad = await client.post(
        f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "done"}, headers=lee
    )
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "unknown_disposition"
    resolved = await client.post(
        f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "connected"}, headers=lee
    )
    body = await resolved.json()
    assert (body["state"], body["disposition"]) == ("resolved", "connected") and body["resolved_at"]
    kinds = [e["type"] for e in await events(client, supervisor, conversation_id)]
    # The closing message asks the citizen to rate the conversation (hub/survey.py).
    assert kinds.count("transferred") == 2 and kinds[-2:] == ["resolved", "survey_asked"]
    unknown = await client.post(
        f"/api/v1/conversations/{conversation_id}/transfer", json={"queue": "nowhere"}, headers=supervisor
    )
    assert unknown.status == 400


async def test_agent_corrections_move_a_waiting_conversation(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    answer = await citizen_says(client, "c-fix", "버스 상담사 연결해 주세요")
    conversation_id = answer["conversation_id"]
    assert (await conversation(client, supervisor, conversation_id))["queue"] == "transport"
    fixed = await client.patch(
        f"/api/v1/conversations/{conversation_id}", json={"category": "water"}, headers=supervisor
    )
    assert (await fixed.json())["queue"] == "water"
    fixed = await client.patch(f"/api/v1/conversations/{conversation_id}", json={"language": "en"}, headers=supervisor)
    assert ((await fixed.json())["language"], (await fixed.json())["queue"]) == ("en", "foreign_language")
    bad = await client.patch(
        f"/api/v1/conversations/{conversation_id}", json={"category": "weather"}, headers=supervisor
    )
    assert bad.status == 400
    trail = await events(client, supervisor, conversation_id)
    assert any(e["type"] == "language_set" and e["actor"] == "agent:jung" for e in trail)


async def test_short_lines_do_not_flip_the_language(client: TestClient) -> None:
    first = await citizen_says(client, "c-sticky", "Hello, where can I renew my passport?")
    for line in ("ok", "1234", "?", "네"):
        await citizen_says(client, "c-sticky", line)
    supervisor = await login(client, "jung", available=False)
    assert (await conversation(client, supervisor, first["conversation_id"]))["language"] == "en"


async def test_resolved_conversations_reopen_within_the_window(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    answer = await citizen_says(client, "c-re", "버스 상담사 연결해 주세요")
    conversation_id = answer["conversation_id"]
    await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)
    await client.post(f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "resolved"}, headers=kim)
    again = await citizen_says(client, "c-re", "하나 더 물어볼게요")
    assert again["conversation_id"] == conversation_id and again["state"] == "queued"
    trail = [e["type"] for e in await events(client, kim, conversation_id)]
    assert "reopened" in trail


async def test_outside_the_window_a_new_conversation_starts(database_url: str) -> None:
    from datetime import timedelta

    settings = hub_settings(database_url, reopen_window=timedelta(seconds=0))
    async with TestClient(TestServer(hub_app(settings))) as client:
        kim = await login(client, "kim", available=False)
        answer = await citizen_says(client, "c-new", "버스 상담사 연결해 주세요")
        await client.post(f"/api/v1/conversations/{answer['conversation_id']}/claim", headers=kim)
        await client.post(
            f"/api/v1/conversations/{answer['conversation_id']}/resolve", json={"disposition": "resolved"}, headers=kim
        )
        again = await citizen_says(client, "c-new", "따릉이 대여 방법")
        assert again["conversation_id"] != answer["conversation_id"] and again["state"] == "bot"
