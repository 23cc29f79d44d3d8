"""The store itself: migrations and the constraints that keep data whole, on both engines."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from model import Article
from store import conversations
from store import knowledge as articles
from store.db import Store
from store.migrate import upgrade
from store.tables import MessageRow


async def test_migrations_build_the_schema_and_run_twice(store: Store) -> None:
    await store.migrate()
    async with store.read() as session:
        tables = await session.run_sync(lambda s: set(inspect(s.connection()).get_table_names()))
    assert {
        "contacts",
        "channel_identities",
        "conversations",
        "messages",
        "events",
        "agents",
        "auth_tokens",
        "queues",
        "kb_articles",
        "alembic_version",
    } <= tables


async def test_a_provider_message_id_is_unique_per_channel_and_sender(store: Store) -> None:
    now = datetime.now(timezone.utc)
    async with store.write() as session:
        contact = await conversations.ensure_contact(session, "sms", "+821012345678", "시민", now)
        row = conversations.create_conversation(session, contact.id, "sms", "+821012345678", now)
        await session.flush()
        conversation_id = row.id
    fields = dict(
        conversation_id=conversation_id,
        channel="sms",
        sender="+821012345678",
        provider_message_id="SM123",
        direction="in",
        author="citizen",
        text="안녕하세요",
        language="ko",
        status="received",
        created_at=now,
    )
    async with store.write() as session:
        await conversations.add_message(session, **fields)
    with pytest.raises(IntegrityError):
        async with store.write() as session:
            await conversations.add_message(session, **fields)
    # Outbound messages carry no provider id: many may exist.
    async with store.write() as session:
        for _ in range(2):
            await conversations.add_message(session, **{**fields, "provider_message_id": None, "direction": "out"})
    async with store.read() as session:
        count = len(list(await session.scalars(select(MessageRow.id))))
    assert count == 3


async def test_times_come_back_aware_in_utc(store: Store) -> None:
    now = datetime.now(timezone.utc)
    async with store.write() as session:
        contact = await conversations.ensure_contact(session, "api", "x", "시민", now)
    async with store.read() as session:
        found = await conversations.contact(session, contact.id)
        row = await conversations.latest_conversation(session, "api", "x")
    assert row is None and found.identities[0].external_id == "x"
    async with store.write() as session:
        with pytest.raises(Exception, match="naive"):
            await conversations.ensure_contact(session, "api", "y", "시민", datetime.now())


async def test_articles_keep_their_text_when_variants_per_language_arrive(database_url: str) -> None:
    store = Store(database_url)
    await upgrade(store.write_engine, "0002")  # a hub from before language variants
    async with store.write() as session:
        await session.execute(
            text(
                "INSERT INTO kb_articles (id, category, title, body, keywords, language, updated_at) "
                "VALUES ('water-001', 'water', '수도요금 조회', '아리수 누리집에서', '[]', 'ko', :now)"
            ),
            {"now": datetime.now(timezone.utc)},
        )
    await store.migrate()
    english = Article("water-001", "water", "Checking your water bill", "On the Arisu site.", (), "en")
    async with store.write() as session:
        await articles.upsert(session, [english], datetime.now(timezone.utc))
    async with store.read() as session:
        korean = await articles.article(session, "water-001", "ko")
        assert korean is not None and korean.title == "수도요금 조회"
        assert await articles.article(session, "water-001", "en") == english
        assert await articles.languages(session, "water-001") == ["en", "ko"]
    await store.close()
