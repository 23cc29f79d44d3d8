"""Failed logins, counted in the database so that every hub process sees the same counts, and
the login tokens' use and revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.tables import AuthTokenRow, LoginFailureRow


async def latest_failures(
    session: AsyncSession, limit: int, *, username: str | None = None, address: str | None = None
) -> list[datetime]:
    """The times of the latest `limit` failed logins of a username or from an address, newest first."""
    query = select(LoginFailureRow.at).order_by(LoginFailureRow.at.desc()).limit(limit)
    if username is not None:
        query = query.where(LoginFailureRow.username == username)
    if address is not None:
        query = query.where(LoginFailureRow.address == address)
    return list(await session.scalars(query))


async def add_failure(
    session: AsyncSession, username: str, address: str, at: datetime, forget_before: datetime
) -> None:
    """Count one failed login, and prune the failures older than `forget_before` (they no longer count)."""
    await session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < forget_before))
    session.add(LoginFailureRow(username=username, address=address, at=at))


async def clear_failures(session: AsyncSession, username: str) -> None:
    """A successful login forgets the username's failures."""
    await session.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username))


@dataclass(frozen=True)
class TokenUse:
    """A login token as the session rules read it."""

    agent_id: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime
    """When a request last came with it (its creation until then)."""


async def token_use(session: AsyncSession, token_hash: str) -> TokenUse | None:
    """The token with this digest, None when there is none (never issued, logged out or revoked)."""
    row = await session.get(AuthTokenRow, token_hash)
    if row is None:
        return None
    return TokenUse(row.agent_id, row.created_at, row.expires_at, row.last_used_at or row.created_at)


async def mark_used(session: AsyncSession, token_hash: str, at: datetime) -> None:
    await session.execute(update(AuthTokenRow).where(AuthTokenRow.token_hash == token_hash).values(last_used_at=at))


async def revoke_tokens(session: AsyncSession, agent_id: str) -> int:
    """Drop every token of the agent (logged out everywhere); how many there were."""
    result = await session.execute(delete(AuthTokenRow).where(AuthTokenRow.agent_id == agent_id))
    return result.rowcount or 0


async def drop_expired_tokens(session: AsyncSession, now: datetime) -> None:
    """Forget the tokens past their absolute lifetime."""
    await session.execute(delete(AuthTokenRow).where(AuthTokenRow.expires_at <= now))
