"""Canned replies (상용구): centre-wide, a team's, or one agent's own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from model.canned import CannedReply, CannedScope
from model.errors import conflict, not_found
from store.tables import AgentRow, CannedReplyRow, PartMemberRow, PartRow, TeamRow


def scope_key(scope: CannedScope, team_id: int | None, owner_id: str | None) -> str:
    """The key a code is unique within."""
    if scope is CannedScope.TEAM:
        return f"team:{team_id}"
    if scope is CannedScope.PERSONAL:
        return f"agent:{owner_id}"
    return "centre"


async def team_of(session: AsyncSession, agent_id: str) -> int | None:
    """The id of the agent's team (through their part), if they are in one."""
    return await session.scalar(
        select(PartRow.team_id)
        .join(PartMemberRow, PartMemberRow.part_id == PartRow.id)
        .where(PartMemberRow.agent_id == agent_id)
    )


async def usable(session: AsyncSession, agent_id: str, team_id: int | None) -> list[CannedReply]:
    """The centre's replies, the team's and the agent's own, by code."""
    keys = ["centre", f"agent:{agent_id}"] + ([f"team:{team_id}"] if team_id is not None else [])
    return await _records(session, CannedReplyRow.scope_key.in_(keys))


async def shared(session: AsyncSession) -> list[CannedReply]:
    """The centre's and every team's replies, by code (agents' own are theirs alone)."""
    return await _records(session, CannedReplyRow.owner_id.is_(None))


async def reply(session: AsyncSession, reply_id: int) -> CannedReply:
    """One canned reply; 404 when there is none with that id."""
    found = await _records(session, CannedReplyRow.id == reply_id)
    if not found:
        raise not_found(f"The canned reply {reply_id}")
    return found[0]


async def create(
    session: AsyncSession,
    *,
    code: str,
    title: str,
    scope: CannedScope,
    texts: dict[str, str],
    team_id: int | None,
    owner_id: str | None,
    actor: str,
    now: datetime,
) -> CannedReply:
    """A new canned reply; 404 for an unknown team, 409 when its scope has the code already."""
    if team_id is not None and await session.get(TeamRow, team_id) is None:
        raise not_found(f"The team {team_id}")
    key = scope_key(scope, team_id, owner_id)
    await _code_free(session, key, code)
    row = CannedReplyRow(code=code, title=title, scope=scope.value, team_id=team_id, owner_id=owner_id,
                         scope_key=key, texts=texts, updated_by=actor, updated_at=now)  # fmt: skip
    session.add(row)
    await _flush(session, code)
    return await reply(session, row.id)


async def update(
    session: AsyncSession,
    reply_id: int,
    *,
    code: str | None,
    title: str | None,
    texts: dict[str, str] | None,
    actor: str,
    now: datetime,
) -> CannedReply:
    """Change what is given of code, title and texts (the texts as a whole); 409 for a code taken."""
    row = await session.get(CannedReplyRow, reply_id)
    if row is None:
        raise not_found(f"The canned reply {reply_id}")
    if code is not None and code != row.code:
        await _code_free(session, row.scope_key, code)
        row.code = code
    if title is not None:
        row.title = title
    if texts is not None:
        row.texts = texts
    row.updated_by, row.updated_at = actor, now
    await _flush(session, row.code)
    return await reply(session, reply_id)


async def delete(session: AsyncSession, reply_id: int) -> None:
    row = await session.get(CannedReplyRow, reply_id)
    if row is None:
        raise not_found(f"The canned reply {reply_id}")
    await session.delete(row)
    await session.flush()


async def _records(session: AsyncSession, condition: ColumnElement[bool]) -> list[CannedReply]:
    rows = await session.execute(
        select(CannedReplyRow, TeamRow.name, AgentRow.username)
        .outerjoin(TeamRow, TeamRow.id == CannedReplyRow.team_id)
        .outerjoin(AgentRow, AgentRow.id == CannedReplyRow.owner_id)
        .where(condition)
        .order_by(CannedReplyRow.code, CannedReplyRow.id)
    )
    return [
        CannedReply(
            row.id,
            row.code,
            row.title,
            CannedScope(row.scope),
            dict(row.texts),
            row.team_id,
            team,
            owner,
            row.updated_at,
            row.updated_by,
        )  # fmt: skip
        for row, team, owner in rows
    ]


async def _code_free(session: AsyncSession, key: str, code: str) -> None:
    taken = select(CannedReplyRow.id).where(CannedReplyRow.scope_key == key, CannedReplyRow.code == code)
    if await session.scalar(taken) is not None:
        raise conflict(f"A canned reply with the code {code!r} exists already in this scope.")


async def _flush(session: AsyncSession, code: str) -> None:
    """Flush a new or changed code; another writer may have taken it since the check."""
    try:
        await session.flush()
    except IntegrityError:
        raise conflict(f"A canned reply with the code {code!r} exists already in this scope.") from None
