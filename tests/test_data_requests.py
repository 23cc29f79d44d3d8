"""A citizen's request to see or delete their data (PIPA 열람·삭제 요구), served by a supervisor:
the export holds everything unmasked, the erasure leaves no trace of the citizen and no hole
in the figures, and both are audited."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from channels.registry import configured
from hub.core import HUB, Hub
from model import Channel
from model.audit import AuditAction
from sign_video.media import MediaSettings
from sign_video.settings import Settings as VideoSettings
from store import audit
from store import retention as retention_store
from store.retention import ANONYMOUS_NAME, ERASED_TEXT
from store.tables import ContactRow, MessageRow
from tests.conftest import citizen_says, hub_app, hub_settings, login
from tests.personal_data import (
    ATTACHMENT,
    COMMENT,
    FIRST_TEXT,
    NAME,
    PHONE,
    SPOKEN_PHONE,
    Citizen,
    served_citizen,
    texts_holding,
)
from tests.test_retention import figures


@pytest.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[TestClient]:
    """The hub with the video channel recording under tmp_path/recordings."""
    video = VideoSettings(MediaSettings(recordings=tmp_path / "recordings"), retention=timedelta(days=90))
    channels = configured({}, "http://127.0.0.1:8080", {Channel.SIGN_VIDEO: video}, ("sign_video",))
    async with TestClient(TestServer(hub_app(hub_settings(database_url, channels=tuple(channels))))) as test_client:
        yield test_client


@pytest.fixture
def hub(client: TestClient) -> Hub:
    return client.app[HUB]


async def citizen(client: TestClient, hub: Hub, tmp_path: Path) -> Citizen:
    return await served_citizen(client, hub, await login(client, "kim"), PHONE, tmp_path / "recordings")


async def test_only_supervisors_and_admins_serve_data_requests(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    served = await citizen(client, hub, tmp_path)
    export = f"/api/v1/contacts/{served.contact_id}/data"
    erase = f"/api/v1/contacts/{served.contact_id}/erase"
    body = {"reason": "민원인 전화 요청", "confirm": served.contact_id}
    client.session.cookie_jar.clear()  # the logins' session cookies
    assert (await client.get(export)).status == 401
    assert (await client.post(erase, json=body)).status == 401
    for username in ("kim", "han"):  # an agent, an editor
        headers = await login(client, username, available=False)
        assert (await client.get(export, headers=headers)).status == 403
        assert (await client.post(erase, json=body, headers=headers)).status == 403
    for username in ("jung", "admin"):
        assert (await client.get(export, headers=await login(client, username, available=False))).status == 200
    async with hub.store.read() as session:
        assert await audit.entries(session, action=AuditAction.DATA_ERASED) == []
        assert len(await audit.entries(session, action=AuditAction.DATA_EXPORTED)) == 2


async def test_the_export_holds_the_citizens_own_data_unmasked(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    served = await citizen(client, hub, tmp_path)
    supervisor = await login(client, "jung", available=False)
    response = await client.get(f"/api/v1/contacts/{served.contact_id}/data", headers=supervisor)
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(await response.read())
    assert data["contact"]["display_name"] == NAME and data["contact"]["phone"] == PHONE
    assert data["contact"]["identities"] == [{"channel": "api", "external_id": PHONE}]
    (conversation,) = data["conversations"]
    texts = [message["text"] for message in conversation["messages"]]
    assert FIRST_TEXT in texts and COMMENT in texts  # unmasked: the phone number is whole
    assert SPOKEN_PHONE in FIRST_TEXT
    assert any(event["type"] == "resolved" for event in conversation["events"])
    assert {"score": 5} | {"conversation_id": served.conversation_id} in [
        {k: v for k, v in answer.items() if k != "at"} for answer in data["survey_answers"]
    ]
    assert any(answer.get("comment") == COMMENT for answer in data["survey_answers"])
    assert [a["url"] for a in data["attachments"]] == [ATTACHMENT["url"]]
    assert served.recording is not None
    assert [r["name"] for r in data["recordings"]] == [served.recording.name]

    zipped = await client.get(
        f"/api/v1/contacts/{served.contact_id}/data", params={"format": "zip"}, headers=supervisor
    )
    assert zipped.status == 200 and zipped.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(await zipped.read())) as archive:
        assert sorted(archive.namelist()) == ["data.json", f"recordings/{served.recording.name}"]
        assert archive.read(f"recordings/{served.recording.name}") == served.recording.read_bytes()
        assert json.loads(archive.read("data.json"))["contact"]["phone"] == PHONE

    unknown = await client.get("/api/v1/contacts/nobody/data", headers=supervisor)
    assert unknown.status == 404
    bad = await client.get(f"/api/v1/contacts/{served.contact_id}/data", params={"format": "pdf"}, headers=supervisor)
    assert bad.status == 400 and "format" in (await bad.json())["error"]["message"]
    async with hub.store.read() as session:
        entries = await audit.entries(session, action=AuditAction.DATA_EXPORTED)
    assert [(e.actor, e.target, e.detail["format"]) for e in entries] == [
        ("agent:jung", f"contact:{served.contact_id}", "zip"),
        ("agent:jung", f"contact:{served.contact_id}", "json"),
    ]


async def test_erasure_leaves_no_trace_of_the_citizen_and_the_figures_whole(
    client: TestClient, hub: Hub, tmp_path: Path
) -> None:
    served = await citizen(client, hub, tmp_path)
    supervisor = await login(client, "jung", available=False)
    before = await figures(client, supervisor)
    erase = f"/api/v1/contacts/{served.contact_id}/erase"

    slip = await client.post(erase, json={"reason": "본인 요청", "confirm": "someone-else"}, headers=supervisor)
    assert slip.status == 400 and "confirm" in (await slip.json())["error"]["message"]
    assert (
        await client.post(erase, json={"reason": " ", "confirm": served.contact_id}, headers=supervisor)
    ).status == 400
    assert (await client.post(erase, json={"confirm": served.contact_id}, headers=supervisor)).status == 400
    assert (await client.post("/api/v1/contacts/nobody/erase", json={"reason": "x", "confirm": "nobody"},
                              headers=supervisor)).status == 404  # fmt: skip

    response = await client.post(erase, json={"reason": "2026-12-01 전화로 삭제 요구", "confirm": served.contact_id},
                                 headers=supervisor)  # fmt: skip
    assert response.status == 200, await response.text()
    erased = (await response.json())["erased"]
    assert erased["conversations"] == 1 and erased["contacts"] == 1 and erased["recordings"] == 1
    assert erased["attachments"] == 1 and erased["translations"] == 1 and erased["messages"] >= 5
    assert served.recording is not None and not served.recording.exists()
    async with hub.store.read() as session:
        assert await texts_holding(session, (NAME, SPOKEN_PHONE, PHONE, COMMENT, FIRST_TEXT)) == []
        contact = await session.get(ContactRow, served.contact_id)
        assert contact is not None and contact.display_name == ANONYMOUS_NAME
        texts = set(
            await session.scalars(select(MessageRow.text).where(MessageRow.conversation_id == served.conversation_id))
        )
        assert texts == {ERASED_TEXT}
        (entry,) = await audit.entries(session, action=AuditAction.DATA_ERASED)
    assert (entry.actor, entry.target) == ("agent:jung", f"contact:{served.contact_id}")
    assert entry.detail["reason"] == "2026-12-01 전화로 삭제 요구" and entry.detail["messages"] == erased["messages"]
    assert await figures(client, supervisor) == before

    # The citizen who writes again is a new contact: nothing links them to what was erased.
    again = await citizen_says(client, PHONE, "안녕하세요")
    detail = await client.get(f"/api/v1/conversations/{again['conversation_id']}", headers=supervisor)
    assert (await detail.json())["contact"]["id"] != served.contact_id


async def test_erasure_is_refused_while_a_conversation_is_open(client: TestClient, hub: Hub) -> None:
    supervisor = await login(client, "jung", available=False)
    waiting = await citizen_says(client, PHONE, "수도요금 상담사 연결해 주세요")
    detail = await client.get(f"/api/v1/conversations/{waiting['conversation_id']}", headers=supervisor)
    contact_id = (await detail.json())["contact"]["id"]
    refused = await client.post(f"/api/v1/contacts/{contact_id}/erase", json={"reason": "요청", "confirm": contact_id},
                                headers=supervisor)  # fmt: skip
    assert refused.status == 409
    assert waiting["conversation_id"] in (await refused.json())["error"]["message"]
    async with hub.store.read() as session:
        assert "수도요금 상담사 연결해 주세요" in set(await session.scalars(select(MessageRow.text)))
        assert await audit.entries(session, action=AuditAction.DATA_ERASED) == []


async def test_an_erasure_that_fails_midway_leaves_everything_as_it_was(
    client: TestClient, hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = await citizen(client, hub, tmp_path)
    supervisor = await login(client, "jung", available=False)

    async def broken(*args: object) -> int:
        raise RuntimeError("the database went away")

    # After the texts and the contact are anonymised within the transaction, before the commit.
    monkeypatch.setattr(retention_store, "forget_translations_of", broken)
    failed = await client.post(f"/api/v1/contacts/{served.contact_id}/erase",
                               json={"reason": "요청", "confirm": served.contact_id}, headers=supervisor)  # fmt: skip
    assert failed.status == 500
    assert served.recording is not None and served.recording.exists()
    async with hub.store.read() as session:
        contact = await session.get(ContactRow, served.contact_id)
        assert contact is not None and contact.display_name == NAME and contact.phone == PHONE
        assert FIRST_TEXT in set(await session.scalars(select(MessageRow.text)))
        assert await audit.entries(session, action=AuditAction.DATA_ERASED) == []


async def test_a_handover_to_a_department_is_exported_and_erased_with_the_contact(client: TestClient, hub: Hub) -> None:
    kim, supervisor = await login(client, "kim"), await login(client, "jung", available=False)
    conversation_id = (await citizen_says(client, PHONE, FIRST_TEXT))["conversation_id"]
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)).status == 200
    department = (await (await client.get("/api/v1/departments", headers=kim)).json())["departments"][0]
    handover = await client.post(f"/api/v1/conversations/{conversation_id}/handover", headers=kim,
                                 json={"department": department["id"], "need": f"{NAME}님 분실물 확인"})  # fmt: skip
    assert handover.status == 201, await handover.text()
    handover_id = (await handover.json())["handover"]["id"]
    answered = await client.post(f"/api/v1/handovers/{handover_id}/answer", headers=kim,
                                 json={"text": f"{NAME}님께 {SPOKEN_PHONE}로 연락함"})  # fmt: skip
    assert answered.status in (200, 201), await answered.text()
    contact_id = (await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=supervisor)).json())[
        "contact"
    ]["id"]

    data = json.loads(await (await client.get(f"/api/v1/contacts/{contact_id}/data", headers=supervisor)).read())
    (held,) = data["handovers"]
    assert (held["department"], held["need"], held["answer"]) == (
        department["name"],
        f"{NAME}님 분실물 확인",
        f"{NAME}님께 {SPOKEN_PHONE}로 연락함",
    )

    erase = await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=supervisor,
                              json={"reason": "본인 요청", "confirm": contact_id})  # fmt: skip
    assert erase.status == 200, await erase.text()
    async with hub.store.read() as session:
        assert await texts_holding(session, (NAME, SPOKEN_PHONE)) == []
