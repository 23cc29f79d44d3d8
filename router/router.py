"""Decides where each conversation goes: the bot, a queue, an agent."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chatbot.turn import Bot, BotTurn
from hub.bus import AgentChanged, ConversationChanged, EventBus, HubEvent, MessageAdded
from model.clock import utcnow
from model.catalog import Catalog
from model import (
    AGENT_LANGUAGE,
    AgentState,
    Author,
    Category,
    Channel,
    Conversation,
    ConversationState,
    EventType,
    TranslationStatus,
)
from router.intents import asks_for_person
from router.selection import choose_agent
from store import agents as agent_store
from store import conversations as store
from store import queues as queue_store
from store.db import Store
from store.records import agent_record
from store.tables import AgentRow, ConversationRow, MessageRow

log = logging.getLogger(__name__)
ROUTER = "router"
CATEGORIES = frozenset(category.value for category in Category)


class Step(StrEnum):
    ANSWER = "answer"
    NOT_FOUND = "not_found"
    HANDOFF = "handoff"
    REMIND = "remind"
    NONE = "none"


@dataclass(frozen=True)
class Plan:
    """What the router will do with one citizen message, decided before anything is written."""

    step: Step
    reason: str = ""
    queue: str | None = None
    turn: BotTurn | None = None
    bot: str | None = None
    notice: str | None = None
    """A catalogue key the bot says before handing over."""


@dataclass(frozen=True)
class RouterSettings:
    bot_timeout_seconds: float = 4.0
    bot_failures_before_handoff: int = 2
    offer_timeout_seconds: float = 30.0
    sweep_interval_seconds: float = 1.0
    foreign_overflow_seconds: float = 120.0
    """How long a foreign-language conversation waits for an agent who speaks the language
    before any agent may take it with machine translation (when an engine translates it)."""


@dataclass
class Changes:
    """What a write touched, published on the bus once it is committed."""

    events: list[HubEvent] = field(default_factory=list)

    def publish_to(self, bus: EventBus) -> None:
        bus.publish(*self.events)


def queue_for(conversation: Conversation | ConversationRow) -> str:
    """Sign language and foreign languages have their own queues; else the category's."""
    if conversation.channel == Channel.SIGN_VIDEO:
        return "sign_language"
    if conversation.language and conversation.language != "ko":
        return "foreign_language"
    return conversation.category or "other"


class Router:
    def __init__(
        self,
        store_: Store,
        bus: EventBus,
        bot: Bot,
        catalog: Catalog,
        settings: RouterSettings,
        translates: Callable[[str, str], bool] = lambda source, target: False,
    ) -> None:
        self._store = store_
        self._bus = bus
        self._bot = bot
        self._catalog = catalog
        self.settings = settings
        self._translates = translates
        """Whether machine translation covers a pair (source, target): the overflow's condition."""
        self._dispatch_lock = asyncio.Lock()

    # -- citizen messages --------------------------------------------------------------

    async def plan(self, conversation: Conversation, text: str) -> Plan:
        """Choose the next step for a citizen message; may ask the bot, never writes."""
        state = conversation.state
        if not text.strip():  # a photo or a location alone: for a person to look at, not the bot
            return Plan(Step.NONE)
        if state.waiting:
            return Plan(Step.REMIND) if asks_for_person(text) else Plan(Step.NONE)
        if state is not ConversationState.BOT:
            return Plan(Step.NONE)
        queue = queue_for(conversation)
        if asks_for_person(text):
            return Plan(Step.HANDOFF, "citizen asked for a person", queue)
        async with self._store.read() as session:
            settings = await queue_store.queue(session, queue)
        if settings is not None and not settings.bot_first:
            return Plan(Step.HANDOFF, f"the {queue} queue is served by people only", queue)
        language = conversation.language or "ko"
        if not self._bot.speaks(language):
            return Plan(Step.HANDOFF, f"the bot cannot answer in {language}", queue, notice="bot.handoff_language")
        turn = await self._ask_bot(conversation, text, language)
        if turn.category in CATEGORIES and conversation.category_source != "agent":
            queue = queue_for(replace(conversation, category=turn.category))
        if turn.wants_handoff:
            return Plan(Step.HANDOFF, "the bot handed over", queue, turn, turn.by)
        if turn.answered:
            return Plan(Step.ANSWER, turn=turn, bot=turn.by)
        if conversation.bot_failures + 1 >= self.settings.bot_failures_before_handoff:
            return Plan(Step.HANDOFF, "the bot failed twice", queue, turn, turn.by)
        return Plan(Step.NOT_FOUND, turn=turn, bot=turn.by)

    async def _ask_bot(self, conversation: Conversation, text: str, language: str) -> BotTurn:
        try:
            async with asyncio.timeout(self.settings.bot_timeout_seconds):
                return await self._bot.respond(conversation, text, language)
        except Exception:  # a broken bot must never keep a citizen from a person
            log.exception("bot %s failed on conversation %s", self._bot.name, conversation.id)
            return BotTurn(answered=False, by=self._bot.name)

    async def apply(
        self, session: AsyncSession, row: ConversationRow, plan: Plan, inbound: MessageRow, now: datetime
    ) -> list[MessageRow]:
        """Write what `plan` decided, inside the caller's transaction; returns the replies."""
        language = row.language or "ko"
        ask_person = [
            {
                "label": self._catalog.text("action.ask_person", language),
                "text": self._catalog.text("action.ask_person", language),
            }
        ]
        replies: list[MessageRow] = []
        turn = plan.turn
        if turn is not None:
            self._learn_from(session, row, turn, now)
        if plan.step is Step.ANSWER and turn and turn.text:
            row.bot_failures = 0
            store.add_event(
                session,
                row.id,
                EventType.BOT_ANSWERED,
                f"bot:{plan.bot}",
                now,
                article=turn.article_id,
                confidence=round(turn.confidence, 3),
            )
            replies.append(
                await store.add_outbound(
                    session, row, Author.BOT, turn.text, now, in_reply_to=inbound.id, actions=ask_person
                )
            )
        elif plan.step in (Step.NOT_FOUND, Step.HANDOFF) and turn is not None:
            row.bot_failures += 1
            store.add_event(
                session,
                row.id,
                EventType.BOT_FAILED,
                f"bot:{plan.bot}",
                now,
                confidence=round(turn.confidence, 3),
                failures=row.bot_failures,
            )
        if plan.step is Step.NOT_FOUND and turn is not None and turn.text:
            # The bot's own words (Rasa: "not something 120 handles").
            replies.append(
                await store.add_outbound(
                    session, row, Author.BOT, turn.text, now, in_reply_to=inbound.id, actions=ask_person
                )
            )
        elif plan.step is Step.NOT_FOUND:
            replies.append(
                await add_catalog_message(
                    session, row, self._catalog, Author.BOT, "bot.not_found", now, inbound.id, ask_person
                )
            )
        elif plan.step is Step.HANDOFF and plan.queue:
            if plan.notice:
                replies.append(
                    await add_catalog_message(
                        session, row, self._catalog, Author.BOT, plan.notice, now, in_reply_to=inbound.id
                    )
                )
            store.add_event(
                session,
                row.id,
                EventType.HANDED_OFF,
                ROUTER,
                now,
                reason=plan.reason,
                queue=plan.queue,
                summary=turn.summary if turn else None,
            )
            replies.append(await self.enqueue(session, row, plan.queue, plan.reason, now, in_reply_to=inbound.id))
        elif plan.step is Step.REMIND:
            position = await store.queue_position(session, row)
            replies.append(
                await add_catalog_message(
                    session,
                    row,
                    self._catalog,
                    Author.SYSTEM,
                    "system.still_queued",
                    now,
                    inbound.id,
                    position=position,
                )
            )
        return replies

    def _learn_from(self, session: AsyncSession, row: ConversationRow, turn: BotTurn, now: datetime) -> None:
        """What the bot recognised (the category) and took down (a report) goes on the record."""
        actor = f"bot:{turn.by}"
        if turn.category in CATEGORIES and turn.category != row.category and row.category_source != "agent":
            row.category, row.category_source = turn.category, "bot"
            store.add_event(session, row.id, EventType.CATEGORY_SET, actor, now, category=turn.category,
                            reason="recognised by the bot")  # fmt: skip
        if turn.report:
            store.add_event(session, row.id, EventType.REPORT_FILED, actor, now, **turn.report)

    async def enqueue(
        self,
        session: AsyncSession,
        row: ConversationRow,
        queue: str,
        reason: str,
        now: datetime,
        in_reply_to: int | None = None,
    ) -> MessageRow:
        """Put a conversation in a queue and tell the citizen their position."""
        row.state = ConversationState.QUEUED.value
        row.queue = queue
        row.assigned_agent_id = None
        row.offer_expires_at = None
        row.queued_at = row.queued_at or now
        await session.flush()
        position = await store.queue_position(session, row)
        store.add_event(session, row.id, EventType.QUEUED, ROUTER, now, queue=queue, position=position, reason=reason)
        return await add_catalog_message(
            session, row, self._catalog, Author.SYSTEM, "system.queued", now, in_reply_to, position=position
        )

    # -- agents ------------------------------------------------------------------------

    async def dispatch(self) -> None:
        """Offer every waiting conversation that an available agent can take."""
        async with self._dispatch_lock:
            changes = Changes()
            async with self._store.write() as session:
                await self._offer_waiting(session, utcnow(), changes)
            changes.publish_to(self._bus)

    async def _offer_waiting(self, session: AsyncSession, now: datetime, changes: Changes) -> None:
        waiting = list(
            await session.scalars(
                select(ConversationRow)
                .where(ConversationRow.state == ConversationState.QUEUED.value)
                .order_by(ConversationRow.priority.desc(), ConversationRow.queued_at.asc())
            )
        )
        if not waiting:
            return
        rows = list(await session.scalars(select(AgentRow).where(AgentRow.state == AgentState.AVAILABLE.value)))
        if not rows:
            return
        agents = [agent_record(row) for row in rows]
        held: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for agent_id, kinds in (await store.held_by_agent(session)).items():
            held[agent_id].update(kinds)
        offered: list[ConversationRow] = []
        for row in waiting:
            channel = Channel(row.channel)
            language = row.language or "ko"
            agent = choose_agent(agents, row.queue or "other", language, channel, held)
            reason = f"longest idle available agent with skill {row.queue} and language {language}"
            if agent is None and self._overflows(row, language, now):
                agent = choose_agent(agents, row.queue or "other", language, channel, held, overflow=True)
                reason = (
                    f"no agent who speaks {language} within {self.settings.foreign_overflow_seconds:g} s: "
                    "the longest idle available agent, with machine translation"
                )
            if agent is None:
                continue
            row.state = ConversationState.OFFERED.value
            row.assigned_agent_id = agent.id
            row.offer_expires_at = now + timedelta(seconds=self.settings.offer_timeout_seconds)
            held[agent.id][channel.kind] += 1
            store.add_event(
                session,
                row.id,
                EventType.OFFERED,
                ROUTER,
                now,
                agent=agent.username,
                reason=reason,
            )
            offered.append(row)
        if offered:
            await session.flush()
            for row in offered:
                changes.events.append(ConversationChanged(await store.conversation(session, row)))

    def _overflows(self, row: ConversationRow, language: str, now: datetime) -> bool:
        waited = (now - (row.queued_at or now)).total_seconds()
        return (
            language != "ko"
            and waited >= self.settings.foreign_overflow_seconds
            and self._translates(language, "ko")
            and self._translates("ko", language)
        )

    async def expire_offers(self) -> None:
        """Offers not accepted in time go back to the queue; the agent is set on break."""
        changes = Changes()
        now = utcnow()
        async with self._store.write() as session:
            expired = list(
                await session.scalars(
                    select(ConversationRow).where(
                        ConversationRow.state == ConversationState.OFFERED.value,
                        ConversationRow.offer_expires_at < now,
                    )
                )
            )
            for row in expired:
                agent = await session.get(AgentRow, row.assigned_agent_id) if row.assigned_agent_id else None
                row.state = ConversationState.QUEUED.value
                row.assigned_agent_id = None
                row.offer_expires_at = None
                store.add_event(
                    session, row.id, EventType.OFFER_EXPIRED, ROUTER, now, agent=agent.username if agent else None
                )
                if agent and agent.state == AgentState.AVAILABLE.value:
                    # An agent who lets an offer lapse is probably away from the desk.
                    agent.state = AgentState.BREAK.value
                    await session.flush()
                    changes.events.append(AgentChanged(await agent_store.record(session, agent)))
            await session.flush()
            for row in expired:
                changes.events.append(ConversationChanged(await store.conversation(session, row)))
        changes.publish_to(self._bus)

    async def run(self) -> None:
        """The router's clock: expire offers and offer waiting conversations, forever."""
        while True:
            try:
                await self.expire_offers()
                await self.dispatch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("router sweep failed")
            await asyncio.sleep(self.settings.sweep_interval_seconds)


async def add_catalog_message(
    session: AsyncSession,
    row: ConversationRow,
    catalog: Catalog,
    author: Author,
    key: str,
    now: datetime,
    in_reply_to: int | None = None,
    actions: list[dict[str, str]] | None = None,
    **values: object,
) -> MessageRow:
    """A fixed text from the catalogue in the citizen's language; agents, who work in Korean,
    get the Korean beside it (no engine needed: the catalogue has both)."""
    language = row.language or AGENT_LANGUAGE
    text = catalog.text(key, language, **values)
    message = await store.add_outbound(session, row, author, text, now, in_reply_to=in_reply_to, actions=actions)
    if language != AGENT_LANGUAGE:
        message.translation = catalog.text(key, AGENT_LANGUAGE, **values)
        message.translation_status = TranslationStatus.TRANSLATED.value
    return message


async def publish_messages(
    session: AsyncSession, row: ConversationRow, messages: list[MessageRow], changes: Changes
) -> Conversation:
    """Queue bus events for new messages and the conversation they changed; returns its record."""
    record = await store.conversation(session, row, messages[-1] if messages else None)
    for message in await store.message_records(session, messages):
        changes.events.append(MessageAdded(record, message))
    changes.events.append(ConversationChanged(record))
    return record
