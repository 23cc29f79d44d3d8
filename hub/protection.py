"""The protection protocol for agents (감정노동 보호): abuse and crises detected on ingest (the
crisis lines sent to the citizen at once, the alert to supervisors), the standard warning,
ending a conversation under the protocol, blocking the contact for a while, and the incidents
of a month against the report's ceiling (docs/protection.md).

Ingest calls the detection helpers inside its own write transaction; each agent's or
supervisor's action here is one transaction that writes its events with the actor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import checked
from hub.bus import AbuseAlert, EventBus
from hub.changes import Changes, publish_messages, reply, say
from hub.config import ProtectionSettings, ReportTargets
from hub.dispatcher import Dispatcher
from hub.hours import Hours
from model import AGENT_LANGUAGE, Agent, Author, Conversation, ConversationState, Decider, EventType, Message, Role
from model.abuse import AbuseCategory, AbuseDetector, AbuseFinding
from model.audit import AuditAction
from model.catalog import Catalog
from model.clock import utcnow
from model.crisis import CrisisLine, Emergency, EmergencyDetector, EmergencyFinding, crisis_lines
from model.errors import HubError, conflict, forbidden, invalid, not_found
from router.lifecycle import Move, RefusedMove, moved
from router.routing import queue_for
from store import agents, audit, conversations, protection
from store.db import Store
from store.protection import ContactBlock, Incident

URGENT_PRIORITY = 5
"""A threat, talk of self-harm or an emergency jumps the queue (priorities run from -10 to 10)."""
URGENT_KINDS = ("threat", "self_harm")
"""The abuse categories that alert every supervisor at once, in the order an alert names them."""
EMERGENCY = "emergency"
"""The alert's kind for a fire, a medical emergency or a crime in progress."""
CRISIS_LINE_REPEAT = timedelta(hours=1)
"""A line already given on the conversation this recently is not given again."""
ROUTER = Decider.ROUTER.value
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def categories(finding: AbuseFinding | None) -> tuple[str, ...]:
    """A finding's categories as the API names them, sorted; empty for no finding."""
    return tuple(sorted(category.value for category in finding.categories)) if finding else ()


def urgent_kind(finding: AbuseFinding | None) -> str | None:
    """threat or self_harm when the finding must reach a supervisor at once; else None."""
    if finding is None or not finding.urgent:
        return None
    found = categories(finding)
    return next((kind for kind in URGENT_KINDS if kind in found), URGENT_KINDS[0])


@dataclass(frozen=True)
class Reading:
    """What a citizen's message was read for: abuse (model.abuse) and an emergency (model.crisis)."""

    abuse: AbuseFinding | None = None
    emergency: EmergencyFinding | None = None

    @property
    def lines(self) -> tuple[CrisisLine, ...]:
        """The crisis lines the citizen must be given at once; empty for none."""
        return crisis_lines(self.abuse.categories if self.abuse else (), self.emergency.kinds if self.emergency else ())

    @property
    def urgent(self) -> bool:
        """A threat, self-harm or an emergency: a person must see it at once (each calls for a line)."""
        return bool(self.lines)

    @property
    def alert_kind(self) -> str | None:
        """threat, self_harm (talk of it or an attempt) or emergency; None when not urgent."""
        kind = urgent_kind(self.abuse)
        if kind is None and self.emergency is not None:
            kind = AbuseCategory.SELF_HARM.value if Emergency.ATTEMPT in self.emergency.kinds else EMERGENCY
        return kind


@dataclass(frozen=True)
class Warned:
    conversation: Conversation
    message: Message
    warnings: int
    warnings_to_end: int

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation.to_json(),
            "message": self.message.for_agent(),
            "warnings": self.warnings,
            "warnings_to_end": self.warnings_to_end,
        }


@dataclass(frozen=True)
class Ended:
    conversation: Conversation
    block: ContactBlock | None

    def to_json(self) -> dict[str, Any]:
        return {"conversation": self.conversation.to_json(), "block": self.block.to_json() if self.block else None}


@dataclass(frozen=True)
class MonthOfIncidents:
    month: str
    ceiling: int
    incidents: list[Incident]

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "count": len(self.incidents),
            "ceiling": self.ceiling,
            "incidents": [incident.to_json() for incident in self.incidents],
        }


class Protection:
    """The protocol's services; built once by the app factory."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        dispatcher: Dispatcher,
        catalog: Catalog,
        detector: AbuseDetector,
        emergencies: EmergencyDetector,
        settings: ProtectionSettings,
        targets: ReportTargets,
        timezone: ZoneInfo,
        hours: Hours,
    ) -> None:
        self._store = store
        self._bus = bus
        self._dispatcher = dispatcher
        self._catalog = catalog
        self._detector = detector
        self._emergencies = emergencies
        self._settings = settings
        self._targets = targets
        self._zone = timezone
        self._hours = hours

    # -- on ingest, inside its transaction ------------------------------------------------

    def detect(self, text: str, language: str | None) -> Reading:
        """What the detectors find in a citizen's text (nothing for no text)."""
        if not text.strip():
            return Reading()
        return Reading(self._detector.detect(text, language), self._emergencies.detect(text, language))

    @staticmethod
    def raise_priority(session: AsyncSession, conversation: Conversation, now: datetime) -> Conversation:
        """An urgent finding puts the conversation ahead in its queue (never lowers it)."""
        if conversation.priority >= URGENT_PRIORITY:
            return conversation
        conversations.add_event(session, conversation.id, EventType.PRIORITY_SET, ROUTER, now,
                                priority=URGENT_PRIORITY, reason="threat, self-harm or emergency detected")  # fmt: skip
        return replace(conversation, priority=URGENT_PRIORITY)

    async def send_crisis_lines(
        self, session: AsyncSession, conversation: Conversation, message: Message, reading: Reading, now: datetime
    ) -> list[Message]:
        """The crisis lines the message calls for, to the citizen at once in their language, before
        anything else answers it, whatever the hour or a block; recorded as `crisis_line_sent`.
        A line given on the conversation within the last hour is left out; empty when none is left."""
        if not reading.lines:
            return []
        since = now - CRISIS_LINE_REPEAT
        given = {
            line
            for event in await conversations.events(session, conversation.id)
            if event.type == EventType.CRISIS_LINE_SENT.value and event.at >= since
            for line in event.data.get("lines", ())
        }
        lines = [line.value for line in reading.lines if line.value not in given]
        if not lines:
            return []
        language = conversation.language or AGENT_LANGUAGE
        text = "\n".join(self._catalog.text(f"crisis.{line}", language) for line in lines)
        korean = "\n".join(self._catalog.text(f"crisis.{line}", AGENT_LANGUAGE) for line in lines)
        sent = await reply(session, conversation, Author.SYSTEM, text, now, message.id,
                           translation=korean if language != AGENT_LANGUAGE else None)  # fmt: skip
        emergencies = sorted(kind.value for kind in reading.emergency.kinds) if reading.emergency else []
        conversations.add_event(session, conversation.id, EventType.CRISIS_LINE_SENT, ROUTER, now, lines=lines,
                                message_id=message.id, reply_id=sent.id, emergencies=emergencies)  # fmt: skip
        return [sent]

    @staticmethod
    def note(
        session: AsyncSession, conversation: Conversation, message: Message, finding: AbuseFinding, now: datetime
    ) -> None:
        """The detection on the conversation's record: which message, which categories (its
        words stay in the message)."""
        conversations.add_event(session, conversation.id, EventType.ABUSE_DETECTED, ROUTER, now,
                                message_id=message.id, categories=list(categories(finding)))  # fmt: skip

    async def alerts(
        self, session: AsyncSession, reading: Reading, conversation: Conversation, message: Message, now: datetime
    ) -> list[AbuseAlert]:
        """The bus event that alerts the supervisors' consoles at once, for an urgent finding.
        While the conversation's queue is closed and another team serves it (the night team),
        the alert is that team's supervisors' (supervisors with its queue as a skill) and the
        admins'; when the team has no supervisor, and by day, every supervisor's."""
        if (kind := reading.alert_kind) is None:
            return []
        queue = conversation.queue or queue_for(conversation)
        serving = (await self._hours.statuses(session, [queue], now))[queue].served_by
        team = frozenset(
            agent.id
            for agent in await agents.all_agents(session)
            if agent.role is Role.SUPERVISOR and agent.active and serving != queue and serving in agent.skills
        )
        emergencies = tuple(sorted(kind.value for kind in reading.emergency.kinds)) if reading.emergency else ()
        lines = tuple(line.value for line in reading.lines)
        return [AbuseAlert(kind, conversation, message, lines, emergencies, supervisors=team or None)]

    @staticmethod
    async def block_of(session: AsyncSession, contact_id: str, now: datetime) -> ContactBlock | None:
        """The contact's block in force now, if any."""
        return await protection.active_block(session, contact_id, now)

    async def tell_blocked(
        self, session: AsyncSession, conversation: Conversation, block: ContactBlock, in_reply_to: str, now: datetime
    ) -> Message | None:
        """Tell the citizen in their language until when they are blocked, unless they were
        told within the notice interval; returns the notice when it was sent."""
        until = block.until.astimezone(self._zone).strftime("%Y-%m-%d %H:%M")
        text = self._catalog.text("protection.blocked", conversation.language or AGENT_LANGUAGE, until=until)
        since = now - self._settings.blocked_notice_interval
        if await protection.notice_sent_since(session, conversation.id, text, since):
            return None
        return await say(session, conversation, self._catalog, Author.SYSTEM, "protection.blocked", now, in_reply_to,
                         until=until)  # fmt: skip

    # -- an agent's actions -----------------------------------------------------------

    async def warn(self, agent: Agent, conversation_id: str) -> Warned:
        """Send the citizen the standard warning in their language, in the agent's name."""
        changes = Changes()
        now = utcnow()
        async with self._store.write() as session:
            conversation = await self._to_act_on(session, agent, conversation_id)
            if conversation.state is ConversationState.RESOLVED:
                raise conflict("The conversation is resolved: there is no one to warn.")
            count = await protection.warnings(session, conversation.id) + 1
            language = conversation.language or AGENT_LANGUAGE
            text = self._catalog.text("protection.warning", language)
            korean = self._catalog.text("protection.warning", AGENT_LANGUAGE) if language != AGENT_LANGUAGE else None
            message = await reply(session, conversation, Author.AGENT, text, now, agent_id=agent.id, translation=korean)
            conversations.add_event(session, conversation.id, EventType.WARNED, agent.actor, now, count=count,
                                    message_id=message.id)  # fmt: skip
            record = await publish_messages(session, conversation.id, [message], changes)
        changes.publish_to(self._bus)
        return Warned(record, message, count, self._settings.warnings_to_end)

    async def end(self, agent: Agent, conversation_id: str, block_hours: int, note: str) -> Ended:
        """End the conversation under the protocol once the citizen has had the warnings: the
        closing notice in their language, resolved without a disposition (it is no first-contact
        resolution), and with `block_hours` the contact blocked for that long."""
        if not 0 <= block_hours <= self._settings.max_block_hours:
            raise invalid(f"block_hours must be from 0 to {self._settings.max_block_hours}.", "invalid_block_hours")
        note = note.strip()
        changes = Changes()
        now = utcnow()
        async with self._store.write() as session:
            conversation = await self._to_act_on(session, agent, conversation_id)
            if conversation.state is not ConversationState.ASSIGNED:
                raise RefusedMove(conversation.state, Move.RESOLVE)
            if conversation.assigned_agent_id != agent.id and not agent.role.at_least(Role.SUPERVISOR):
                raise forbidden("Another agent holds this conversation.")
            warnings = await protection.warnings(session, conversation.id)
            needed = self._settings.warnings_to_end
            if warnings < needed:
                raise HubError(409, "not_warned_enough",
                               f"The citizen has had {warnings} of the {needed} warnings the protocol asks for first.")  # fmt: skip
            actor = agent.actor
            ended = moved(conversation, Move.RESOLVE, now, disposition=None)
            conversations.add_event(session, conversation.id, EventType.ENDED_UNDER_PROTOCOL, actor, now,
                                    warnings=warnings, block_hours=block_hours, note=note)  # fmt: skip
            conversations.add_event(session, conversation.id, EventType.RESOLVED, actor, now, disposition=None,
                                    reason="ended under the protection protocol")  # fmt: skip
            await agents.idle_from(session, conversation.assigned_agent_id, now)
            notice = await say(session, ended, self._catalog, Author.SYSTEM, "protection.ended", now)
            block = None
            if block_hours:
                block = await protection.add_block(
                    session, conversation.contact.id, conversation.id, now + timedelta(hours=block_hours),
                    note or "ended under the protection protocol", actor, now,
                )  # fmt: skip
                conversations.add_event(session, conversation.id, EventType.CONTACT_BLOCKED, actor, now,
                                        block_id=block.id, until=block.until.isoformat())  # fmt: skip
            await conversations.save(session, ended)
            record = await publish_messages(session, conversation.id, [notice], changes)
        changes.publish_to(self._bus)
        await self._dispatcher.dispatch()  # the agent has room for another conversation
        return Ended(record, block)

    async def _to_act_on(self, session: AsyncSession, agent: Agent, conversation_id: str) -> Conversation:
        """The conversation, locked for the change, if the agent may act on it (hub.access)."""
        return checked(agent, await conversations.to_change(session, conversation_id))

    # -- a supervisor's view --------------------------------------------------------------

    async def blocks(self, active_only: bool) -> list[ContactBlock]:
        async with self._store.read() as session:
            return await protection.blocks(session, utcnow(), active_only)

    async def lift(self, supervisor: Agent, block_id: int, reason: str) -> ContactBlock:
        """Lift a block on the citizen's appeal: audited, and an event on the conversation it
        came from. A block already lifted or run out is a 409."""
        now = utcnow()
        actor = supervisor.actor
        async with self._store.write() as session:
            block = await protection.lift(session, block_id, actor, now)
            if block is None:
                raise not_found("The block")
            if block.lifted_at != now or block.lifted_by != actor:
                raise conflict("The block was already lifted." if block.lifted_at else "The block has run out.")
            audit.record(session, actor, AuditAction.BLOCK_LIFTED, f"contact:{block.contact_id}", now,
                         {"block_id": block.id, "reason": reason})  # fmt: skip
            if block.conversation_id is not None:
                conversations.add_event(session, block.conversation_id, EventType.BLOCK_LIFTED, actor, now,
                                        block_id=block.id, reason=reason)  # fmt: skip
        return block

    async def incidents(self, month: str | None) -> MonthOfIncidents:
        """The abuse incidents of a month of the city's calendar (this month by default)."""
        if month is None:
            month = utcnow().astimezone(self._zone).strftime("%Y-%m")
        if not (found := _MONTH.fullmatch(month)):
            raise invalid(f"month must be YYYY-MM, not {month!r}.", "invalid_month")
        year, number = int(found[1]), int(found[2])
        start = datetime(year, number, 1, tzinfo=self._zone)
        end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=self._zone)
        async with self._store.read() as session:
            incidents = await protection.incidents(session, start, end)
        return MonthOfIncidents(month, self._targets.abuse_incidents_per_month, incidents)
