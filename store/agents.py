"""Agents, their presence and their login tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Agent, AgentState
from store.conversations import held_by_agent, new_id
from store.records import agent_record
from store.tables import AgentRow, AuthTokenRow


async def by_username(session: AsyncSession, username: str) -> AgentRow | None:
    return await session.scalar(select(AgentRow).where(AgentRow.username == username))


async def create(session: AsyncSession, **fields: object) -> AgentRow:
    row = AgentRow(id=new_id(), **fields)
    session.add(row)
    await session.flush()
    return row


async def records(session: AsyncSession, rows: list[AgentRow]) -> list[Agent]:
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


async def record(session: AsyncSession, row: AgentRow) -> Agent:
    return (await records(session, [row]))[0]


async def all_agents(session: AsyncSession) -> list[AgentRow]:
    return list(await session.scalars(select(AgentRow).order_by(AgentRow.username)))


async def count(session: AsyncSession) -> int:
    return len(await all_agents(session))


async def add_token(session: AsyncSession, token_hash: str, agent_id: str, now: datetime, expires_at: datetime) -> None:
    session.add(AuthTokenRow(token_hash=token_hash, agent_id=agent_id, created_at=now, expires_at=expires_at))


async def agent_for_token(session: AsyncSession, token_hash: str, now: datetime) -> AgentRow | None:
    token = await session.get(AuthTokenRow, token_hash)
    if token is None or token.expires_at <= now:
        return None
    return await session.get(AgentRow, token.agent_id)


async def drop_token(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(AuthTokenRow).where(AuthTokenRow.token_hash == token_hash))
