"""The protection protocol through HTTP (docs/protection.md): abuse detected on ingest, the urgent
alert to supervisors, the standard warning, ending under the protocol, blocks and their lifting,
and the month's incidents against the ceiling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from hub.config import ProtectionSettings
from hub.core import Hub
from model.audit import AuditAction
from model.clock import utcnow
from model.masking import mask
from store import audit
from store.tables import ContactBlockRow
from tests.conftest import citizen_says, hub_app, hub_settings, login
from tests.sockets import receive_until
from tests.test_console_socket import console, has_mine, snapshot_of

SEOUL = ZoneInfo("Asia/Seoul")


async def _json(client: TestClient, method: str, path: str, headers: dict[str, str], status: int, **kw: Any) -> Any:
    response = await client.request(method, path, headers=headers, **kw)
    assert response.status == status, await response.text()
    return await response.json()


async def _events(client: TestClient, conversation_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    return (await _json(client, "GET", f"/api/v1/conversations/{conversation_id}/events", headers, 200))["events"]


async def _messages(client: TestClient, conversation_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    return (await _json(client, "GET", f"/api/v1/conversations/{conversation_id}/messages", headers, 200))["messages"]


async def _claimed(client: TestClient, agent: dict[str, str], sender: str, text: str, **extra: Any) -> str:
    """A conversation the citizen asked a person for, taken by `agent` from its queue."""
    answer = await citizen_says(client, sender, text, **extra)
    assert answer["state"] == "queued"
    await _json(client, "POST", f"/api/v1/conversations/{answer['conversation_id']}/claim", agent, 200)
    return answer["conversation_id"]


async def _warned(client: TestClient, conversation_id: str, agent: dict[str, str], times: int) -> dict[str, Any]:
    for _ in range(times):
        warned = await _json(client, "POST", f"/api/v1/conversations/{conversation_id}/warn", agent, 201)
    return warned


async def test_abuse_is_detected_on_ingest_and_a_plain_question_stays_clean(client: TestClient) -> None:
    kim = await login(client, "jung", available=False)  # a supervisor reads the bot's conversations too
    abusive = await citizen_says(client, "rude-1", "씨발 뭐하는거야")
    plain = await citizen_says(client, "polite-1", "시발역 가는 버스 알려주세요")  # a station, not a curse

    [message] = [m for m in await _messages(client, abusive["conversation_id"], kim) if m["author"] == "citizen"]
    assert message["abuse"] == ["insult"]
    detected = [e for e in await _events(client, abusive["conversation_id"], kim) if e["type"] == "abuse_detected"]
    assert [e["data"] for e in detected] == [{"message_id": message["id"], "categories": ["insult"]}]
    conversation = await _json(client, "GET", f"/api/v1/conversations/{abusive['conversation_id']}", kim, 200)
    assert conversation["abuse"] is True and conversation["warnings"] == 0

    [clean] = [m for m in await _messages(client, plain["conversation_id"], kim) if m["author"] == "citizen"]
    assert clean["abuse"] == []
    assert not [e for e in await _events(client, plain["conversation_id"], kim) if e["type"] == "abuse_detected"]
    assert (await _json(client, "GET", f"/api/v1/conversations/{plain['conversation_id']}", kim, 200))["abuse"] is False


async def test_a_threat_alerts_supervisors_at_once_and_goes_to_a_person(client: TestClient) -> None:
    supervisor, _, _ = await console(client, "jung", available=False)
    agent, _, kim = await console(client, "kim", available=True)

    said = "죽여버리겠다 내 번호 010-1234-5678"
    threat = await citizen_says(client, "angry-1", said)
    conversation_id = threat["conversation_id"]
    alert, _ = await receive_until(supervisor, lambda f: f["type"] == "alert")
    assert alert["kind"] == "threat" and alert["conversation_id"] == conversation_id
    assert alert["text"] == mask(said) != said  # personal numbers masked
    assert alert["message_id"] and alert["at"]

    # The agent's console is offered the conversation at once (never left with the bot), without the alert.
    _, before_offer = await receive_until(agent, has_mine(conversation_id, "offered"))
    assert not [frame for frame in before_offer if frame["type"] == "alert"]
    record = await _json(client, "GET", f"/api/v1/conversations/{conversation_id}", kim, 200)
    assert record["priority"] == 5 and record["state"] == "offered"
    types = [e["type"] for e in await _events(client, conversation_id, kim)]
    assert {"abuse_detected", "priority_set", "handed_off"} <= set(types)

    await citizen_says(client, "sad-1", "너무 힘들어요 죽고 싶어요")
    alert, _ = await receive_until(supervisor, lambda f: f["type"] == "alert")
    assert alert["kind"] == "self_harm"
    await supervisor.close()
    await agent.close()


async def test_the_warning_goes_out_in_the_citizens_language(client: TestClient, hub: Hub) -> None:
    park = await login(client, "park", available=False)
    conversation_id = await _claimed(client, park, "tourist-1", "Can I talk to a person, please?", language="en")

    warned = await _warned(client, conversation_id, park, 1)
    assert warned["warnings"] == 1 and warned["warnings_to_end"] == 3
    assert warned["message"]["text"] == hub.catalog.text("protection.warning", "en")
    assert warned["message"]["translation"] == hub.catalog.text("protection.warning", "ko")
    assert warned["message"]["author"] == "agent" and warned["conversation"]["warnings"] == 1
    [event] = [e for e in await _events(client, conversation_id, park) if e["type"] == "warned"]
    assert event["actor"] == "agent:park" and event["data"]["count"] == 1
    assert warned["message"]["id"] in {m["id"] for m in await _messages(client, conversation_id, park)}


async def test_ending_needs_the_warnings_and_blocks_the_contact(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    conversation_id = await _claimed(client, kim, "rude-2", "씨발 상담사 연결해 주세요")
    end = f"/api/v1/conversations/{conversation_id}/end-under-protocol"

    await _warned(client, conversation_id, kim, 2)
    refused = await _json(client, "POST", end, kim, 409, json={"block_hours": 24, "note": "욕설 반복"})
    assert refused["error"]["code"] == "not_warned_enough"
    await _warned(client, conversation_id, kim, 1)
    too_long = await _json(client, "POST", end, kim, 400, json={"block_hours": 721})
    assert too_long["error"]["code"] == "invalid_block_hours"

    ended = await _json(client, "POST", end, kim, 200, json={"block_hours": 24, "note": "욕설 반복"})
    assert ended["conversation"]["state"] == "resolved" and ended["conversation"]["disposition"] is None
    block = ended["block"]
    assert block["contact_id"] == ended["conversation"]["contact"]["id"] and block["conversation_id"] == conversation_id
    assert block["reason"] == "욕설 반복" and block["actor"] == "agent:kim" and block["lifted_at"] is None
    until = datetime.fromisoformat(block["until"])
    assert timedelta(hours=23) < until - utcnow() <= timedelta(hours=24)
    types = [e["type"] for e in await _events(client, conversation_id, kim)]
    assert types[-3:] == ["ended_under_protocol", "resolved", "contact_blocked"]
    closing = (await _messages(client, conversation_id, kim))[-1]
    assert closing["text"] == hub.catalog.text("protection.ended", "ko")


async def test_the_number_of_warnings_is_the_operators(database_url: str) -> None:
    """With DASAN_PROTECTION_WARNINGS=2 the console is told 2, and two warnings are enough."""
    settings = hub_settings(database_url, protection=ProtectionSettings(warnings_to_end=2))
    async with TestClient(TestServer(hub_app(settings))) as client:
        socket, first, kim = await console(client, "kim", available=False)
        assert (await snapshot_of(socket, first))["warnings_to_end"] == 2
        await socket.close()
        conversation_id = await _claimed(client, kim, "rude-two", "씨발 상담사 연결해 주세요")
        warned = await _warned(client, conversation_id, kim, 2)
        assert warned["warnings"] == 2 and warned["warnings_to_end"] == 2
        end = f"/api/v1/conversations/{conversation_id}/end-under-protocol"
        ended = await _json(client, "POST", end, kim, 200, json={"block_hours": 0, "note": ""})
        assert ended["conversation"]["state"] == "resolved" and ended["block"] is None


async def test_a_blocked_contact_is_stored_not_routed_told_once_and_flows_again_when_lifted(
    client: TestClient, hub: Hub
) -> None:
    kim = await login(client, "kim", available=False)
    jung = await login(client, "jung", available=False)
    conversation_id = await _claimed(client, kim, "rude-3", "상담사 연결해 주세요")
    await _warned(client, conversation_id, kim, 3)
    ended = await _json(client, "POST", f"/api/v1/conversations/{conversation_id}/end-under-protocol", kim, 200,
                        json={"block_hours": 2})  # fmt: skip
    block = ended["block"]

    first = await citizen_says(client, "rude-3", "상담사 연결해 주세요 빨리")
    second = await citizen_says(client, "rude-3", "왜 대답이 없어")
    assert first["conversation_id"] == second["conversation_id"] == conversation_id
    assert first["state"] == second["state"] == "resolved"
    until = datetime.fromisoformat(block["until"]).astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
    notice = hub.catalog.text("protection.blocked", "ko", until=until)
    assert [r["text"] for r in first["replies"]] == [notice] and second["replies"] == []
    texts = [m["text"] for m in await _messages(client, conversation_id, kim)]
    assert texts[-3:] == ["상담사 연결해 주세요 빨리", notice, "왜 대답이 없어"]  # stored, never lost
    types = [e["type"] for e in await _events(client, conversation_id, kim)]
    assert types[-1] == "contact_blocked" and "reopened" not in types

    listed = await _json(client, "GET", "/api/v1/protection/blocks?active=1", jung, 200)
    assert [b["id"] for b in listed["blocks"]] == [block["id"]]
    lift = f"/api/v1/protection/blocks/{block['id']}/lift"
    await _json(client, "POST", lift, kim, 403, json={"reason": "민원인 사과"})
    lifted = await _json(client, "POST", lift, jung, 200, json={"reason": "민원인 사과"})
    assert lifted["lifted_by"] == "agent:jung" and lifted["lifted_at"] is not None
    again = await _json(client, "POST", lift, jung, 409, json={"reason": "민원인 사과"})
    assert again["error"]["code"] == "conflict"
    async with hub.store.read() as session:
        [entry] = await audit.entries(session, target=f"contact:{block['contact_id']}")
    assert entry.action is AuditAction.BLOCK_LIFTED and entry.actor == "agent:jung"
    assert entry.detail == {"block_id": block["id"], "reason": "민원인 사과"}
    [event] = [e for e in await _events(client, conversation_id, jung) if e["type"] == "block_lifted"]
    assert event["data"] == {"block_id": block["id"], "reason": "민원인 사과"}
    assert (await _json(client, "GET", "/api/v1/protection/blocks?active=1", jung, 200))["blocks"] == []

    flowing = await citizen_says(client, "rude-3", "상담사 연결해 주세요")
    assert flowing["state"] == "queued" and notice not in [r["text"] for r in flowing["replies"]]


async def test_a_block_runs_out_by_itself(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    jung = await login(client, "jung", available=False)
    conversation_id = await _claimed(client, kim, "rude-4", "상담사 연결해 주세요")
    await _warned(client, conversation_id, kim, 3)
    ended = await _json(client, "POST", f"/api/v1/conversations/{conversation_id}/end-under-protocol", kim, 200,
                        json={"block_hours": 1})  # fmt: skip
    assert (await citizen_says(client, "rude-4", "여보세요"))["state"] == "resolved"
    async with hub.store.write() as session:
        await session.execute(
            update(ContactBlockRow)
            .where(ContactBlockRow.id == ended["block"]["id"])
            .values(until=utcnow() - timedelta(seconds=1))
        )

    assert (await _json(client, "GET", "/api/v1/protection/blocks?active=1", jung, 200))["blocks"] == []
    assert len((await _json(client, "GET", "/api/v1/protection/blocks", jung, 200))["blocks"]) == 1
    assert (await citizen_says(client, "rude-4", "상담사 연결해 주세요"))["state"] == "queued"
    ran_out = await _json(client, "POST", f"/api/v1/protection/blocks/{ended['block']['id']}/lift", jung, 409,
                          json={"reason": "늦은 이의"})  # fmt: skip
    assert ran_out["error"]["code"] == "conflict"


async def test_the_months_incidents_against_the_ceiling(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    jung = await login(client, "jung", available=False)
    detected = await citizen_says(client, "rude-5", "씨발 뭐하는거야")
    warned = await _claimed(client, kim, "rude-6", "상담사 연결해 주세요")
    await _warned(client, warned, kim, 2)
    await citizen_says(client, "polite-2", "따릉이 대여 방법 알려주세요")

    month = utcnow().astimezone(SEOUL).strftime("%Y-%m")
    found = await _json(client, "GET", f"/api/v1/protection/incidents?month={month}", jung, 200)
    assert found["month"] == month and found["count"] == 2 and found["ceiling"] == 60
    by_id = {incident["conversation_id"]: incident for incident in found["incidents"]}
    assert set(by_id) == {detected["conversation_id"], warned}
    assert by_id[detected["conversation_id"]]["categories"] == ["insult"]
    assert by_id[detected["conversation_id"]]["channel"] == "api"
    assert [s["type"] for s in by_id[warned]["steps"]] == ["warned", "warned"]
    assert by_id[warned]["agent"] == "kim" and by_id[warned]["steps"][0]["actor"] == "agent:kim"

    empty = await _json(client, "GET", "/api/v1/protection/incidents?month=2020-01", jung, 200)
    assert empty == {"month": "2020-01", "count": 0, "ceiling": 60, "incidents": []}
    wrong = await _json(client, "GET", "/api/v1/protection/incidents?month=2026-13", jung, 400)
    assert wrong["error"]["code"] == "invalid_month"
    await _json(client, "GET", f"/api/v1/protection/incidents?month={month}", kim, 403)
    await _json(client, "GET", "/api/v1/protection/blocks", kim, 403)


async def test_who_may_warn_and_end(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    lee = await login(client, "lee", available=False)
    editor = await login(client, "han", available=False)
    admin = await login(client, "admin", available=False)
    jung = await login(client, "jung", available=False)
    conversation_id = await _claimed(client, kim, "rude-7", "상담사 연결해 주세요")
    warn = f"/api/v1/conversations/{conversation_id}/warn"
    end = f"/api/v1/conversations/{conversation_id}/end-under-protocol"

    await _json(client, "POST", warn, editor, 403)
    await _json(client, "POST", warn, lee, 403)  # another agent's conversation
    await _json(client, "POST", warn, jung, 201, json={})
    await _json(client, "POST", warn, admin, 201)
    await _json(client, "POST", warn, kim, 201)
    await _json(client, "POST", end, lee, 403, json={})
    await _json(client, "POST", end, editor, 403, json={})
    await _json(client, "POST", "/api/v1/conversations/nothing-here/warn", kim, 404)
    ended = await _json(client, "POST", end, jung, 200, json={})
    assert ended["block"] is None
    await _json(client, "POST", warn, kim, 409)  # resolved: no one to warn


async def test_the_report_counts_each_incident_once_and_no_protocol_end_as_a_resolution(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    jung = await login(client, "jung", available=False)
    await citizen_says(client, "rude-8", "씨발 뭐하는거야")  # detected only
    ended = await _claimed(client, kim, "rude-9", "씨발 상담사 연결해 주세요")
    await _json(client, "POST", f"/api/v1/conversations/{ended}/flag", kim, 200, json={"reason": "욕설"})
    await _warned(client, ended, kim, 3)
    await _json(client, "POST", f"/api/v1/conversations/{ended}/end-under-protocol", kim, 200, json={"block_hours": 1})
    answered = await _claimed(client, kim, "polite-3", "수도요금 상담사 연결해 주세요")
    await _json(client, "POST", f"/api/v1/conversations/{answered}/resolve", kim, 200, json={"disposition": "resolved"})

    today = datetime.now(SEOUL).date().isoformat()
    summary = await _json(client, "GET", "/api/v1/stats/summary", jung, 200, params={"from": today, "to": today})
    assert summary["abuse_incidents"] == 2  # two conversations, however many steps each
    assert sum(summary["dispositions"].values()) == 1 and summary["first_contact_resolution"] == 1.0
