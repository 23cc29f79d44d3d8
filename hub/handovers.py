"""Handovers to departments (부서이관) and officers (담당자 연결).

An agent holding a conversation hands it to a department, or connects the citizen to the
officer in charge: the handover is stored with the conversation's events, the citizen is told
who will contact them (an ordinary reply through their channel), and the conversation is
resolved as `transferred` or `connected`, all in one transaction. The `HandoverSender` then
sends the record to the department, by its webhook (a signed JSON POST) when it has one, else
by e-mail through SMTP, and retries with backoff until it goes (`hub.delivery.backoff`). What is
sent has personal data masked unless the department may receive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chatbot.phone_directory import DEMO_DIRECTORY
from hub.access import checked
from hub.bus import EventBus
from hub.changes import Changes, publish_messages, reply
from hub.delivery import OutboxSettings, backoff
from hub.dispatcher import Dispatcher
from hub.survey import Survey
from model import AGENT_LANGUAGE, Agent, Author, Conversation, ConversationState, EventType, Message, Role
from model.catalog import Catalog
from model.clock import utcnow
from model.errors import HubError, conflict, forbidden, not_found
from model.handovers import PLACEHOLDER_DOMAIN, Delivery, Department, Handover, HandoverKind, HandoverRequest, Via
from model.masking import mask
from router.lifecycle import Move, RefusedMove, moved
from store import agents, conversations
from store import departments as department_store
from store import handovers as handover_store
from store.db import Store
from store.departments import DepartmentFields
from store.handovers import Outcome

if TYPE_CHECKING:  # hub.core builds on hub.config, which reads this module's settings
    from hub.core import Hub

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Dasan-Signature"
"""`sha256=<hex>`: HMAC-SHA256 of the request body with the department's webhook secret."""
SEEDED_KINDS = ("city", "agency", "district_office")
"""The directory's offices that take handovers; emergency hotlines (112, 119…) do not."""
OWN_OFFICE = "seoul-120-dasan-call-center"
SYSTEM = "system"


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP server handover e-mails leave through (`DASAN_SMTP_*`); no host sends none."""

    host: str | None = None
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "dasan-hub@localhost"
    """The From address (`DASAN_HANDOVER_FROM`)."""
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class HandoverSettings:
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    retry: OutboxSettings = field(
        default_factory=lambda: OutboxSettings(
            max_attempts=12, first_retry_seconds=30.0, max_retry_seconds=3600.0, sweep_seconds=5.0
        )
    )
    """Attempts, backoff and how often due retries are looked for (about seven hours in all)."""
    webhook_timeout_seconds: float = 10.0
    lease_seconds: float = 120.0
    """How long a sender keeps a handover it is sending from the other hub processes."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HandoverSettings:
        """From `DASAN_SMTP_HOST`, `_PORT`, `_USER`, `_PASSWORD`, `_STARTTLS` (1 or 0) and
        `DASAN_HANDOVER_FROM`."""
        smtp = SmtpSettings(
            host=env.get("DASAN_SMTP_HOST") or None,
            port=int(env.get("DASAN_SMTP_PORT", SmtpSettings.port)),
            user=env.get("DASAN_SMTP_USER") or None,
            password=env.get("DASAN_SMTP_PASSWORD") or None,
            starttls=env.get("DASAN_SMTP_STARTTLS", "0") == "1",
            sender=env.get("DASAN_HANDOVER_FROM") or SmtpSettings.sender,
        )
        return cls(smtp=smtp)


@dataclass(frozen=True)
class DirectoryOffice:
    """An office of the phone directory, as a department is seeded from it."""

    id: str
    kind: str
    number: str
    names: dict[str, str]
    """Language → display name."""


def directory_offices() -> list[DirectoryOffice]:
    """The phone directory's offices with their display names in each language."""
    offices = []
    for line in DEMO_DIRECTORY.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            names = {language: aliases[0] for language, aliases in record["names"].items() if aliases}
            offices.append(DirectoryOffice(record["id"], record["kind"], record["number"], names))
    return offices


async def seed_departments(store: Store, offices: list[DirectoryOffice]) -> int:
    """Departments from the phone directory when there are none yet, each with a placeholder
    address (`<id>@departments.invalid`: the directory has no addresses) and personal data
    masked. Returns how many were added."""
    seeded = [
        (
            office.id,
            DepartmentFields(name=office.names["ko"], email=f"{office.id}@{PLACEHOLDER_DOMAIN}", phone=office.number),
        )  # fmt: skip
        for office in offices
        if office.kind in SEEDED_KINDS and office.id != OWN_OFFICE
    ]
    try:
        async with store.write() as session:
            return await department_store.seed(session, seeded, utcnow())
    except IntegrityError:  # another hub process seeded them at the same moment
        return 0


# -- what is sent -----------------------------------------------------------------------------


def document(
    handover: Handover, department: Department, conversation: Conversation, messages: list[Message]
) -> dict[str, Any]:
    """The handover as the department receives it (the webhook's JSON, the e-mail's text):
    personal data masked unless the department may receive it."""
    shown = (lambda text: text) if department.personal_data else mask
    return {
        "handover_id": handover.id,
        "kind": handover.kind.value,
        "created_at": handover.created_at.isoformat(),
        "department": department.name,
        "officer": {"name": handover.officer_name, "phone": handover.officer_phone, "email": handover.officer_email},
        "need": shown(handover.need),
        "agent": handover.agent,
        "personal_data_masked": not department.personal_data,
        "conversation": {
            "id": conversation.id,
            "channel": conversation.channel.value,
            "language": conversation.language,
            "category": conversation.category,
            "created_at": conversation.created_at.isoformat(),
        },
        "citizen": {"name": shown(conversation.contact.display_name), "address": shown(conversation.sender)},
        "messages": [
            {
                "at": message.created_at.isoformat(),
                "author": message.author.value,
                "text": shown(message.text),
                **({"korean": shown(message.translation)} if message.translation else {}),
            }
            for message in messages
            if message.created_at < handover.created_at  # what led to it, not the notice and goodbye after
        ],
    }


_KIND_LABEL = {HandoverKind.DEPARTMENT: "부서이관", HandoverKind.OFFICER: "담당자 연결"}
_AUTHOR_LABEL = {"citizen": "시민", "bot": "챗봇", "agent": "상담사", "system": "안내"}


def email_message(sender: str, recipients: list[str], sent: dict[str, Any]) -> EmailMessage:
    """The handover as a plain-text e-mail in Korean, with the JSON record attached."""
    kind = _KIND_LABEL[HandoverKind(sent["kind"])]
    officer = sent["officer"]
    lines = [
        f"120다산콜재단에서 {kind} 요청을 보냅니다.",
        "",
        f"이관 번호: {sent['handover_id']}",
        f"부서: {sent['department']}",
    ]
    if officer["name"]:
        lines.append(f"담당자: {officer['name']} {officer['phone'] or ''} {officer['email'] or ''}".rstrip())
    lines += [
        f"상담사: {sent['agent']}",
        f"채널: {sent['conversation']['channel']}  시민: {sent['citizen']['name']} ({sent['citizen']['address']})",
        "",
        "요청 내용:",
        sent["need"],
        "",
        "상담 내용:",
    ]
    for line in sent["messages"]:
        lines.append(f"[{line['at'][:16].replace('T', ' ')}] {_AUTHOR_LABEL.get(line['author'], line['author'])}: "
                     f"{line['text']}")  # fmt: skip
        if "korean" in line:
            lines.append(f"    (번역) {line['korean']}")
    if sent["personal_data_masked"]:
        lines += ["", "개인정보(주민등록번호, 카드·계좌번호, 전화번호)는 가려져 있습니다."]
    message = EmailMessage()
    message["Subject"] = f"[120다산콜] {kind}: {sent['department']} ({sent['handover_id'][:8]})"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="dasan-hub")
    message.set_content("\n".join(lines))
    message.add_attachment(
        json.dumps(sent, ensure_ascii=False, indent=2).encode(),
        maintype="application",
        subtype="json",
        filename=f"handover-{sent['handover_id']}.json",
    )
    return message


def signature(secret: str, body: bytes) -> str:
    """The webhook's signature header value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SendFailed(Exception):
    def __init__(self, reason: str, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def _send_mail(smtp: SmtpSettings, message: EmailMessage) -> None:
    """One e-mail through the SMTP server (blocking: run in a thread)."""
    assert smtp.host
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(message)


# -- the service ------------------------------------------------------------------------------


class Handovers:
    """Creating handovers and recording the departments' answers."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        dispatcher: Dispatcher,
        catalog: Catalog,
        survey: Survey,
        offices: list[DirectoryOffice],
    ) -> None:
        self._store = store
        self._bus = bus
        self._dispatcher = dispatcher
        self._catalog = catalog
        self._survey = survey
        self._names = {office.id: office.names for office in offices}
        self.wake = asyncio.Event()
        """Set when a handover is waiting to be sent: the sender starts at once."""

    def _department_name(self, department: Department, language: str) -> str:
        """The department's name in the citizen's language when the directory has it."""
        names = self._names.get(department.directory_id or "", {})
        return names.get(language) or department.name

    async def create(
        self, agent: Agent, conversation_id: str, request: HandoverRequest
    ) -> tuple[Conversation, Handover]:
        """Hand the conversation over, tell the citizen who will contact them, and resolve it;
        409 unless it is assigned, 403 unless the agent holds it (or supervises)."""
        changes = Changes()
        async with self._store.write() as session:
            conversation = await conversations.to_change(session, conversation_id)
            if conversation is None:
                raise not_found("The conversation")
            if conversation.state is not ConversationState.ASSIGNED:
                raise RefusedMove(conversation.state, Move.RESOLVE)
            if conversation.assigned_agent_id != agent.id and not agent.role.at_least(Role.SUPERVISOR):
                raise forbidden("Another agent holds this conversation.")
            department = await department_store.department(session, request.department_id)
            if department is None or not department.active:
                raise HubError(422, "unknown_department", f"There is no active department {request.department_id}.")
            now = utcnow()
            handover = await handover_store.add(session, conversation.id, agent.id, request, now)
            actor = agent.actor
            conversations.add_event(session, conversation.id, EventType.HANDED_OVER, actor, now,
                                    handover_id=handover.id, kind=request.kind.value, department=department.name,
                                    department_id=department.id, officer=request.officer_name)  # fmt: skip
            notice, conversation = await self._tell_citizen(session, conversation, agent, department, request, now)
            disposition = request.kind.disposition
            resolved = moved(conversation, Move.RESOLVE, now, disposition=disposition)
            conversations.add_event(session, conversation.id, EventType.RESOLVED, actor, now, disposition=disposition)
            await agents.idle_from(session, conversation.assigned_agent_id, now)
            closing = await self._survey.close(session, resolved, now)
            await conversations.save(session, resolved)
            record = await publish_messages(session, resolved.id, [notice, closing], changes)
        changes.publish_to(self._bus)
        self.wake.set()
        await self._dispatcher.dispatch()
        return record, handover

    async def _tell_citizen(
        self,
        session: AsyncSession,
        conversation: Conversation,
        agent: Agent,
        department: Department,
        request: HandoverRequest,
        now: datetime,
    ) -> tuple[Message, Conversation]:
        """Who will contact the citizen, in their language with the Korean beside it for agents,
        sent as the agent's reply (their first response when they had not answered yet)."""
        if conversation.first_response_at is None:
            conversation = replace(conversation, first_response_at=now)
            conversations.add_event(session, conversation.id, EventType.FIRST_RESPONSE, agent.actor, now)
        language = conversation.language or AGENT_LANGUAGE
        key = (
            "handover.officer"
            if request.kind is HandoverKind.OFFICER and request.officer_name
            else "handover.department"
        )

        def text(in_language: str) -> str:
            return self._catalog.text(key, in_language, department=self._department_name(department, in_language),
                                      officer=request.officer_name or "", phone=department.phone)  # fmt: skip

        korean = text(AGENT_LANGUAGE) if language != AGENT_LANGUAGE else None
        notice = await reply(session, conversation, Author.AGENT, text(language), now, agent_id=agent.id,
                             translation=korean)  # fmt: skip
        return notice, conversation

    async def readable(self, agent: Agent, handover_id: str) -> Handover:
        """The handover if the agent may read its conversation: 404 when there is none, 403 when
        the conversation is not theirs."""
        async with self._store.read() as session:
            found = await handover_store.handover(session, handover_id)
            if found is None:
                raise not_found("The handover")
            checked(agent, await conversations.conversation(session, found.conversation_id))
        return found

    async def answer(self, agent: Agent, handover_id: str, text: str) -> Handover:
        """Record the department's answer on the handover and its conversation: by an agent
        who may read the conversation, or a supervisor; 409 when it has one already."""
        async with self._store.write() as session:
            found = await handover_store.handover(session, handover_id)
            if found is None:
                raise not_found("The handover")
            conversation = await conversations.conversation(session, found.conversation_id)
            checked(agent, conversation)
            if found.answered_at is not None:
                raise conflict(f"The department's answer was recorded already, by {found.answered_by}.")
            now = utcnow()
            answered = await handover_store.record_answer(session, handover_id, text, agent.actor, now)
            conversations.add_event(session, found.conversation_id, EventType.HANDOVER_ANSWERED, agent.actor, now,
                                    handover_id=handover_id, department=found.department, answer=text)  # fmt: skip
        return answered


# -- the sender -------------------------------------------------------------------------------


class HandoverSender:
    """Sends pending handovers until they go: by webhook or e-mail, each attempt with a
    timeout, retried with backoff; the outcome is stored and, once sent or given up, an event
    on the conversation."""

    def __init__(self, store: Store, settings: HandoverSettings, wake: asyncio.Event) -> None:
        self._store = store
        self.settings = settings
        self._wake = wake
        self._http: aiohttp.ClientSession | None = None

    async def run(self) -> None:
        """Send until cancelled: at once when woken, else every sweep."""
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.webhook_timeout_seconds))
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.retry.sweep_seconds):
                        await self._wake.wait()
                self._wake.clear()
                try:
                    while await self.send_due():
                        pass
                except Exception:
                    log.exception("handover round failed")
        finally:
            await self._http.close()

    async def send_due(self) -> int:
        """Send the handovers that are due now; returns how many were tried."""
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        async with self._store.write() as session:
            taken = [h for h in await handover_store.due(session, now) if await handover_store.take(session, h, lease)]
        for handover in taken:
            await self._send_one(handover)
        return len(taken)

    async def _send_one(self, handover: Handover) -> None:
        async with self._store.read() as session:
            department = await department_store.department(session, handover.department_id)
            conversation = await conversations.conversation(session, handover.conversation_id)
            messages = await conversations.messages(session, handover.conversation_id)
        assert department is not None and conversation is not None
        via = department.via or (Via.EMAIL if handover.officer_email else None)
        try:
            sent = document(handover, department, conversation, messages)
            if via is Via.WEBHOOK:
                await self._post(department, sent)
            elif via is Via.EMAIL:
                await self._mail(department, handover, sent)
            else:
                raise SendFailed(f"{department.name} has neither an e-mail address nor a webhook")
            outcome = Outcome(handover.id, Delivery.SENT, via)
        except SendFailed as failure:
            outcome = self._failed(handover, via, failure)
        except Exception as error:  # a bug in one handover must not stop the others
            log.exception("sending handover %s failed", handover.id)
            outcome = self._failed(handover, via, SendFailed(f"{type(error).__name__}: {error}"))
        now = utcnow()
        async with self._store.write() as session:
            await handover_store.record_outcome(session, outcome, now)
            if outcome.delivery is Delivery.SENT:
                conversations.add_event(session, handover.conversation_id, EventType.HANDOVER_SENT, SYSTEM, now,
                                        handover_id=handover.id, via=via.value if via else None)  # fmt: skip
            elif outcome.delivery is Delivery.FAILED:
                conversations.add_event(session, handover.conversation_id, EventType.HANDOVER_FAILED, SYSTEM, now,
                                        handover_id=handover.id, error=outcome.error)  # fmt: skip

    def _failed(self, handover: Handover, via: Via | None, failure: SendFailed) -> Outcome:
        attempts = handover.attempts + 1
        error = failure.reason[:500]
        if not failure.retryable or attempts >= self.settings.retry.max_attempts:
            log.warning("handover %s failed after %d attempts: %s", handover.id, attempts, failure.reason)
            return Outcome(handover.id, Delivery.FAILED, via, error)
        retry_at = utcnow() + timedelta(seconds=backoff(attempts, self.settings.retry))
        log.info("handover %s not sent (attempt %d), retrying: %s", handover.id, attempts, failure.reason)
        return Outcome(handover.id, Delivery.PENDING, via, error, retry_at)

    async def _post(self, department: Department, sent: dict[str, Any]) -> None:
        assert self._http is not None and department.webhook_url
        if not department.webhook_secret:
            raise SendFailed(f"{department.name} has a webhook but no secret to sign it with")
        body = json.dumps(sent, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(department.webhook_secret, body),
            "X-Dasan-Handover": sent["handover_id"],
        }
        try:
            async with self._http.post(department.webhook_url, data=body, headers=headers) as response:
                if response.status < 300:
                    return
                retryable = response.status >= 500 or response.status in (408, 429)
                raise SendFailed(f"the webhook answered {response.status}", retryable=retryable)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendFailed(f"the webhook is unreachable ({type(error).__name__}: {error})") from None

    async def _mail(self, department: Department, handover: Handover, sent: dict[str, Any]) -> None:
        smtp = self.settings.smtp
        if not smtp.host:
            raise SendFailed("no SMTP server is configured (DASAN_SMTP_HOST)")
        if department.placeholder_email and not handover.officer_email:
            raise SendFailed(f"{department.name} has only a placeholder address ({department.email}); set its real one")
        recipients = [a for a in (department.email, handover.officer_email) if a and not a.endswith(PLACEHOLDER_DOMAIN)]
        message = email_message(smtp.sender, recipients, sent)
        try:
            await asyncio.to_thread(_send_mail, smtp, message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            raise SendFailed(f"the SMTP server refused {', '.join(refused.recipients)}",
                             retryable=any(code < 500 for code in codes)) from None  # fmt: skip
        except smtplib.SMTPResponseException as error:
            raise SendFailed(f"the SMTP server answered {error.smtp_code}: {error.smtp_error!r}",
                             retryable=error.smtp_code < 500) from None  # fmt: skip
        except (smtplib.SMTPException, OSError) as error:
            raise SendFailed(f"the SMTP server is unreachable ({type(error).__name__}: {error})") from None


# -- wiring -----------------------------------------------------------------------------------

HANDOVERS = web.AppKey("handovers", Handovers)


def setup(app: web.Application, hub: Hub) -> None:
    """Keep the service on the app; once the store is open (after the hub's own start), seed
    the departments and run the sender until the app stops."""
    offices = directory_offices()
    survey = Survey(hub.catalog, hub.settings.survey)
    handovers = Handovers(hub.store, hub.bus, hub.dispatcher, hub.catalog, survey, offices)
    app[HANDOVERS] = handovers

    async def sending(app: web.Application) -> AsyncIterator[None]:
        added = await seed_departments(hub.store, offices)
        if added:
            log.info("added %d departments from the phone directory (placeholder addresses)", added)
        task = asyncio.create_task(HandoverSender(hub.store, hub.settings.handover, handovers.wake).run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(sending)
