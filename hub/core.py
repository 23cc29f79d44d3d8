"""The hub's parts, built once by the app factory and handed to whoever needs them."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from channels.base import ChannelParts
from chatbot.knowledge.base import KnowledgeBase
from chatbot.switch import BotSwitch
from hub import access
from hub.auth import Auth
from hub.bus import EventBus, MessageChanged
from hub.callbacks import Callbacks
from hub.config import Settings
from hub.contacts import ContactLinks
from hub.desk import Desk
from hub.dispatcher import Dispatcher
from hub.editorial import Editorial
from hub.hours import Hours
from hub.ingest import Ingest
from hub.limits import CitizenLimits
from hub.protection import Protection
from hub.questions import Questions
from hub.video_codes import VideoCodes
from model import Agent, Channel, Conversation, Inbound, IngestResult, Message, MessageStatus, Role
from model.catalog import Catalog
from model.errors import forbidden, not_found
from store import conversations
from store.db import Store
from translation.service import Translator

_FINAL_STATUSES = (MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED)


@dataclass
class Hub:
    """Everything a request handler may need; also the `HubPort` the channels talk to."""

    settings: Settings
    store: Store
    bus: EventBus
    catalog: Catalog
    knowledge: KnowledgeBase
    editorial: Editorial
    questions: Questions
    dispatcher: Dispatcher
    ingest: Ingest
    desk: Desk
    protection: Protection
    auth: Auth
    contacts: ContactLinks
    bot: BotSwitch
    translator: Translator
    hours: Hours
    """Queue hours and holidays: which queues are open, and who serves a closed one."""
    callbacks: Callbacks
    """Callback tasks (재통화): made, brought back to an agent when due, closed with an outcome."""
    channels: dict[Channel, ChannelParts] = field(default_factory=dict)
    """The running channels, as their `setup` built them."""
    video_codes: VideoCodes = field(default_factory=VideoCodes)
    limits: CitizenLimits = field(default_factory=CitizenLimits)

    async def receive(self, inbound: Inbound) -> IngestResult:
        """A citizen's message from a channel: 429 before anything is stored when the sender or
        their conversation sends too fast, else stored and routed."""
        current = await self.conversation(inbound.channel, inbound.sender)
        self.limits.admit(inbound, current.id if current else None)
        result = await self.ingest.receive(inbound)
        if current is None or current.id != result.conversation_id:
            self.limits.opened(result.conversation_id)
        return result

    async def conversation(self, channel: Channel, sender: str) -> Conversation | None:
        async with self.store.read() as session:
            return await conversations.latest_conversation(session, channel, sender)

    async def history(self, channel: Channel, sender: str) -> tuple[Conversation | None, list[Message]]:
        async with self.store.read() as session:
            latest = await conversations.latest_conversation(session, channel, sender)
            if latest is None:
                return None, []
            return latest, await conversations.messages(session, latest.id)

    async def messages_after(self, channel: Channel, sender: str, after: int | None) -> list[Message]:
        async with self.store.read() as session:
            return await conversations.messages_for_sender(session, channel, sender, after)

    async def citizen_left(self, channel: Channel, sender: str) -> Conversation | None:
        current = await self.conversation(channel, sender)
        return await self.desk.citizen_left(current.id) if current else None

    def texts(self, language: str, prefix: str) -> dict[str, str]:
        """Citizen-facing texts of the hub's catalogue and the running channels' own."""
        return self.catalog.texts(language, prefix)

    async def status_reported(
        self, channel: Channel, provider_message_id: str, status: MessageStatus, error: str | None = None
    ) -> Message | None:
        async with self.store.write() as session:
            found = await conversations.outbound_by_provider_id(session, channel, provider_message_id)
            if found is None:
                return None
            # Providers do not promise their reports arrive in order: a late "sent" after
            # "delivered" is old news.
            if status is MessageStatus.SENT and found.status in _FINAL_STATUSES:
                return found
            await conversations.set_status(session, [found.id], status, error)
            [(record, message)] = await conversations.changed_messages(session, [found.id])
        self.bus.publish(MessageChanged(record, message))
        return message

    async def take_held(self, channel: Channel, sender: str) -> list[Message]:
        async with self.store.write() as session:
            held = await conversations.held_for(session, channel, sender)
            await conversations.set_status(session, [m.id for m in held], MessageStatus.DELIVERED, None)
            changed = await conversations.changed_messages(session, [m.id for m in held])
        self.bus.publish(*(MessageChanged(record, message) for record, message in changed))
        return [message for _, message in changed]

    async def video_code(self, channel: Channel, sender: str) -> str:
        current = await self.conversation(channel, sender)
        if current is None:
            raise not_found("A conversation to open a video call from")
        return self.video_codes.issue(current.id)

    def redeem_video_code(self, code: str) -> str | None:
        return self.video_codes.redeem(code)

    async def agent_lost(self, conversation_id: str, agent_id: str) -> Conversation:
        return await self.desk.agent_lost(conversation_id, agent_id)

    async def supervisor(self, request: web.Request) -> Agent:
        agent = await self.auth.agent(request)
        if not agent.role.at_least(Role.SUPERVISOR):
            raise forbidden("Only supervisors may do this.")
        return agent

    async def agent_holding(self, request: web.Request, conversation_id: str) -> Agent:
        agent = await self.auth.agent(request)
        async with self.store.read() as session:
            held = await conversations.conversation(session, conversation_id)
        if held is None:
            raise not_found("The conversation")
        if not access.holding(agent, held):
            raise forbidden("This conversation is not assigned to you.")
        return agent


HUB = web.AppKey("hub", Hub)
