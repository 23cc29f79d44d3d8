"""The store itself: migrations and the constraints that keep data whole, on both engines."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from model import Article, Author, Channel, ConversationState, Direction, MessageStatus
from store import contacts, conversations
from store import knowledge as articles
from store.db import Store
from store.migrate import upgrade


async def test_migrations_build_the_schema_and_run_twice(empty_database_url: str) -> None:
    store = Store(empty_database_url)
    await store.migrate()
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
    await store.close()


async def test_a_provider_message_id_is_unique_per_channel_and_sender(store: Store) -> None:
    now = datetime.now(timezone.utc)
    async with store.write() as session:
        contact_id = await contacts.ensure_contact(session, "sms", "+821012345678", "시민", now)
        conversation = await conversations.create_conversation(
            session, contact_id, Channel.SMS, "+821012345678", ConversationState.BOT, now
        )
    fields = dict(language="ko", status=MessageStatus.RECEIVED, provider_message_id="SM123")
    citizen = (conversation, Direction.IN, Author.CITIZEN, "안녕하세요", now)
    async with store.write() as session:
        await conversations.add_message(session, *citizen, **fields)
    with pytest.raises(IntegrityError):
        async with store.write() as session:
            await conversations.add_message(session, *citizen, **fields)
    # Outbound messages carry no provider id: many may exist.
    async with store.write() as session:
        for _ in range(2):
            await conversations.add_message(session, conversation, Direction.OUT, Author.BOT, "네", now,
                                            status=MessageStatus.QUEUED)  # fmt: skip
    async with store.read() as session:
        assert len(await conversations.messages(session, conversation.id)) == 3


async def test_times_come_back_aware_in_utc(store: Store) -> None:
    now = datetime.now(timezone.utc)
    async with store.write() as session:
        contact_id = await contacts.ensure_contact(session, "api", "x", "시민", now)
    async with store.read() as session:
        found = await contacts.contact(session, contact_id)
        latest = await conversations.latest_conversation(session, Channel.API, "x")
    assert latest is None and found.identities[0].external_id == "x"
    async with store.write() as session:
        with pytest.raises(Exception, match="naive"):
            await contacts.ensure_contact(session, "api", "y", "시민", datetime.now())


async def test_articles_keep_their_text_when_variants_per_language_arrive(empty_database_url: str) -> None:
    store = Store(empty_database_url)
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
    async with store.read() as session:
        # The workflow arrived later: what was stored before is a published first revision.
        entry = await articles.entry(session, "water-001")
        assert entry is not None and (entry.state, entry.published, entry.created_by) == ("published", 1, "system")
    english = Article("water-001", "water", "Checking your water bill", "On the Arisu site.", (), "en")
    published = articles.ArticleStore(store)
    await published.upsert([english], datetime.now(timezone.utc))
    korean = await published.article("water-001", "ko")
    assert korean is not None and korean.title == "수도요금 조회"
    assert await published.article("water-001", "en") == english
    assert await published.languages("water-001") == ["en", "ko"]
    async with store.read() as session:
        assert [event.action for event in await articles.history(session, "water-001")] == ["imported", "imported"]
    await store.close()
