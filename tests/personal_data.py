"""A citizen whose personal data is everywhere the hub keeps it, for the retention and data
request tests: a served and resolved conversation with a phone number and a name in its
texts, a survey comment, an attachment, a cached translation and a call recording."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import JSON, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from model.clock import utcnow
from store.tables import Base, ContactRow, ConversationRow, MessageRow, TranslationRow
from tests.conftest import citizen_says

NAME = "김철수"
PHONE = "+821098765432"
SPOKEN_PHONE = "010-9876-5432"
FIRST_TEXT = f"버스 분실물 상담사 연결해 주세요. 저는 {NAME}이고 번호는 {SPOKEN_PHONE}입니다"
COMMENT = f"{NAME}입니다, 친절했어요"
ATTACHMENT = {
    "kind": "image",
    "url": "https://media.provider.example/kim-bus.jpg",
    "content_type": "image/jpeg",
    "data": {},
}


@dataclass(frozen=True)
class Citizen:
    contact_id: str
    conversation_id: str
    recording: Path | None


def recording_name(conversation_id: str, at: datetime) -> str:
    """As the video channel names a recording: <conversation>-<UTC start, microseconds>.webm."""
    return f"{conversation_id}-{at.strftime('%Y%m%dT%H%M%S%fZ')}.webm"


async def served_citizen(
    client: TestClient, hub: Hub, agent: dict[str, str], sender: str, recordings: Path | None = None
) -> Citizen:
    """A citizen served by `agent` and resolved, rated with a comment, with their personal data
    in every place the hub keeps it."""
    answer = await citizen_says(client, sender, FIRST_TEXT)
    conversation_id = answer["conversation_id"]
    assert answer["state"] == "queued", answer
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=agent)).status == 200
    reply = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"text": f"{NAME}님, 확인해 드리겠습니다"},
        headers=agent,
    )
    assert reply.status in (200, 201), await reply.text()
    resolved = await client.post(
        f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "resolved"}, headers=agent
    )
    assert resolved.status == 200, await resolved.text()
    await citizen_says(client, sender, "5")
    await citizen_says(client, sender, COMMENT)
    now = utcnow()
    async with hub.store.write() as session:
        row = await session.get(ConversationRow, conversation_id)
        assert row is not None and row.state == "resolved"
        await session.execute(
            update(ContactRow).where(ContactRow.id == row.contact_id).values(display_name=NAME, phone=PHONE)
        )
        first = await session.scalar(
            select(MessageRow).where(MessageRow.conversation_id == conversation_id).order_by(MessageRow.id).limit(1)
        )
        assert first is not None and first.text == FIRST_TEXT
        first.attachments = [ATTACHMENT]
        digest = hashlib.sha256(FIRST_TEXT.encode()).hexdigest()
        if await session.scalar(select(TranslationRow.id).where(TranslationRow.digest == digest)) is None:
            session.add(TranslationRow(source="ko", target="en", digest=digest, engine="test",
                                       translated=f"I am {NAME}, {SPOKEN_PHONE}", created_at=now))  # fmt: skip
        contact_id = row.contact_id
    recording = None
    if recordings is not None:
        recordings.mkdir(parents=True, exist_ok=True)
        recording = recordings / recording_name(conversation_id, now)
        recording.write_bytes(b"\x1aE\xdf\xa3 a call")
    return Citizen(contact_id, conversation_id, recording)


async def texts_holding(session: AsyncSession, needles: tuple[str, ...]) -> list[tuple[str, str, Any]]:
    """Every (table, column, value) of any text or JSON column in the database that holds one of `needles`."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        if not columns:
            continue
        for row in (await session.execute(select(*columns))).all():
            for column, value in zip(columns, row, strict=True):
                if value is not None and any(needle in str(value) for needle in needles):
                    found.append((table.name, column.name, value))
    return found
