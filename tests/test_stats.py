"""The supervisor's figures: `stats/summary` and the live overview, from the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from hub.core import Hub
from model import Channel
from store.stats import percentile
from store.tables import EventRow
from tests.conftest import citizen_says, login

SEOUL = ZoneInfo("Asia/Seoul")


async def _handed_to_kim(client: TestClient, kim: dict[str, str], sender: str, text: str) -> str:
    answer = await citizen_says(client, sender, text)
    assert answer["state"] == "queued"
    claimed = await client.post(f"/api/v1/conversations/{answer['conversation_id']}/claim", headers=kim)
    assert claimed.status == 200
    return answer["conversation_id"]


async def _set_wait(hub: Hub, conversation_id: str, seconds: float) -> None:
    """Move the agent's acceptance to `seconds` after the conversation was queued: the figures
    read the wait from the events."""
    async with hub.store.write() as session:
        of_conversation = select(EventRow).where(EventRow.conversation_id == conversation_id).order_by(EventRow.id)
        events = list(await session.scalars(of_conversation))
        queued = next(e for e in events if e.type == "queued")
        accepted = next(e for e in events if e.type == "accepted")
        accepted.at = queued.at + timedelta(seconds=seconds)


async def test_summary_figures(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    supervisor = await login(client, "jung", available=False)
    await citizen_says(client, "bot-only", "따릉이 대여 방법 알려주세요")
    first = await _handed_to_kim(client, kim, "p1", "버스 분실물 상담사 연결해 주세요")
    second = await _handed_to_kim(client, kim, "p2", "수도요금 상담사 연결해 주세요")
    park = await login(client, "park", available=False)  # the foreign-language queue is not kim's
    third = await _handed_to_kim(client, park, "p3", "Can I talk to a person about my passport?")
    abandoned = await citizen_says(client, "p4", "여권 상담사 연결해 주세요")
    await hub.citizen_left(Channel.API, "p4")
    await _set_wait(hub, first, 10)
    await _set_wait(hub, second, 30)
    await _set_wait(hub, third, 90)
    for conversation_id, disposition, agent in ((first, "resolved", kim), (second, "directory", kim),
                                                (third, "resolved", park)):  # fmt: skip
        response = await client.post(
            f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": disposition}, headers=agent
        )
        assert response.status == 200
    flagged = await client.post(
        f"/api/v1/conversations/{second}/flag", json={"reason": "욕설 반복", "action": "warned"}, headers=kim
    )
    assert flagged.status == 200

    today = datetime.now(SEOUL).date().isoformat()
    response = await client.get("/api/v1/stats/summary", params={"from": today, "to": today}, headers=supervisor)
    assert response.status == 200
    summary = await response.json()
    assert summary["contacts"] == 5
    assert summary["by_channel"] == {"api": 5}
    assert summary["by_category"]["transport"] == 2 and summary["by_category"]["water"] == 1
    assert summary["by_category"]["district"] == 2
    assert summary["by_language"] == {"ko": 4, "en": 1}
    assert summary["dispositions"] == {"resolved": 2, "directory": 1, "connected": 0, "transferred": 0, "callback": 0}
    assert summary["first_contact_resolution"] == round(2 / 3, 4)
    assert summary["abuse_incidents"] == 1
    # Three answered (10 s, 30 s, 90 s) and one abandoned; the SLA is 60 s.
    assert summary["answer_rate"] == 0.75
    assert summary["service_level"] == 0.5
    assert summary["wait_seconds"] == {"p50": 30.0, "p90": 90.0}
    assert abandoned["conversation_id"]

    yesterday = (datetime.now(SEOUL).date() - timedelta(days=1)).isoformat()
    empty = await (
        await client.get("/api/v1/stats/summary", params={"from": yesterday, "to": yesterday}, headers=supervisor)
    ).json()
    assert empty["contacts"] == 0 and empty["first_contact_resolution"] == 0.0

    overview = await (await client.get("/api/v1/supervisor/overview", headers=supervisor)).json()
    assert overview["today"] == {"resolved": 3, "first_contact_resolution": round(2 / 3, 4)}
    assert overview["agents_by_state"]["offline"] >= 5


async def test_a_reopened_conversation_keeps_its_first_rounds_wait_and_disposition(
    client: TestClient, hub: Hub
) -> None:
    kim = await login(client, "kim", available=False)
    supervisor = await login(client, "jung", available=False)
    first = await _handed_to_kim(client, kim, "again", "버스 분실물 상담사 연결해 주세요")
    await _set_wait(hub, first, 12)
    resolved = await client.post(
        f"/api/v1/conversations/{first}/resolve", json={"disposition": "resolved"}, headers=kim
    )
    assert resolved.status == 200
    # The citizen writes again within the reopen window: the same conversation waits for a person again.
    again = await citizen_says(client, "again", "버스 분실물 하나 더 여쭤볼게요. 상담사 연결해 주세요")
    assert again["conversation_id"] == first and again["state"] == "queued"

    today = datetime.now(SEOUL).date().isoformat()
    response = await client.get("/api/v1/stats/summary", params={"from": today, "to": today}, headers=supervisor)
    summary = await response.json()
    # Two contacts: the first one answered after 12 s and resolved, the second one still waiting.
    assert summary["contacts"] == 2
    assert summary["dispositions"]["resolved"] == 1 and summary["first_contact_resolution"] == 1.0
    assert summary["wait_seconds"]["p50"] == 12.0
    assert summary["answer_rate"] == 1.0 and summary["service_level"] == 1.0


async def test_bad_ranges_are_refused(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    bad = await client.get("/api/v1/stats/summary", params={"from": "2018-13-01"}, headers=supervisor)
    assert bad.status == 400 and "from" in (await bad.json())["error"]["message"]
    backwards = await client.get(
        "/api/v1/stats/summary", params={"from": "2018-07-02", "to": "2018-07-01"}, headers=supervisor
    )
    assert backwards.status == 400
    # The calendar's last day has no next day to end it; the translation usage shares the range.
    for path in ("/api/v1/stats/summary", "/api/v1/translation/usage"):
        edge = await client.get(path, params={"from": "2018-07-01", "to": "9999-12-31"}, headers=supervisor)
        assert edge.status == 400 and "'to'" in (await edge.json())["error"]["message"]


async def test_waiting_queue_figures(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    await citizen_says(client, "w1", "버스 상담사 연결해 주세요")
    await citizen_says(client, "w2", "지하철 상담사 연결해 주세요")
    queues = {q["name"]: q for q in (await (await client.get("/api/v1/queues", headers=supervisor)).json())["queues"]}
    assert queues["transport"]["waiting"] == 2 and queues["transport"]["longest_wait_seconds"] >= 0
    assert queues["water"]["waiting"] == 0
    assert set(queues) == {
        "transport",
        "water",
        "city",
        "district",
        "other",
        "foreign_language",
        "sign_language",
        "night",
    }


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile(list(map(float, range(1, 11))), 0.9) == 9.0
