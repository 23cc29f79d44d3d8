"""Agents see citizens' personal numbers masked until they reveal them, and every reveal is in
the audit log; the citizen's own channel shows their messages whole."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from hub.core import Hub
from model.audit import AuditAction
from store import audit
from tests.conftest import api_channel_headers, citizen_says, login
from tests.sockets import receive_until
from tests.test_console_socket import console, has_mine

RESIDENT_NUMBER = "900101-1234567"
CARD = "4111-1111-1111-1111"
SAID = f"제 주민번호는 {RESIDENT_NUMBER}이고 카드는 {CARD}입니다. 분실 신고 부탁드려요"
SHOWN = "제 주민번호는 900101-1******이고 카드는 4111-****-****-1111입니다. 분실 신고 부탁드려요"
REPLY = f"카드 {CARD} 분실 신고를 접수했습니다."


async def reveal(client: TestClient, headers: dict[str, str], conversation_id: str, message_id: str) -> Any:
    return await client.post(f"/api/v1/conversations/{conversation_id}/messages/{message_id}/reveal", headers=headers)


async def reveals_of(hub: Hub, message_id: str) -> list[Any]:
    async with hub.store.read() as session:
        return await audit.entries(session, target=f"message:{message_id}", action=AuditAction.PERSONAL_DATA_REVEALED)


async def test_an_agent_reveals_a_masked_message_and_the_reveal_is_audited(client: TestClient, hub: Hub) -> None:
    socket, _, kim = await console(client, "kim")
    asked = await citizen_says(client, "citizen-pii", "버스에 카드 지갑을 두고 내렸어요. 상담사 연결해 주세요")
    conversation_id = asked["conversation_id"]
    await receive_until(socket, has_mine(conversation_id, "offered"))
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)).status == 200

    said = await citizen_says(client, "citizen-pii", SAID)
    # The console's live message: masked, and marked as holding personal data.
    frame, _ = await receive_until(
        socket, lambda f: f["type"] == "message" and f["message"]["id"] == said["message_id"]
    )
    assert frame["message"]["text"] == SHOWN and frame["message"]["personal_data"] is True
    await socket.close()

    # The REST listing, the conversation list's last message and the contact's history: masked.
    listed = (await (await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=kim)).json())[
        "messages"
    ]
    first, masked = listed[0], next(m for m in listed if m["id"] == said["message_id"])
    assert first["personal_data"] is False and first["text"] == "버스에 카드 지갑을 두고 내렸어요. 상담사 연결해 주세요"
    assert masked["text"] == SHOWN and masked["personal_data"] is True
    mine = (await (await client.get("/api/v1/conversations?mine=1", headers=kim)).json())["conversations"]
    assert next(c for c in mine if c["id"] == conversation_id)["last_message"]["text"] == SHOWN
    contact_id = mine[0]["contact"]["id"]
    history = await (await client.get(f"/api/v1/contacts/{contact_id}/history", headers=kim)).json()
    shown = [m["text"] for c in history["conversations"] for m in c["messages"]]
    assert SHOWN in shown and SAID not in shown

    # The agent who holds the conversation reveals it: whole, and once in the audit log.
    revealed = await reveal(client, kim, conversation_id, said["message_id"])
    assert revealed.status == 200
    assert await revealed.json() == {"id": said["message_id"], "text": SAID, "translation": None}
    [entry] = await reveals_of(hub, said["message_id"])
    assert entry.actor == "agent:kim"
    assert entry.detail == {"conversation_id": conversation_id, "kinds": ["card_number", "resident_number"]}
    # Revealing once does not unmask the listing.
    again = await (await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=kim)).json()
    assert SAID not in [m["text"] for m in again["messages"]]

    # Another agent who does not hold it, and an editor: refused, and nothing audited.
    for username in ("lee", "han"):
        refused = await reveal(
            client, await login(client, username, available=False), conversation_id, said["message_id"]
        )
        assert refused.status == 403 and (await refused.json())["error"]["code"] == "forbidden"
    assert len(await reveals_of(hub, said["message_id"])) == 1
    # A supervisor reveals on any conversation.
    jung = await login(client, "jung", available=False)
    assert (await reveal(client, jung, conversation_id, said["message_id"])).status == 200
    assert [e.actor for e in await reveals_of(hub, said["message_id"])] == ["agent:jung", "agent:kim"]

    # The agent's reply with the card number: masked for agents, whole on the citizen's channel.
    sent = await client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": REPLY}, headers=kim)
    assert sent.status == 201 and (await sent.json())["personal_data"] is True
    polled = await client.get(
        "/api/v1/channels/api/messages",
        params={"sender": "citizen-pii", "after": said["message_id"]},
        headers=api_channel_headers(client),
    )
    citizen_sees = (await polled.json())["messages"]
    assert [m["text"] for m in citizen_sees] == [REPLY] and "personal_data" not in citizen_sees[0]


async def test_unknown_messages_and_offers_not_yet_taken(client: TestClient, hub: Hub) -> None:
    socket, _, kim = await console(client, "kim")
    asked = await citizen_says(client, "citizen-offer", "상담사 연결해 주세요. 제 번호는 010-1234-5678 입니다")
    conversation_id = asked["conversation_id"]
    await receive_until(socket, has_mine(conversation_id, "offered"))
    await socket.close()
    # Offered to kim but not accepted yet: not kim's to reveal.
    assert (await reveal(client, kim, conversation_id, asked["message_id"])).status == 403
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)).status == 200
    revealed = await reveal(client, kim, conversation_id, asked["message_id"])
    assert revealed.status == 200 and "010-1234-5678" in (await revealed.json())["text"]
    [entry] = await reveals_of(hub, asked["message_id"])
    assert entry.detail["kinds"] == ["phone_number"]

    # A message of another conversation, an unknown one and a malformed id: 404, nothing audited.
    other = await citizen_says(client, "citizen-other", "따릉이 대여 방법 알려주세요")
    jung = await login(client, "jung", available=False)
    for message_id in (other["message_id"], "2147483647", "99999999999999999999", "abc"):
        missing = await reveal(client, jung, conversation_id, message_id)
        assert missing.status == 404, message_id
        assert (await missing.json())["error"]["code"] == "not_found"
    assert await reveals_of(hub, other["message_id"]) == []
    # An unknown conversation: 404.
    assert (await reveal(client, jung, "no-such-conversation", asked["message_id"])).status == 404
    # Without a login: 401.
    client.session.cookie_jar.clear()
    assert (await reveal(client, {}, conversation_id, asked["message_id"])).status == 401
