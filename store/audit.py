"""The audit log: written in the same transaction as the change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from model.audit import AuditAction, AuditEntry
from store.tables import AuditRow


def record(
    session: AsyncSession,
    actor: str,
    action: AuditAction,
    target: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one entry; it commits or rolls back with the session's transaction."""
    session.add(AuditRow(at=at, actor=actor, action=action.value, target=target, detail=detail or {}))


async def entries(
    session: AsyncSession,
    *,
    target: str | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest entries first, optionally for one target, one action or since a time."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if target is not None:
        query = query.where(AuditRow.target == target)
    if action is not None:
        query = query.where(AuditRow.action == action.value)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    return [
        AuditEntry(row.id, row.at, row.actor, AuditAction(row.action), row.target, row.detail)
        for row in await session.scalars(query)
    ]
