"""Personal data that is no longer needed, anonymised in place (PIPA): the texts, senders and
attachments of resolved conversations, the contacts behind them, and the translation cache.

Rows are kept, not deleted: the reports read conversations and events (`store.reports`), so
a conversation keeps its channel, times, queue, agent and disposition and every event its
type, actor, time and the values the figures read (`model.rounds.VALUE_KEYS`); only what
names or quotes the citizen is replaced. `erasures` records which conversations are done.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from model import ConversationState, Direction, EventType, MessageStatus
from model.masking import mask
from store.tables import (
    CallbackTaskRow,
    ChannelIdentityRow,
    ContactBlockRow,
    ContactRow,
    ConversationRow,
    ErasureRow,
    EventRow,
    HandoverRow,
    MessageRow,
    QuestionRow,
    TranslationRow,
)

EXPIRED_TEXT = "[보존기간 경과로 삭제됨]"
"""What an anonymised text reads once its retention period has passed."""
ERASED_TEXT = "[정보주체 요청으로 삭제됨]"
"""What an erased text reads after the citizen asked for their data to be deleted."""
ANONYMOUS_NAME = "(익명)"
"""An anonymised contact's display name."""
PSEUDONYM_PREFIX = "erased-"

PERSONAL_EVENT_KEYS: dict[str, tuple[str, ...]] = {
    EventType.HANDED_OFF: ("summary",),
    EventType.REPORT_FILED: ("report_type", "location", "time", "details"),
    EventType.SURVEY_ANSWERED: ("comment",),
    EventType.FLAGGED: ("reason", "action"),
    EventType.CONTACT_BLOCKED: ("reason",),
    EventType.BLOCK_LIFTED: ("reason",),
    EventType.ENDED_UNDER_PROTOCOL: ("reason",),
    EventType.HANDOVER_ANSWERED: ("answer",),
}
"""The free texts in events that may quote or name the citizen (the bot's summary, a filed
report, a survey comment, an agent's reason, a department's answer); no figure reads them."""

_PENDING = (MessageStatus.QUEUED.value, MessageStatus.HELD.value)


@dataclass
class Tally:
    """What was (or, in a dry run, would be) anonymised or deleted, per kind."""

    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    """Attachments removed from messages (the provider's address, a location's coordinates…)."""
    questions: int = 0
    """Questions kept for editors (kb_questions) whose text was replaced."""
    contacts: int = 0
    translations: int = 0
    """Cached machine translations deleted."""
    recordings: int = 0
    """Recording files deleted (counted by the caller, which owns the files)."""

    def add(self, other: Tally) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def to_json(self) -> dict[str, int]:
        return asdict(self)


def pseudonym() -> str:
    """A sender or channel identity no provider ever sends: nobody can write as it again."""
    return PSEUDONYM_PREFIX + secrets.token_hex(12)


def _old(conversation: Any, cutoff: datetime) -> Any:
    return and_(conversation.state == ConversationState.RESOLVED.value, conversation.resolved_at < cutoff)


def _done(conversation: Any, column: Any) -> Any:
    return exists().where(ErasureRow.conversation_id == conversation.id, column.is_not(None))


def _due_texts(conversation: Any, cutoff: datetime) -> Any:
    return and_(_old(conversation, cutoff), ~_done(conversation, ErasureRow.texts_at))


def _due_attachments(conversation: Any, cutoff: datetime) -> Any:
    return and_(_old(conversation, cutoff), ~_done(conversation, ErasureRow.attachments_at))


# -- finding what is due ----------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A batch of conversations due, and where the next batch starts (keyset: resolved_at, id)."""

    ids: list[str]
    after: tuple[datetime, str] | None


async def due(
    session: AsyncSession, cutoff: datetime, texts: bool, limit: int, after: tuple[datetime, str] | None = None
) -> Due:
    """Up to `limit` conversations resolved before `cutoff` whose texts (or only attachments)
    are still whole, oldest first, locked until the commit (one another change holds now, a
    message arriving, is left for the next run)."""
    condition = _due_texts(ConversationRow, cutoff) if texts else _due_attachments(ConversationRow, cutoff)
    query = select(ConversationRow.id, ConversationRow.resolved_at).where(condition)
    if after is not None:
        resolved_at, conversation_id = after
        query = query.where(
            or_(
                ConversationRow.resolved_at > resolved_at,
                and_(ConversationRow.resolved_at == resolved_at, ConversationRow.id > conversation_id),
            )
        )
    query = query.order_by(ConversationRow.resolved_at, ConversationRow.id).limit(limit)
    rows = (await session.execute(query.with_for_update(of=ConversationRow, skip_locked=True))).all()
    if not rows:
        return Due([], after)
    return Due([row.id for row in rows], (rows[-1].resolved_at, rows[-1].id))


@dataclass(frozen=True)
class Forecast:
    """What a run would do, counted without changing anything."""

    tally: Tally
    oldest: datetime | None
    """The oldest resolution among the conversations it would touch."""


async def forecast(session: AsyncSession, texts_cutoff: datetime, attachments_cutoff: datetime) -> Forecast:
    """Count what `anonymise_texts` and then `strip_attachments` would touch with these cutoffs,
    and the translations `forget_translations(texts_cutoff)` would delete."""
    texts = select(ConversationRow.id).where(_due_texts(ConversationRow, texts_cutoff))
    later = max(texts_cutoff, attachments_cutoff)
    stripped = select(ConversationRow.id).where(_due_attachments(ConversationRow, later))
    tally = Tally(
        conversations=await session.scalar(select(func.count()).select_from(texts.subquery())) or 0,
        messages=await session.scalar(
            select(func.count()).select_from(MessageRow).where(MessageRow.conversation_id.in_(texts))
        )
        or 0,
        attachments=int(
            await session.scalar(
                select(func.coalesce(func.sum(func.json_array_length(MessageRow.attachments)), 0)).where(
                    MessageRow.conversation_id.in_(stripped)
                )
            )
            or 0
        ),
        questions=await session.scalar(
            select(func.count()).select_from(QuestionRow).where(QuestionRow.conversation_id.in_(texts))
        )
        or 0,
        contacts=await _contacts_due(session, texts_cutoff),
        translations=await session.scalar(
            select(func.count()).select_from(TranslationRow).where(TranslationRow.created_at < texts_cutoff)
        )
        or 0,
    )
    oldest = await session.scalar(
        select(func.min(ConversationRow.resolved_at)).where(_due_attachments(ConversationRow, later))
    )
    return Forecast(tally, oldest)


async def _contacts_due(session: AsyncSession, cutoff: datetime) -> int:
    """Contacts with a conversation due whose every other conversation is old or done already."""
    mine, other = aliased(ConversationRow), aliased(ConversationRow)
    keeps = exists().where(
        other.contact_id == ContactRow.id,
        ~_old(other, cutoff),
        ~_done(other, ErasureRow.texts_at),
    )
    has_due = exists().where(mine.contact_id == ContactRow.id, _due_texts(mine, cutoff))
    return await session.scalar(select(func.count()).select_from(ContactRow).where(has_due, ~keeps)) or 0


# -- anonymising ------------------------------------------------------------------------


def _digests(*texts: str | None) -> set[str]:
    """The translation cache's keys (SHA-256 of the source) a text could have been kept under."""
    found = set()
    for text in texts:
        if text:
            found |= {hashlib.sha256(version.encode()).hexdigest() for version in (text, mask(text))}
    return found


@dataclass(frozen=True)
class Anonymised:
    tally: Tally
    contact_ids: set[str]
    """The contacts whose conversations these were."""
    digests: set[str]
    """The translation cache's keys for the texts replaced (`forget_translations_of`)."""


async def anonymise_texts(
    session: AsyncSession, conversation_ids: Sequence[str], marker: str, now: datetime
) -> Anonymised:
    """Replace everything that names or quotes the citizen in these conversations: message
    texts (with `marker`), translations, attachments, delivery errors, senders, the free texts
    of events and the questions kept for editors. A reply still waiting in the outbox is not
    sent. Counts, states, times and figures stay."""
    tally = Tally(conversations=len(conversation_ids))
    if not conversation_ids:
        return Anonymised(tally, set(), set())
    ids = list(conversation_ids)
    conversations = list(await session.scalars(select(ConversationRow).where(ConversationRow.id.in_(ids))))
    senders = {row.id: pseudonym() for row in conversations}
    for row in conversations:
        row.sender = senders[row.id]
    digests: set[str] = set()
    for message in await session.scalars(select(MessageRow).where(MessageRow.conversation_id.in_(ids))):
        tally.messages += 1
        tally.attachments += len(message.attachments or ())
        digests |= _digests(message.text, message.translation)
        message.text, message.translation, message.translation_status = marker, None, None
        message.attachments, message.error, message.sender = [], None, senders[message.conversation_id]
        if message.direction == Direction.OUT.value and message.status in _PENDING:
            message.status, message.next_attempt_at = MessageStatus.FAILED.value, None
    events = await session.scalars(
        select(EventRow).where(EventRow.conversation_id.in_(ids), EventRow.type.in_(PERSONAL_EVENT_KEYS))
    )
    for event in events:
        keys = [key for key in PERSONAL_EVENT_KEYS[event.type] if key in (event.data or {})]
        if keys:
            event.data = {**event.data, **dict.fromkeys(keys, marker)}
    result: Any = await session.execute(
        update(QuestionRow)
        .where(QuestionRow.conversation_id.in_(ids))
        .values(text=marker, answer=case((QuestionRow.answer.is_(None), None), else_=marker))
    )
    tally.questions = int(result.rowcount)
    # A callback's or a handover's need quotes the citizen too (masked, but their words), and a
    # department's answer speaks of them.
    await session.execute(update(CallbackTaskRow).where(CallbackTaskRow.conversation_id.in_(ids)).values(need=marker))
    await session.execute(
        update(HandoverRow)
        .where(HandoverRow.conversation_id.in_(ids))
        .values(need=marker, answer=case((HandoverRow.answer.is_(None), None), else_=marker))
    )
    await _mark(session, ids, now, texts=True)
    return Anonymised(tally, {row.contact_id for row in conversations}, digests)


async def strip_attachments(session: AsyncSession, conversation_ids: Sequence[str], now: datetime) -> Tally:
    """Remove the attachments of these conversations' messages (their texts stay)."""
    tally = Tally()
    ids = list(conversation_ids)
    if not ids:
        return tally
    query = select(MessageRow).where(
        MessageRow.conversation_id.in_(ids), func.json_array_length(MessageRow.attachments) > 0
    )
    for message in await session.scalars(query):
        tally.attachments += len(message.attachments)
        message.attachments = []
    await _mark(session, ids, now, texts=False)
    return tally


async def _mark(session: AsyncSession, ids: list[str], now: datetime, texts: bool) -> None:
    """Record the conversations as done: the texts (which takes the attachments too), or the attachments."""
    known = {
        row.conversation_id: row
        for row in await session.scalars(select(ErasureRow).where(ErasureRow.conversation_id.in_(ids)))
    }
    for conversation_id in ids:
        row = known.get(conversation_id)
        if row is None:
            row = ErasureRow(conversation_id=conversation_id)
            session.add(row)
        if texts:
            row.texts_at = now
        row.attachments_at = row.attachments_at or now
    await session.flush()


async def anonymise_contacts(
    session: AsyncSession, contact_ids: Iterable[str], marker: str, force: bool = False
) -> int:
    """Anonymise the contacts whose every conversation is anonymised (`force`: whatever their
    conversations): name, phone, channel identities and the reasons of their blocks. Returns how many."""
    done = 0
    for contact_id in sorted(set(contact_ids)):
        if not force:
            whole = await session.scalar(
                select(func.count())
                .select_from(ConversationRow)
                .where(ConversationRow.contact_id == contact_id, ~_done(ConversationRow, ErasureRow.texts_at))
            )
            if whole:
                continue
        contact = await session.get(ContactRow, contact_id)
        if contact is None:
            continue
        contact.display_name, contact.phone = ANONYMOUS_NAME, None
        for identity in await session.scalars(
            select(ChannelIdentityRow).where(ChannelIdentityRow.contact_id == contact_id)
        ):
            identity.external_id = pseudonym()
        await session.execute(
            update(ContactBlockRow).where(ContactBlockRow.contact_id == contact_id).values(reason=marker)
        )
        done += 1
    await session.flush()
    return done


async def forget_translations(session: AsyncSession, before: datetime) -> int:
    """Delete the cached machine translations made before `before`; returns how many."""
    result: Any = await session.execute(delete(TranslationRow).where(TranslationRow.created_at < before))
    return int(result.rowcount)


async def forget_translations_of(session: AsyncSession, digests: Iterable[str]) -> int:
    """Delete the cached machine translations of these texts (by their keys); returns how many."""
    wanted = list(set(digests))
    removed = 0
    for start in range(0, len(wanted), 500):
        result: Any = await session.execute(
            delete(TranslationRow).where(TranslationRow.digest.in_(wanted[start : start + 500]))
        )
        removed += int(result.rowcount)
    return removed


async def resolved_before(session: AsyncSession, conversation_ids: Iterable[str], cutoff: datetime) -> set[str]:
    """Which of these conversations were resolved before `cutoff` (and are still resolved)."""
    wanted = list(set(conversation_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        rows = await session.scalars(
            select(ConversationRow.id).where(
                ConversationRow.id.in_(wanted[start : start + 500]), _old(ConversationRow, cutoff)
            )
        )
        found |= set(rows)
    return found
