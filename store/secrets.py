"""Secrets the hub makes itself, kept in the database so that restarts and every hub process
use the same ones (the API channel's key when the operator configures none)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.tables import SecretRow


async def value(session: AsyncSession, name: str) -> str | None:
    """The secret called `name`, None when none was made."""
    return await session.scalar(select(SecretRow.value).where(SecretRow.name == name))


async def value_or_make(session: AsyncSession, name: str, make: Callable[[], str], now: datetime) -> tuple[str, bool]:
    """The secret called `name`, made and stored by `make` when there is none; True when made here.
    Two processes making it at once keep the first one stored."""
    found = await value(session, name)
    if found is not None:
        return found, False
    made = make()
    try:
        async with session.begin_nested():
            session.add(SecretRow(name=name, value=made, created_at=now))
    except IntegrityError:  # another process stored it between our read and our insert
        stored = await value(session, name)
        assert stored is not None
        return stored, False
    return made, True


async def replace(session: AsyncSession, name: str, new_value: str, now: datetime) -> None:
    """Store `new_value` as the secret called `name`, in place of any it had."""
    row = await session.get(SecretRow, name, with_for_update=True)
    if row is None:
        session.add(SecretRow(name=name, value=new_value, created_at=now))
    else:
        row.value, row.created_at = new_value, now
    await session.flush()


async def made_at(session: AsyncSession, name: str) -> datetime | None:
    """When the secret called `name` was made (or last replaced); None when none was."""
    return await session.scalar(select(SecretRow.created_at).where(SecretRow.name == name))
