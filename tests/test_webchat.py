"""The web chat channel: the citizen's WebSocket, the widget and its texts (docs/api.md)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from hub.core import HUB
from tests.conftest import login, wait_for
from tests.sockets import TIMEOUT, Frame, frames_for, receive_until


def is_message(author: str | None = None) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "message" and (author is None or f["message"]["author"] == author)


def is_state(state: str, position: int | None = None) -> Callable[[Frame], bool]:
    return lambda f: (
        f["type"] == "state" and f["state"] == state and (position is None or f["queue_position"] == position)
    )


def is_error(f: Frame) -> bool:
    return f["type"] == "error"


async def connect(client: TestClient, session: str | None = None) -> tuple[ClientWebSocketResponse, Frame]:
    """A citizen's socket after the hello, and the hub's welcome."""
    socket = await client.ws_connect("/webchat/ws")
    await socket.send_json({"type": "hello", "session": session, "language": "ko"})
    welcome = await socket.receive_json(timeout=TIMEOUT)
    assert welcome["type"] == "welcome", welcome
    return socket, welcome


async def say(socket: ClientWebSocketResponse, text: str, client_id: str | None = None) -> str:
    client_id = client_id or str(uuid.uuid4())
    await socket.send_json({"type": "message", "text": text, "client_id": client_id})
    return client_id


async def own_message(socket: ClientWebSocketResponse, client_id: str) -> Frame:
    frame, _ = await receive_until(
        socket, lambda f: f["type"] == "message" and f["message"].get("client_id") == client_id
    )
    return frame["message"]


async def supervisor_get(client: TestClient, path: str) -> Any:
    headers = await login(client, "jung", available=False)
    response = await client.get(path, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def ask_for_person(
    client: TestClient, text: str = "따릉이 고장 신고하려고요. 상담사 연결해 주세요"
) -> tuple[ClientWebSocketResponse, Frame, str, str]:
    """A new citizen who asks for a person: socket, `queued` state frame, conversation, session token."""
    socket, welcome = await connect(client)
    client_id = await say(socket, text)
    # The echo of the citizen's message and the queued state come on separate paths (the
    # inbound side's echo, the hub's state notice): either may arrive first.
    state, seen = await receive_until(socket, is_state("queued"))
    echoed = [f for f in seen if f["type"] == "message" and f["message"].get("client_id") == client_id]
    mine = echoed[0]["message"] if echoed else await own_message(socket, client_id)
    return socket, state, mine["conversation_id"], welcome["session"]


# -- the conversation ---------------------------------------------------------------------


async def test_new_session_and_a_bot_answer(client: TestClient) -> None:
    socket, welcome = await connect(client)
    assert isinstance(welcome["session"], str) and len(welcome["session"]) >= 32
    assert welcome["conversation"] is None and welcome["messages"] == []

    client_id = await say(socket, "따릉이 대여 방법 알려주세요")
    first, _ = await receive_until(socket, is_message())
    assert first["message"]["author"] == "citizen"
    assert first["message"]["client_id"] == client_id
    assert first["message"]["text"] == "따릉이 대여 방법 알려주세요"
    assert first["message"]["direction"] == "in"
    answer, _ = await receive_until(socket, is_message())
    assert answer["message"]["author"] == "bot"
    assert "따릉이" in answer["message"]["text"]
    assert answer["message"]["conversation_id"] == first["message"]["conversation_id"]
    assert answer["message"]["actions"], "the bot offers a way to reach a person"
    await socket.close()


async def test_reconnecting_restores_the_history(client: TestClient) -> None:
    socket, welcome = await connect(client)
    token = welcome["session"]
    questions = ["따릉이 대여 방법 알려주세요", "지하철에서 잃어버린 물건은 어떻게 찾나요?"]
    for question in questions:
        client_id = await say(socket, question)
        await own_message(socket, client_id)
        await receive_until(socket, is_message("bot"))
    await socket.close()

    again, welcome = await connect(client, token)
    assert welcome["session"] == token
    history = welcome["messages"]
    assert [m["author"] for m in history] == ["citizen", "bot", "citizen", "bot"]
    assert [m["text"] for m in history if m["author"] == "citizen"] == questions
    assert [int(m["id"]) for m in history] == sorted(int(m["id"]) for m in history)
    assert welcome["conversation"]["state"] == "bot"
    await again.close()

    fresh, welcome = await connect(client, "garbage!! not a token")
    assert welcome["session"] != token and len(welcome["session"]) >= 32
    assert welcome["conversation"] is None and welcome["messages"] == []
    await fresh.close()


async def test_welcome_names_the_conversation_by_id(client: TestClient) -> None:
    socket, welcome = await connect(client)
    client_id = await say(socket, "따릉이 대여 방법 알려주세요")
    conversation_id = (await own_message(socket, client_id))["conversation_id"]
    await receive_until(socket, is_message("bot"))
    await socket.close()
    again, welcome = await connect(client, welcome["session"])
    # docs/api.md: "conversation": {"id", "state", "queue", "queue_position"}
    assert welcome["conversation"]["id"] == conversation_id
    await again.close()


async def test_a_resend_after_reconnecting_is_stored_once(client: TestClient) -> None:
    socket, welcome = await connect(client)
    client_id = await say(socket, "따릉이 대여 방법 알려주세요")
    stored = await own_message(socket, client_id)
    await receive_until(socket, is_message("bot"))
    await socket.close()

    # The widget lost the acknowledgement and sends the same message again.
    again, _ = await connect(client, welcome["session"])
    await say(again, "따릉이 대여 방법 알려주세요", client_id)
    echoed = await own_message(again, client_id)
    assert echoed["id"] == stored["id"] and echoed["text"] == stored["text"]
    await again.close()

    messages = (await supervisor_get(client, f"/api/v1/conversations/{stored['conversation_id']}/messages"))["messages"]
    assert [m["author"] for m in messages] == ["citizen", "bot"]


# -- queues and agents ------------------------------------------------------------------


async def test_queue_positions_move_up_when_a_citizen_leaves(client: TestClient) -> None:
    first, state, first_id, _ = await ask_for_person(client)
    assert (state["queue"], state["queue_position"]) == ("transport", 1)
    second, state, second_id, _ = await ask_for_person(client, "버스에 물건을 두고 내렸어요. 상담원 연결해 주세요")
    assert (state["queue"], state["queue_position"]) == ("transport", 2)

    await first.send_json({"type": "end"})
    ended, _ = await receive_until(first, is_state("resolved"))
    assert ended["queue_position"] is None
    moved, _ = await receive_until(second, lambda f: f["type"] == "state" and f["queue_position"] != 2)
    assert (moved["state"], moved["queue"], moved["queue_position"]) == ("queued", "transport", 1)

    events = (await supervisor_get(client, f"/api/v1/conversations/{first_id}/events"))["events"]
    assert "abandoned" in [event["type"] for event in events]
    second_events = (await supervisor_get(client, f"/api/v1/conversations/{second_id}/events"))["events"]
    assert "abandoned" not in [event["type"] for event in second_events]
    await first.close()
    await second.close()


async def test_an_agent_reply_reaches_the_widget_and_is_delivered(client: TestClient) -> None:
    socket, _, conversation_id, _ = await ask_for_person(client)
    headers = await login(client, "kim")  # the only available agent with the transport skill

    async def offered_or_queued() -> bool:
        response = await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
        return (await response.json())["state"] in ("offered", "queued")

    await wait_for(offered_or_queued)
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
    assert claimed.status == 200, await claimed.text()
    await receive_until(socket, is_state("assigned"))

    reply_text = "안녕하세요, 상담사 김민지입니다. 고장 난 자전거 번호를 알려 주세요."
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": reply_text}, headers=headers
    )
    assert response.status == 201, await response.text()
    reply_id = (await response.json())["id"]

    pushed, _ = await receive_until(socket, is_message("agent"))
    assert pushed["message"]["id"] == reply_id
    assert pushed["message"]["text"] == reply_text
    assert pushed["message"]["direction"] == "out"

    async def delivered() -> bool:
        response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers)
        statuses = {m["id"]: m["status"] for m in (await response.json())["messages"]}
        return statuses.get(reply_id) == "delivered"

    await wait_for(delivered)
    await socket.close()


async def test_replies_leave_through_the_outbox_to_the_open_widget_or_the_history(client: TestClient) -> None:
    socket, _, conversation_id, session = await ask_for_person(client)
    kim = await login(client, "kim", available=False)
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)
    assert claimed.status == 200
    await receive_until(socket, is_state("assigned"))

    async def status_of(message_id: str) -> str:
        response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=kim)
        return {m["id"]: m["status"] for m in (await response.json())["messages"]}[message_id]

    async def reply(text: str) -> str:
        path = f"/api/v1/conversations/{conversation_id}/messages"
        response = await client.post(path, json={"text": text}, headers=kim)
        assert response.status == 201
        return (await response.json())["id"]

    # Stored as queued; the outbox hands it to the web chat, which pushes it to the open widget.
    seen_id = await reply("확인해 보겠습니다.")
    pushed, _ = await receive_until(socket, is_message("agent"))
    assert pushed["message"]["id"] == seen_id
    await wait_for(lambda: _status_is(status_of, seen_id, "delivered"))

    # No widget open: the outbox still hands it over, the widget finds it in the history.
    await socket.close()
    unseen_id = await reply("처리되었습니다.")
    await wait_for(lambda: _status_is(status_of, unseen_id, "sent"))
    again, welcome = await connect(client, session)
    assert unseen_id in [m["id"] for m in welcome["messages"]]
    await again.close()


async def _status_is(status_of: Callable[[str], Any], message_id: str, status: str) -> bool:
    return await status_of(message_id) == status


async def test_a_reply_during_a_reconnect_is_not_lost(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    socket, _, conversation_id, session = await ask_for_person(client)
    headers = await login(client, "kim")
    await wait_for(lambda: _state_is(client, headers, conversation_id, "offered"))
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
    assert claimed.status == 200
    await socket.close()

    hub = client.app[HUB]
    read_history = hub.history

    async def slow_history(*args: Any) -> Any:
        found = await read_history(*args)
        await asyncio.sleep(0.5)  # a loaded database: the welcome takes a while
        return found

    monkeypatch.setattr(hub, "history", slow_history)
    again = await client.ws_connect("/webchat/ws")
    await again.send_json({"type": "hello", "session": session, "language": "ko"})
    await asyncio.sleep(0.1)
    # The agent answers while the widget is reconnecting.
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": "기다려 주셔서 감사합니다."}, headers=headers
    )
    assert response.status == 201
    reply_id = (await response.json())["id"]

    restored, before = await receive_until(again, lambda f: f["type"] == "welcome")
    after = await frames_for(again, 0.5)
    # What the widget shows: the welcome's history, plus the messages pushed after it.
    shown = [m["id"] for m in restored["messages"]] + [f["message"]["id"] for f in after if f["type"] == "message"]
    assert reply_id in shown, f"pushed before the welcome: {before}"
    await again.close()


async def _state_is(client: TestClient, headers: dict[str, str], conversation_id: str, state: str) -> bool:
    response = await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    return (await response.json())["state"] == state


# -- refused frames ---------------------------------------------------------------------


async def test_bad_frames_are_refused_and_nothing_is_stored(client: TestClient) -> None:
    socket, welcome = await connect(client)

    await socket.send_str("{this is not json")
    error, _ = await receive_until(socket, is_error)
    assert error["error"]["code"] == "malformed_json" and error["error"]["message"]

    cases = [
        ({"type": "message", "text": "   ", "client_id": str(uuid.uuid4())}, "empty_text"),
        ({"type": "message", "text": "가" * 2001, "client_id": str(uuid.uuid4())}, "text_too_long"),
        ({"type": "message", "text": "따릉이 대여 방법 알려주세요"}, "missing_field"),
        ({"type": "message", "text": "따릉이\x00", "client_id": str(uuid.uuid4())}, "invalid_character"),
        ({"type": "message", "text": "따릉이", "client_id": str(uuid.uuid4()), "language": ["vi"]}, "unknown_language"),
    ]
    for frame, code in cases:
        await socket.send_json(frame)
        error, skipped = await receive_until(socket, is_error)
        assert error["error"]["code"] == code, error
        assert error["error"]["message"]
        assert not [f for f in skipped if f["type"] == "message"]

    # The socket is still usable, and a message at the limit is taken.
    client_id = await say(socket, "가" * 2000)
    assert (await own_message(socket, client_id))["text"] == "가" * 2000
    await receive_until(socket, is_message("bot"))
    await socket.close()

    again, restored = await connect(client, welcome["session"])
    assert [(m["author"], m["text"]) for m in restored["messages"] if m["author"] == "citizen"] == [
        ("citizen", "가" * 2000)
    ]
    await again.close()


async def test_refused_frames_alone_leave_no_conversation(client: TestClient) -> None:
    socket, welcome = await connect(client)
    for frame in (
        '["a list"]',
        '{"type": "message", "text": "", "client_id": "c1c1c1c1c1"}',
        '{"type": "message", "text": "안녕하세요"}',
    ):
        await socket.send_str(frame)
        await receive_until(socket, is_error)
    await socket.close()
    again, restored = await connect(client, welcome["session"])
    assert restored["conversation"] is None and restored["messages"] == []
    await again.close()


# -- the widget's files -------------------------------------------------------------------


async def test_widget_page_and_texts(client: TestClient) -> None:
    widget = await client.get("/webchat/widget.js")
    assert widget.status == 200
    assert widget.content_type == "application/javascript"
    assert "WebSocket" in await widget.text()

    page = await client.get("/webchat/")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert "<script" in html and "widget.js" in html

    texts = await client.get("/webchat/i18n/vi.json")
    assert texts.status == 200
    assert texts.headers.get("Access-Control-Allow-Origin") == "*"
    body = await texts.json()
    assert body["widget.send"] == "Gửi"
    assert body["widget.title"] == "Tư vấn trực tuyến Seoul 120"
    assert all(key.startswith("widget.") for key in body)

    missing = await client.get("/webchat/i18n/fr.json")
    assert missing.status == 404
    error = await missing.json()
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message"}
    assert error["error"]["code"] == "not_found"


async def test_a_citizen_leaving_a_served_chat_tells_the_agent_only(client: TestClient) -> None:
    socket, _, conversation_id, session = await ask_for_person(client)
    kim = await login(client, "kim", available=False)
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)
    assert claimed.status == 200
    await socket.send_json({"type": "end"})

    async def note() -> Any:
        response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=kim)
        notes = [m for m in (await response.json())["messages"] if m["author"] == "system" and m["direction"] == "in"]
        return notes

    notes = await wait_for(note)
    assert notes[0]["text"] == "시민이 대화를 종료했습니다."
    # The agent resolves it with a disposition; the citizen's widget never shows the note.
    conversation = await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=kim)).json()
    assert conversation["state"] == "assigned"
    assert all(f.get("message", {}).get("text") != notes[0]["text"] for f in await frames_for(socket, 0.5))
    await socket.close()
    again, welcome = await connect(client, session)
    assert notes[0]["text"] not in [m["text"] for m in welcome["messages"]]
    await again.close()
