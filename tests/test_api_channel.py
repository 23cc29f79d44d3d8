"""The generic API channel's contract (API.md)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import api_channel_headers, citizen_says, login


async def test_bot_answers_from_the_knowledge_base(client: TestClient) -> None:
    answer = await citizen_says(client, "citizen-42", "따릉이 대여 방법 알려주세요", "ext-1001", language="ko")
    assert answer["duplicate"] is False
    assert answer["state"] == "bot"
    assert answer["conversation_id"] and answer["message_id"]
    assert len(answer["replies"]) == 1
    assert "따릉이" in answer["replies"][0]["text"]
    assert answer["replies"][0]["language"] == "ko"


async def test_same_message_id_is_stored_once(client: TestClient) -> None:
    first = await citizen_says(client, "citizen-7", "여권 재발급은 어디서 하나요?", "ext-1")
    again = await citizen_says(client, "citizen-7", "여권 재발급은 어디서 하나요?", "ext-1")
    assert again["duplicate"] is True
    assert (again["conversation_id"], again["message_id"]) == (first["conversation_id"], first["message_id"])
    assert again["replies"] == first["replies"]
    headers = await login(client, "jung", available=False)
    messages = (
        await (await client.get(f"/api/v1/conversations/{first['conversation_id']}/messages", headers=headers)).json()
    )["messages"]
    citizen_lines = [m for m in messages if m["author"] == "citizen"]
    assert len(citizen_lines) == 1
    # The same id from another sender is another message.
    other = await citizen_says(client, "citizen-8", "여권 재발급은 어디서 하나요?", "ext-1")
    assert other["duplicate"] is False and other["conversation_id"] != first["conversation_id"]


async def _error(client: TestClient, data: bytes | str, status: int = 400) -> dict[str, str]:
    response = await client.post(
        "/api/v1/channels/api/messages",
        data=data,
        headers={"Content-Type": "application/json", **api_channel_headers(client)},
    )
    assert response.status == status
    body = await response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]


async def test_malformed_json_is_a_clear_400(client: TestClient) -> None:
    error = await _error(client, '{"sender": "a", "text": ')
    assert error["code"] == "malformed_json"
    assert (await _error(client, "[1, 2]"))["code"] == "invalid_body"


async def test_missing_fields_are_named(client: TestClient) -> None:
    error = await _error(client, '{"sender": "a", "message_id": "m"}')
    assert error["code"] == "missing_field" and "text" in error["message"]
    error = await _error(client, '{"text": "안녕하세요", "message_id": "m"}')
    assert "sender" in error["message"]


async def test_oversized_text_and_body_are_refused(client: TestClient) -> None:
    error = await _error(client, '{"sender": "a", "message_id": "m", "text": "%s"}' % ("가" * 4001))
    assert error["code"] == "text_too_long"
    error = await _error(client, '{"sender": "a", "message_id": "m", "text": "%s"}' % ("a" * 300_000), 413)
    assert error["code"] == "payload_too_large"
    error = await _error(client, '{"sender": "a", "message_id": "m", "text": "hi", "language": "fr"}')
    assert "language" in error["message"]


async def test_refused_messages_leave_nothing_behind(client: TestClient) -> None:
    await _error(client, '{"sender": "ghost", "message_id": "m", "text": "   "}')
    response = await client.get(
        "/api/v1/channels/api/messages", params={"sender": "ghost"}, headers=api_channel_headers(client)
    )
    assert (await response.json()) == {"conversation_id": None, "state": None, "messages": []}


async def test_agent_replies_arrive_by_polling(client: TestClient) -> None:
    start = await citizen_says(client, "citizen-9", "상담사 연결해 주세요")
    assert start["state"] == "queued"
    headers = await login(client, "kim")
    conversation_id = start["conversation_id"]
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)).status == 200
    reply = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"text": "안녕하세요, 상담사 김민지입니다."},
        headers=headers,
    )
    assert reply.status == 201
    key = api_channel_headers(client)
    polled = await client.get(
        "/api/v1/channels/api/messages", params={"sender": "citizen-9", "after": start["message_id"]}, headers=key
    )
    texts = [m["text"] for m in (await polled.json())["messages"]]
    assert texts[-1] == "안녕하세요, 상담사 김민지입니다."
    assert all(m["direction"] == "out" for m in (await polled.json())["messages"])
    bad = await client.get("/api/v1/channels/api/messages", params={"sender": "citizen-9", "after": "x"}, headers=key)
    assert bad.status == 400


async def test_health_and_openapi(client: TestClient) -> None:
    assert await (await client.get("/healthz")).json() == {"status": "ok"}
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/channels/api/messages" in spec["paths"]
    assert "requestBody" in spec["paths"]["/api/v1/channels/api/messages"]["post"]
