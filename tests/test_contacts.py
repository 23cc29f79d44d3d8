"""One citizen, many channels: linked identities share one contact and one history."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from hub.contacts import normalise_phone
from hub.core import Hub
from model import Channel, Inbound
from model.masking import mask
from tests.conftest import citizen_says, login


def test_phone_numbers_are_normalised_to_e164() -> None:
    assert normalise_phone("010-1234-5678") == "+821012345678"
    assert normalise_phone("+82 10 1234 5678") == "+821012345678"
    assert normalise_phone("0082-10-1234-5678") == "+821012345678"
    assert normalise_phone("02-120") is None


def test_personal_numbers_are_masked_for_logs() -> None:
    line = "주민번호 900101-1234567, 카드 4111-1111-1111-1111, 전화 010-1234-5678, +821012345678"
    masked = mask(line)
    assert "1234567" not in masked and "900101-1******" in masked
    assert "1111-1111" not in masked and "4111-****-****-1111" in masked
    assert "010-****-5678" in masked and "+8210****5678" in masked


async def _contact_of(client: TestClient, headers: dict[str, str], conversation_id: str) -> dict:
    return (await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)).json())["contact"]


async def test_an_agent_links_two_contacts(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    # Handed to the queues of kim's skills: an agent reads no conversation the bot still holds.
    first = await citizen_says(client, "citizen-a", "여권 재발급 신청 방법 상담사 연결해 주세요")
    second = await citizen_says(client, "citizen-b", "따릉이 대여 방법 상담사 연결해 주세요")
    keep = await _contact_of(client, kim, first["conversation_id"])
    other = await _contact_of(client, kim, second["conversation_id"])
    linked = await client.post(f"/api/v1/contacts/{keep['id']}/link", json={"contact_id": other["id"]}, headers=kim)
    assert linked.status == 200
    assert {i["external_id"] for i in (await linked.json())["identities"]} == {"citizen-a", "citizen-b"}
    history = await (await client.get(f"/api/v1/contacts/{keep['id']}/history", headers=kim)).json()
    assert {c["id"] for c in history["conversations"]} == {first["conversation_id"], second["conversation_id"]}
    assert (await client.get(f"/api/v1/contacts/{other['id']}/history", headers=kim)).status == 404
    events = await (await client.get(f"/api/v1/conversations/{second['conversation_id']}/events", headers=kim)).json()
    assert any(e["type"] == "contact_linked" and e["actor"] == "agent:kim" for e in events["events"])
    # The citizen's next message on either identity stays with the linked contact.
    again = await citizen_says(client, "citizen-b", "대여소 위치도 알려주세요")
    assert (await _contact_of(client, kim, again["conversation_id"]))["id"] == keep["id"]
    same = await client.post(f"/api/v1/contacts/{keep['id']}/link", json={"contact_id": keep["id"]}, headers=kim)
    assert same.status == 400
    missing = await client.post(f"/api/v1/contacts/{keep['id']}/link", json={"contact_id": "nope"}, headers=kim)
    assert missing.status == 404
    # PostgreSQL cannot store U+0000: refused as bad input on both engines, never a 500.
    nul = await client.post(f"/api/v1/contacts/{keep['id']}/link", json={"contact_id": "a\x00"}, headers=kim)
    assert nul.status == 400 and (await nul.json())["error"]["code"] == "invalid_character"
    assert (await client.get("/api/v1/contacts/a%00/history", headers=kim)).status == 400


async def test_the_same_verified_phone_links_channels(client: TestClient, hub: Hub) -> None:
    by_sms = await hub.receive(
        Inbound(Channel.SMS, "+821012345678", "수도요금 자동이체 신청", "SM1", verified_phone="+821012345678")
    )
    by_telegram = await hub.receive(
        Inbound(Channel.TELEGRAM, "991", "지하철 분실물 찾는 방법", "991:1", verified_phone="010-1234-5678")
    )
    stranger = await hub.receive(Inbound(Channel.TELEGRAM, "992", "여권 재발급", "992:1"))
    supervisor = await login(client, "jung", available=False)
    contact = await _contact_of(client, supervisor, by_telegram.conversation_id)
    assert contact["id"] == (await _contact_of(client, supervisor, by_sms.conversation_id))["id"]
    assert {(i["channel"], i["external_id"]) for i in contact["identities"]} == {
        ("sms", "+821012345678"),
        ("telegram", "991"),
    }
    assert (await _contact_of(client, supervisor, stranger.conversation_id))["id"] != contact["id"]
