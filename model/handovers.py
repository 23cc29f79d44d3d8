"""Departments and handovers (부서이관, 담당자 연결): a contact the centre hands to a department
or whose citizen it connects to the officer in charge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from model.records import iso

PLACEHOLDER_DOMAIN = "departments.invalid"
"""The domain of the addresses given to departments seeded without one: `.invalid` is never
delivered (RFC 2606), so nothing leaves until an administrator sets the real address."""


class HandoverKind(StrEnum):
    DEPARTMENT = "department"
    """부서이관: the department takes the matter over (disposition `transferred`)."""
    OFFICER = "officer"
    """담당자 연결: the officer in charge contacts the citizen (disposition `connected`)."""

    @property
    def disposition(self) -> str:
        return "transferred" if self is HandoverKind.DEPARTMENT else "connected"


@dataclass(frozen=True)
class HandoverRequest:
    """What the agent fills in to hand a conversation over."""

    department_id: int
    kind: HandoverKind
    need: str
    officer_name: str | None = None
    officer_phone: str | None = None
    officer_email: str | None = None


class Delivery(StrEnum):
    """Where sending a handover to its department stands."""

    PENDING = "pending"
    """Not sent yet: tried again after a backoff."""
    SENT = "sent"
    FAILED = "failed"
    """Given up after the last attempt, or refused for good (no address, a 4xx)."""


class Via(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class Department:
    id: int
    name: str
    email: str | None
    webhook_url: str | None
    webhook_secret: str | None
    phone: str
    personal_data: bool
    active: bool
    directory_id: str | None
    created_at: datetime

    @property
    def placeholder_email(self) -> bool:
        """Whether its address is the placeholder it was seeded with."""
        return bool(self.email) and (self.email or "").endswith("@" + PLACEHOLDER_DOMAIN)

    @property
    def via(self) -> Via | None:
        """How a handover reaches it: its webhook when it has one, else e-mail."""
        if self.webhook_url:
            return Via.WEBHOOK
        return Via.EMAIL if self.email else None

    def to_json(self, with_secret: bool = False) -> dict[str, Any]:
        """The department as the API shows it; its webhook secret only to administrators."""
        shown: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "placeholder_email": self.placeholder_email,
            "webhook_url": self.webhook_url,
            "phone": self.phone,
            "personal_data": self.personal_data,
            "active": self.active,
            "directory_id": self.directory_id,
            "created_at": iso(self.created_at),
        }
        if with_secret:
            shown["webhook_secret"] = self.webhook_secret
        return shown


@dataclass(frozen=True)
class Handover:
    id: str
    conversation_id: str
    department_id: int
    department: str
    agent_id: str
    agent: str
    """The username of the agent who handed it over."""
    kind: HandoverKind
    officer_name: str | None
    officer_phone: str | None
    officer_email: str | None
    need: str
    created_at: datetime
    delivery: Delivery
    via: Via | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "department": {"id": self.department_id, "name": self.department},
            "agent": self.agent,
            "kind": self.kind.value,
            "officer": {"name": self.officer_name, "phone": self.officer_phone, "email": self.officer_email},
            "need": self.need,
            "created_at": iso(self.created_at),
            "delivery": self.delivery.value,
            "via": self.via.value if self.via else None,
            "attempts": self.attempts,
            "next_attempt_at": iso(self.next_attempt_at),
            "last_error": self.last_error,
            "sent_at": iso(self.sent_at),
            "answer": self.answer,
            "answered_at": iso(self.answered_at),
            "answered_by": self.answered_by,
        }
