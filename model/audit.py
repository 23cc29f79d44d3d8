"""The audit log's entries: who did what to whom, and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from model.records import iso


class AuditAction(StrEnum):
    """What an audited actor did. Conversation changes are events, not audit entries."""

    AGENT_ADDED = "agent_added"
    TEAM_CHANGED = "team_changed"
    SESSIONS_REVOKED = "sessions_revoked"
    LOCKED_OUT = "locked_out"
    PERSONAL_DATA_REVEALED = "personal_data_revealed"
    BLOCK_LIFTED = "block_lifted"
    DATA_EXPORTED = "data_exported"
    DATA_ERASED = "data_erased"
    RETENTION_RUN = "retention_run"
    API_KEY_MADE = "api_key_made"
    HOURS_CHANGED = "hours_changed"
    HOLIDAY_SET = "holiday_set"
    HOLIDAY_REMOVED = "holiday_removed"
    DEPARTMENT_CHANGED = "department_changed"
    CANNED_REPLY_CHANGED = "canned_reply_changed"
    AGENT_CHANGED = "agent_changed"
    AGENT_DEACTIVATED = "agent_deactivated"
    AGENT_REACTIVATED = "agent_reactivated"
    PASSWORD_RESET = "password_reset"
    API_KEY_ROTATED = "api_key_rotated"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    """`agent:<username>`, `system` or `cli`."""
    action: AuditAction
    target: str
    """What it was done to, as `<kind>:<id>` (agent:kim, contact:…, conversation:…, message:…)."""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "actor": self.actor,
            "action": self.action.value,
            "target": self.target,
            "detail": self.detail,
        }
