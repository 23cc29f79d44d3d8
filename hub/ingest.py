"""Ingest: every citizen message from every channel comes in here.

Persist first (idempotent on channel, sender and provider message id), then let the
router decide (running the bot when it asks), then write and publish what it decided.
One citizen's messages are handled strictly in order.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chatbot.knowledge.base import KnowledgeBase
from chatbot.switch import BotSwitch
from hub.after_hours import AfterHours
from hub.bus import EventBus
from hub.changes import Changes, enqueue, publish_messages, reply, say
from hub.contacts import link_verified_phone
from hub.dispatcher import Dispatcher
from hub.protection import Protection, Reading, categories
from hub.survey import Survey
from model import (
    AGENT_LANGUAGE,
    LANGUAGES,
    Author,
    BotTurn,
    Category,
    Conversation,
    ConversationState,
    Decider,
    Direction,
    EventType,
    Inbound,
    IngestResult,
    Message,
    MessageStatus,
    QuickReply,
    Reply,
)
from model.catalog import Catalog
from model.clock import utcnow
from model.errors import refuse_nul
from model.locks import KeyedLocks
from router.categories import CategoryGuess, guess_category
from router.lifecycle import INITIAL, Move, moved
from router.routing import Plan, RouterSettings, Step, after_bot, before_bot, learned_category, queue_for
from store import contacts, conversations, questions, queues
from store.db import Store
from store.questions import QuestionKind
from translation.langid import LanguageIdentifier

log = logging.getLogger(__name__)
_CHOICE = re.compile(r"\s*([1-9])\s*(?:[.)]|$|\s)")
CITIZEN = Decider.CITIZEN.value
ROUTER = Decider.ROUTER.value


@dataclass(frozen=True)
class _Stored:
    conversation: Conversation
    message_id: str
    duplicate: bool
    replies: tuple[Reply, ...] = ()
    """What the citizen was answered at once: for a duplicate or a settled message every reply,
    else the crisis lines, which go before anything the routing answers."""
    settled: bool = False
    """An answer to the satisfaction survey, or a blocked contact's message: stored and answered,
    nothing left to route."""
    urgent: bool = False
    """A threat, talk of self-harm or an emergency: a person must see it at once."""


class Ingest:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        bot: BotSwitch,
        dispatcher: Dispatcher,
        catalog: Catalog,
        languages: LanguageIdentifier,
        knowledge: KnowledgeBase,
        settings: RouterSettings,
        reopen_window: timedelta,
        survey: Survey,
        protection: Protection,
        after_hours: AfterHours,
    ) -> None:
        self._store = store
        self._bus = bus
        self._bot = bot
        self._dispatcher = dispatcher
        self._catalog = catalog
        self._languages = languages
        self._knowledge = knowledge
        self._settings = settings
        self._reopen_window = reopen_window
        self._survey = survey
        self._protection = protection
        self._after_hours = after_hours
        self._order = KeyedLocks()

    async def receive(self, inbound: Inbound) -> IngestResult:
        """Store one citizen message, route it, and return what the bot answered at once."""
        # Every channel comes through here: one check for what the store cannot hold.
        refuse_nul([inbound.sender, inbound.text, inbound.provider_message_id, inbound.display_name,
                    inbound.metadata, [(a.url, a.content_type, a.data) for a in inbound.attachments]])  # fmt: skip
        async with self._order.hold((inbound.channel, inbound.sender)):
            stored = await self._survey_answer(inbound) or await self._held_by_block(inbound)
            stored = stored or await self._store_once(inbound)
            if stored.duplicate or stored.settled:
                return IngestResult(
                    stored.conversation.id, stored.message_id, stored.duplicate, stored.conversation.state,
                    stored.replies,
                )  # fmt: skip
            # A yes to the callback offered while the queue was closed: scheduled and answered.
            accepted = (
                None
                if stored.urgent
                else await self._after_hours.accept(stored.conversation, inbound.text, stored.message_id)
            )
            if accepted is not None:
                record = stored.conversation
                return IngestResult(record.id, stored.message_id, False, record.state, accepted)
            plan = _to_a_person(stored.conversation) if stored.urgent else None
            plan = plan or await self._plan(stored.conversation, inbound.text)
            changes = Changes()
            async with self._store.write() as session:
                conversation = await conversations.to_change(session, stored.conversation.id)
                assert conversation is not None
                conversation, replies = await self._apply(session, conversation, plan, stored.message_id, utcnow())
                if plan.turn is not None and not plan.turn.answered and not plan.turn.wants_handoff:
                    # The bot had no answer (it said so, or handed over after failing again):
                    # editors see the question in their list of articles to write.
                    await questions.record(session, QuestionKind.UNANSWERED, stored.message_id, conversation.id,
                                           conversation.language or AGENT_LANGUAGE, inbound.text, utcnow(),
                                           conversation.category)  # fmt: skip
                if replies or plan.step is not Step.NONE:
                    # A handoff makes the citizen's message matter to agents: publish it again with
                    # the conversation as it is now queued (subscribers keep messages by id).
                    handed_off = plan.step is Step.HANDOFF
                    citizen = await conversations.messages_by_id(session, [stored.message_id]) if handed_off else []
                    await publish_messages(session, conversation.id, [*citizen, *replies], changes)
            changes.publish_to(self._bus)
            if plan.step is Step.HANDOFF:
                await self._dispatcher.dispatch()
            return IngestResult(
                stored.conversation.id,
                stored.message_id,
                False,
                conversation.state,
                (*stored.replies, *(Reply(message.text, message.language) for message in replies)),
            )

    # -- deciding ----------------------------------------------------------------------

    async def _plan(self, conversation: Conversation, text: str) -> Plan:
        """The router's decision, with the bot's turn when the router leaves it to the bot."""
        people_only = False
        if conversation.state is ConversationState.BOT:
            async with self._store.read() as session:
                queue = await queues.queue(session, queue_for(conversation))
            people_only = queue is not None and not queue.bot_first
        language = conversation.language or AGENT_LANGUAGE
        decided = before_bot(conversation, text, people_only, self._bot.speaks(language))
        if decided is not None:
            return decided
        if (chosen := await self._chosen_article(conversation, text)) is not None:
            return after_bot(conversation, await self._bot.answer_with(chosen, language), self._settings)
        return after_bot(conversation, await self._ask_bot(conversation, text, language), self._settings)

    async def _chosen_article(self, conversation: Conversation, text: str) -> str | None:
        """The article a citizen picked by its number ("2", or a button's "2. 제목") right after
        the bot asked which one they meant; None for any other message."""
        number = _CHOICE.match(text)
        if number is None or conversation.state is not ConversationState.BOT:
            return None
        async with self._store.read() as session:
            trail = await conversations.events(session, conversation.id)
        bot_turns = [e for e in trail if e.type in (EventType.BOT_ANSWERED.value, EventType.BOT_FAILED.value)]
        choices = bot_turns[-1].data.get("choices") if bot_turns else None
        index = int(number[1]) - 1
        return choices[index] if choices and index < len(choices) else None

    async def _ask_bot(self, conversation: Conversation, text: str, language: str) -> BotTurn:
        try:
            async with asyncio.timeout(self._settings.bot_timeout_seconds):
                return await self._bot.respond(conversation, text, language)
        except Exception:  # a broken bot must never keep a citizen from a person
            log.exception("bot %s failed on conversation %s", self._bot.name, conversation.id)
            return BotTurn(answered=False, by=self._bot.name)

    # -- writing the decision ----------------------------------------------------------

    async def _apply(
        self, session: AsyncSession, conversation: Conversation, plan: Plan, inbound_id: str, now: datetime
    ) -> tuple[Conversation, list[Message]]:
        """Write what `plan` decided; returns the conversation after it and the replies."""
        language = conversation.language or AGENT_LANGUAGE
        ask_person = self._catalog.text("action.ask_person", language)
        buttons = (QuickReply(ask_person, ask_person),)
        replies: list[Message] = []
        turn = plan.turn
        if turn is not None:
            conversation = self._learn_from(session, conversation, turn, now)
            bot = f"bot:{turn.by}"
            if plan.step is Step.ANSWER and turn.text:
                conversation = replace(conversation, bot_failures=0)
                asked = {"choices": [choice.article_id for choice in turn.choices]} if turn.choices else {}
                conversations.add_event(session, conversation.id, EventType.BOT_ANSWERED, bot, now,
                                        article=turn.article_id, confidence=round(turn.confidence, 3), **asked)  # fmt: skip
            elif plan.step in (Step.NOT_FOUND, Step.HANDOFF):
                conversation = replace(conversation, bot_failures=conversation.bot_failures + 1)
                conversations.add_event(session, conversation.id, EventType.BOT_FAILED, bot, now,
                                        confidence=round(turn.confidence, 3), failures=conversation.bot_failures)  # fmt: skip
            await conversations.save(session, conversation)
        if plan.step in (Step.ANSWER, Step.NOT_FOUND) and turn is not None and turn.text:
            # The bot's answer, its question which article the citizen means (a button per
            # article, which sends its number), or its own words for what it cannot answer.
            choices = tuple(QuickReply(f"{n}. {c.title}", str(n)) for n, c in enumerate(turn.choices, 1))
            replies.append(
                await reply(session, conversation, Author.BOT, turn.text, now, inbound_id, (*choices, *buttons))
            )
        elif plan.step is Step.NOT_FOUND:
            replies.append(
                await say(session, conversation, self._catalog, Author.BOT, "bot.not_found", now, inbound_id, buttons)
            )
        elif (
            plan.step is Step.HANDOFF
            and plan.queue
            and (closed := await self._after_hours.closed(conversation, plan.queue, now))
        ):
            # Nobody serves the queue now: the bot keeps the conversation and offers a callback.
            replies.append(await self._after_hours.offer(session, conversation, closed, now, inbound_id))
        elif plan.step is Step.HANDOFF and plan.queue:
            if plan.notice:
                replies.append(
                    await say(session, conversation, self._catalog, Author.BOT, plan.notice, now, inbound_id)
                )
            conversations.add_event(session, conversation.id, EventType.HANDED_OFF, ROUTER, now, reason=plan.reason,
                                    queue=plan.queue, summary=turn.summary if turn else None)  # fmt: skip
            conversation, notice = await enqueue(
                session, conversation, self._catalog, plan.queue, plan.reason, ROUTER, now, inbound_id
            )
            replies.append(notice)
        elif plan.step is Step.REMIND:
            position = await conversations.queue_position(session, conversation)
            replies.append(
                await say(
                    session,
                    conversation,
                    self._catalog,
                    Author.SYSTEM,
                    "system.still_queued",
                    now,
                    inbound_id,
                    position=position,
                )  # fmt: skip
            )
        return conversation, replies

    @staticmethod
    def _learn_from(session: AsyncSession, conversation: Conversation, turn: BotTurn, now: datetime) -> Conversation:
        """What the bot recognised (the category) and took down (a report) goes on the record."""
        actor = f"bot:{turn.by}"
        if (category := learned_category(conversation, turn)) is not None:
            conversation = replace(conversation, category=category, category_source=Decider.BOT)
            conversations.add_event(session, conversation.id, EventType.CATEGORY_SET, actor, now, category=category,
                                    reason="recognised by the bot")  # fmt: skip
        if turn.report:
            conversations.add_event(session, conversation.id, EventType.REPORT_FILED, actor, now, **turn.report)
        return conversation

    # -- storing the message -----------------------------------------------------------

    async def _survey_answer(self, inbound: Inbound) -> _Stored | None:
        """A rating or comment for the survey of the sender's resolved conversation: stored as its
        message and thanked, without reopening it or reaching an agent (hub.survey). None for
        any other message, and for a provider's retry, which the usual path answers."""
        changes = Changes()
        now = utcnow()
        try:
            async with self._store.write() as session:
                latest = await conversations.latest_to_change(session, inbound.channel, inbound.sender)
                if latest is None or latest.state is not ConversationState.RESOLVED:
                    return None
                if inbound.provider_message_id and await conversations.find_inbound(
                    session, inbound.channel, inbound.sender, inbound.provider_message_id
                ):
                    return None
                answer = await self._survey.answer_to(session, latest, inbound.text, now)
                if answer is None:
                    return None
                message, reading, crisis = await self._kept_on(session, latest, inbound, now)
                thanks = await self._survey.record(session, latest, answer, message.id, now)
                record = await publish_messages(session, latest.id, [message, *crisis, thanks], changes)
                changes.events.extend(await self._protection.alerts(session, reading, record, message, now))
        except IntegrityError:
            return None  # another process stored the same message first: the usual path finds it
        changes.publish_to(self._bus)
        return _Stored(record, message.id, False, _replies(*crisis, thanks), settled=True)

    async def _kept_on(
        self, session: AsyncSession, latest: Conversation, inbound: Inbound, now: datetime
    ) -> tuple[Message, Reading, list[Message]]:
        """The citizen's message stored on their resolved or blocked conversation, read for abuse
        and crises like any other, without reopening it; with the crisis lines it was given."""
        reading = self._protection.detect(inbound.text, latest.language)
        message = await conversations.add_message(
            session, latest, Direction.IN, Author.CITIZEN, inbound.text, now, language=latest.language,
            status=MessageStatus.RECEIVED, provider_message_id=inbound.provider_message_id,
            attachments=inbound.attachments, abuse=categories(reading.abuse),
        )  # fmt: skip
        if reading.abuse is not None:
            self._protection.note(session, latest, message, reading.abuse, now)
        crisis = await self._protection.send_crisis_lines(session, latest, message, reading, now)
        return message, reading, crisis

    async def _held_by_block(self, inbound: Inbound) -> _Stored | None:
        """A message from a contact blocked under the protection protocol: stored on the sender's
        latest conversation (acknowledged, never lost) without reopening it or reaching the bot or
        an agent; the citizen is told until when, at most once an hour. A threat, talk of
        self-harm or an emergency still gets its crisis lines and alerts the supervisors. None
        when the sender is not blocked, and for a provider's retry, which the usual path answers."""
        now = utcnow()
        # A read first, which takes no write lock: nearly every sender is not blocked.
        async with self._store.read() as session:
            latest = await conversations.latest_to_change(session, inbound.channel, inbound.sender)
            if latest is None or await self._protection.block_of(session, latest.contact.id, now) is None:
                return None
        changes = Changes()
        try:
            async with self._store.write() as session:
                latest = await conversations.latest_to_change(session, inbound.channel, inbound.sender)
                block = await self._protection.block_of(session, latest.contact.id, now) if latest else None
                if latest is None or block is None:
                    return None  # lifted meanwhile
                if inbound.provider_message_id and await conversations.find_inbound(
                    session, inbound.channel, inbound.sender, inbound.provider_message_id
                ):
                    return None
                message, reading, crisis = await self._kept_on(session, latest, inbound, now)
                notice = await self._protection.tell_blocked(session, latest, block, message.id, now)
                # Only the replies are published (for the outbox): the message is for no one to answer.
                told = [*crisis, *([notice] if notice else [])]
                record = await publish_messages(session, latest.id, told, changes)
                changes.events.extend(await self._protection.alerts(session, reading, record, message, now))
        except IntegrityError:
            return None  # another process stored the same message first: the usual path finds it
        changes.publish_to(self._bus)
        return _Stored(record, message.id, False, _replies(*told), settled=True)

    async def _store_once(self, inbound: Inbound) -> _Stored:
        try:
            return await self._persist(inbound)
        except IntegrityError:
            # Another process stored the same provider message first.
            return await self._persist(inbound)

    async def _guess_category(self, text: str, language: str) -> CategoryGuess | None:
        """Keywords first; else the category of a confident knowledge-base match in the
        message's language (every article variant keeps its Korean article's category)."""
        if guess := guess_category(text):
            return guess
        hits = await self._knowledge.search(text, language, limit=1)
        if hits and hits[0].confidence >= 0.5:
            return CategoryGuess(Category(hits[0].article.category), f"knowledge-base article {hits[0].article.id}")
        return None

    async def _persist(self, inbound: Inbound) -> _Stored:
        changes = Changes()
        now = utcnow()
        async with self._store.write() as session:
            if inbound.provider_message_id:
                existing = await conversations.find_inbound(
                    session, inbound.channel, inbound.sender, inbound.provider_message_id
                )
                if existing:
                    conversation = await conversations.conversation(session, existing.conversation_id)
                    assert conversation is not None
                    replies = await conversations.replies_to(session, existing.id)
                    return _Stored(conversation, existing.id, True, tuple(Reply(r.text, r.language) for r in replies))
            display_name = inbound.display_name or f"시민 {inbound.sender[-4:]}"
            opened_from = await self._opened_from(session, inbound)
            contact_id = await contacts.ensure_contact(
                session,
                inbound.channel.value,
                inbound.sender,
                display_name,
                now,
                joins=opened_from.contact.id if opened_from else None,
            )
            if inbound.verified_phone:
                contact_id = await link_verified_phone(session, contact_id, inbound.verified_phone, now) or contact_id
            conversation, requeue = await self._open_conversation(session, contact_id, inbound, now)
            if opened_from is not None and contact_id == opened_from.contact.id:
                conversations.add_event(session, opened_from.id, EventType.VIDEO_REQUESTED, CITIZEN, now,
                                        video_conversation=conversation.id, channel=inbound.channel.value)  # fmt: skip
            conversation, language = self._set_language(session, conversation, inbound, revisable=requeue is None,
                                                        now=now)  # fmt: skip
            if conversation.category is None and (
                guess := await self._guess_category(inbound.text, language or AGENT_LANGUAGE)
            ):
                conversation = replace(conversation, category=guess.category.value, category_source=Decider.DETECTED)
                conversations.add_event(session, conversation.id, EventType.CATEGORY_SET, CITIZEN, now,
                                        category=guess.category.value, reason=guess.reason)  # fmt: skip
            reading = self._protection.detect(inbound.text, language)
            if reading.urgent:
                conversation = self._protection.raise_priority(session, conversation, now)
            await conversations.save(session, conversation)
            message = await conversations.add_message(
                session,
                conversation,
                Direction.IN,
                Author.CITIZEN,
                inbound.text,
                now,
                language=language,
                status=MessageStatus.RECEIVED,
                provider_message_id=inbound.provider_message_id,
                attachments=inbound.attachments,
                abuse=categories(reading.abuse),
            )
            if reading.abuse is not None:
                self._protection.note(session, conversation, message, reading.abuse, now)
            crisis = await self._protection.send_crisis_lines(session, conversation, message, reading, now)
            new_messages = [message, *crisis]
            if requeue:
                conversation, notice = await enqueue(
                    session, conversation, self._catalog, requeue, "reopened", ROUTER, now, message.id
                )
                new_messages.append(notice)
            record = await publish_messages(session, conversation.id, new_messages, changes)
            alerts = await self._protection.alerts(session, reading, record, message, now)
            changes.events.extend(alerts)
        changes.publish_to(self._bus)
        return _Stored(record, message.id, False, _replies(*crisis), urgent=bool(alerts))

    @staticmethod
    async def _opened_from(session: AsyncSession, inbound: Inbound) -> Conversation | None:
        """The conversation the citizen opened this one from, when they did."""
        if inbound.opened_from is None:
            return None
        return await conversations.conversation(session, inbound.opened_from)

    async def _open_conversation(
        self, session: AsyncSession, contact_id: str, inbound: Inbound, now: datetime
    ) -> tuple[Conversation, str | None]:
        """The citizen's current conversation (open, reopened or new) and a queue to return it to."""
        latest = await conversations.latest_to_change(session, inbound.channel, inbound.sender)
        if latest is not None and latest.state is not ConversationState.RESOLVED:
            return latest, None
        if latest is not None and latest.resolved_at and now - latest.resolved_at <= self._reopen_window:
            conversations.add_event(session, latest.id, EventType.REOPENED, CITIZEN, now)
            # A person had it: back to that queue. The bot had it: back to the bot.
            return moved(latest, Move.REOPEN, now), latest.queue if latest.answered_at else None
        created = await conversations.create_conversation(
            session, contact_id, inbound.channel, inbound.sender, INITIAL, now
        )
        opened_from = {"opened_from": inbound.opened_from} if inbound.opened_from else {}
        conversations.add_event(session, created.id, EventType.CREATED, CITIZEN, now, channel=inbound.channel.value,
                                **opened_from)  # fmt: skip
        return created, None

    def _set_language(
        self, session: AsyncSession, conversation: Conversation, inbound: Inbound, revisable: bool, now: datetime
    ) -> tuple[Conversation, str | None]:
        """The conversation as the message's language leaves it, and the message's language:
        the citizen's choice wins over a detection; an agent's correction over both."""
        if inbound.language in LANGUAGES and conversation.language_source is not Decider.AGENT:
            if conversation.language != inbound.language:
                conversation = replace(conversation, language=inbound.language, language_source=Decider.CITIZEN)
                conversations.add_event(session, conversation.id, EventType.LANGUAGE_SET, CITIZEN, now,
                                        language=inbound.language, reason="the citizen's choice")  # fmt: skip
            return conversation, inbound.language
        found = self._languages.identify(inbound.text)
        if found is None:
            return conversation, conversation.language
        # Once a person serves the conversation its queue depends on the language: keep it.
        revisable = (
            revisable
            and conversation.language_source in (None, Decider.DETECTED)
            and conversation.state is ConversationState.BOT
        )
        if found.decisive and revisable and conversation.language != found.language:
            conversation = replace(conversation, language=found.language, language_source=Decider.DETECTED)
            conversations.add_event(session, conversation.id, EventType.LANGUAGE_SET, ROUTER, now,
                                    language=found.language,
                                    reason=f"identified with confidence {found.confidence:.2f}")  # fmt: skip
        return conversation, found.language if found.decisive else conversation.language


def _replies(*messages: Message) -> tuple[Reply, ...]:
    return tuple(Reply(message.text, message.language) for message in messages)


def _to_a_person(conversation: Conversation) -> Plan | None:
    """A threat, talk of self-harm or an emergency is never left with the bot: the conversation
    goes to its queue at once. None when a person has it already (or it waits for one)."""
    if conversation.state is not ConversationState.BOT:
        return None
    return Plan(Step.HANDOFF, "a threat, self-harm or an emergency: a person must answer", queue_for(conversation))
