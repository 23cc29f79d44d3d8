"""Departments the centre hands contacts over to (부서이관, 담당자 연결)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from model.errors import conflict, not_found
from model.handovers import Department
from store.tables import DepartmentRow, HandoverRow


@dataclass(frozen=True)
class DepartmentFields:
    """What an administrator sets on a department; on a change, None keeps the present value
    unless the field is named in `cleared`."""

    name: str | None = None
    email: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    phone: str | None = None
    personal_data: bool | None = None
    active: bool | None = None


def department_record(row: DepartmentRow) -> Department:
    return Department(
        id=row.id,
        name=row.name,
        email=row.email,
        webhook_url=row.webhook_url,
        webhook_secret=row.webhook_secret,
        phone=row.phone,
        personal_data=row.personal_data,
        active=row.active,
        directory_id=row.directory_id,
        created_at=row.created_at,
    )


async def all_departments(session: AsyncSession, active_only: bool = False) -> list[Department]:
    """Every department by name (only the active ones when asked)."""
    query = select(DepartmentRow).order_by(DepartmentRow.name)
    if active_only:
        query = query.where(DepartmentRow.active.is_(True))
    return [department_record(row) for row in await session.scalars(query)]


async def department(session: AsyncSession, department_id: int) -> Department | None:
    row = await session.get(DepartmentRow, department_id)
    return department_record(row) if row else None


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(DepartmentRow)) or 0)


async def add(
    session: AsyncSession, given: DepartmentFields, now: datetime, directory_id: str | None = None
) -> Department:
    """A new department; 409 when its name is taken."""
    assert given.name and given.phone
    row = DepartmentRow(
        name=given.name,
        email=given.email,
        webhook_url=given.webhook_url,
        webhook_secret=given.webhook_secret,
        phone=given.phone,
        personal_data=bool(given.personal_data),
        active=given.active is not False,
        directory_id=directory_id,
        created_at=now,
    )
    session.add(row)
    await _flush(session, given.name)
    return department_record(row)


async def change(
    session: AsyncSession, department_id: int, given: DepartmentFields, cleared: Iterable[str] = ()
) -> tuple[Department, dict[str, Any]]:
    """The department after the change, and what changed (field → [before, after], secrets
    shown only as set or not); 404 when there is none, 409 when the new name is taken."""
    row = await session.get(DepartmentRow, department_id)
    if row is None:
        raise not_found(f"The department {department_id}")
    changed: dict[str, Any] = {}
    for item in fields(DepartmentFields):
        value = getattr(given, item.name)
        if value is None and item.name not in cleared:
            continue
        before = getattr(row, item.name)
        if before != value:
            secret = item.name == "webhook_secret"
            changed[item.name] = [bool(before), bool(value)] if secret else [before, value]
            setattr(row, item.name, value)
    await _flush(session, row.name)
    return department_record(row), changed


async def remove(session: AsyncSession, department_id: int) -> Department:
    """Remove a department no handover names; 404 when there is none, 409 when one does
    (deactivate it instead: its handovers keep their history)."""
    row = await session.get(DepartmentRow, department_id)
    if row is None:
        raise not_found(f"The department {department_id}")
    used = await session.scalar(select(HandoverRow.id).where(HandoverRow.department_id == department_id).limit(1))
    if used is not None:
        raise conflict(f"Handovers name {row.name!r}: deactivate it instead (active: false).")
    gone = department_record(row)
    await session.delete(row)
    return gone


async def seed(session: AsyncSession, offices: Iterable[tuple[str, DepartmentFields]], now: datetime) -> int:
    """Add the offices (directory id, fields) when there are no departments yet; returns how many."""
    if await count(session):
        return 0
    added = 0
    for directory_id, given in offices:
        session.add(
            DepartmentRow(
                name=given.name, email=given.email, phone=given.phone, personal_data=False, active=True,
                directory_id=directory_id, created_at=now,
            )
        )  # fmt: skip
        added += 1
    await session.flush()
    return added


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise conflict(f"A department named {name!r} exists already.") from None
