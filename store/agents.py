"""Agents, their presence and their login tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Agent, AgentState, Role
from store.conversations import held_by_agent, new_id
from store.mapping import agent_record
from store.tables import AgentRow, AuthTokenRow


async def _with_load(session: AsyncSession, rows: list[AgentRow]) -> list[Agent]:
    """Agents with their load; an available agent with no free chat place shows as busy."""
    held = await held_by_agent(session)
    result = []
    for row in rows:
        load = held.get(row.id, {})
        record = agent_record(row, sum(load.values()))
        full = load.get("chat", 0) >= record.capacity.get("chat", 0) or load.get("video", 0) > 0
        if record.state is AgentState.AVAILABLE and full:
            record = replace(record, state=AgentState.BUSY)
        result.append(record)
    return result


async def agent(session: AsyncSession, agent_id: str) -> Agent | None:
    row = await session.get(AgentRow, agent_id)
    return (await _with_load(session, [row]))[0] if row else None


async def by_username(session: AsyncSession, username: str) -> Agent | None:
    row = await session.scalar(select(AgentRow).where(AgentRow.username == username))
    return (await _with_load(session, [row]))[0] if row else None


async def as_set(session: AsyncSession, username: str) -> Agent | None:
    """The agent with the presence they set themselves, never shown busy for a full chat load:
    for a check that weighs capacity per channel kind on its own (a transfer)."""
    row = await session.scalar(select(AgentRow).where(AgentRow.username == username))
    return agent_record(row) if row else None


async def password_hash(session: AsyncSession, username: str) -> tuple[str, str] | None:
    """The agent's id and password hash, for logging in; None for a deactivated agent too."""
    row = await session.scalar(select(AgentRow).where(AgentRow.username == username, AgentRow.active.is_(True)))
    return (row.id, row.password_hash) if row else None


async def create(session: AsyncSession, **fields: object) -> Agent:
    row = AgentRow(id=new_id(), **fields)
    session.add(row)
    await session.flush()
    return agent_record(row)


async def all_agents(session: AsyncSession) -> list[Agent]:
    rows = list(await session.scalars(select(AgentRow).order_by(AgentRow.username)))
    return await _with_load(session, rows)


async def available(session: AsyncSession) -> list[Agent]:
    """Agents whose presence is available, whatever they hold (the router counts that)."""
    rows = await session.scalars(
        select(AgentRow).where(AgentRow.state == AgentState.AVAILABLE.value, AgentRow.active.is_(True))
    )
    return [agent_record(row) for row in rows]


async def update(session: AsyncSession, agent_id: str, **fields: object) -> Agent:
    """Change the agent's profile fields (display name, role, skills, languages, capacity, password hash)."""
    row = await session.get(AgentRow, agent_id)
    assert row is not None
    for name, value in fields.items():
        setattr(row, name, value)
    await session.flush()
    return (await _with_load(session, [row]))[0]


async def set_active(session: AsyncSession, agent_id: str, active: bool, now: datetime) -> Agent:
    """Deactivate (set offline, no more offers) or reactivate (offline until they say otherwise) the agent."""
    row = await session.get(AgentRow, agent_id)
    assert row is not None
    row.active = active
    row.deactivated_at = None if active else now
    row.state = AgentState.OFFLINE.value
    await session.flush()
    return (await _with_load(session, [row]))[0]


async def active_admins(session: AsyncSession) -> list[str]:
    """The usernames of the active administrators."""
    query = select(AgentRow.username).where(AgentRow.role == Role.ADMIN.value, AgentRow.active.is_(True))
    return list(await session.scalars(query.with_for_update()))


async def count(session: AsyncSession) -> int:
    return len(list(await session.scalars(select(AgentRow.id))))


async def set_presence(session: AsyncSession, agent_id: str, state: AgentState, now: datetime) -> Agent | None:
    """Becoming available starts the idle clock (the longest idle agent is offered first)."""
    row = await session.get(AgentRow, agent_id)
    if row is None:
        return None
    if state is AgentState.AVAILABLE and row.state != state.value:
        row.idle_since = now
    row.state = state.value
    await session.flush()
    return (await _with_load(session, [row]))[0]


async def idle_from(session: AsyncSession, agent_id: str | None, now: datetime) -> None:
    """A conversation left this agent: their idle time counts from now."""
    row = await session.get(AgentRow, agent_id) if agent_id else None
    if row is not None:
        row.idle_since = now


async def add_token(session: AsyncSession, token_hash: str, agent_id: str, now: datetime, expires_at: datetime) -> None:
    session.add(AuthTokenRow(token_hash=token_hash, agent_id=agent_id, created_at=now, expires_at=expires_at))


async def agent_for_token(session: AsyncSession, token_hash: str, now: datetime) -> Agent | None:
    token = await session.get(AuthTokenRow, token_hash)
    if token is None or token.expires_at <= now:
        return None
    return await agent(session, token.agent_id)


async def drop_token(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(AuthTokenRow).where(AuthTokenRow.token_hash == token_hash))
