"""Teams and parts of agents (팀, 파트), and which part each agent is in."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from model import Member, Part, Team
from model.errors import conflict, not_found
from store.tables import AgentRow, PartMemberRow, PartRow, TeamRow


async def all_teams(session: AsyncSession) -> list[Team]:
    """Every team with its parts and their agents, by name."""
    teams = list(await session.scalars(select(TeamRow).order_by(TeamRow.name)))
    return await _with_parts(session, teams)


async def team(session: AsyncSession, team_id: int) -> Team:
    """One team with its parts; 404 when there is none with that id."""
    row = await session.get(TeamRow, team_id)
    if row is None:
        raise not_found(f"The team {team_id}")
    return (await _with_parts(session, [row]))[0]


async def team_named(session: AsyncSession, name: str) -> Team:
    """One team by its name; 404 when there is none."""
    row = await session.scalar(select(TeamRow).where(TeamRow.name == name))
    if row is None:
        raise not_found(f"The team {name!r}")
    return (await _with_parts(session, [row]))[0]


async def create_team(session: AsyncSession, name: str) -> Team:
    """A new team without parts; 409 when the name is taken."""
    await _name_free(session, name)
    row = TeamRow(name=name)
    session.add(row)
    await _flush(session, f"A team named {name!r} exists already.")
    return Team(row.id, row.name)


async def rename_team(session: AsyncSession, team_id: int, name: str) -> Team:
    row = await session.get(TeamRow, team_id)
    if row is None:
        raise not_found(f"The team {team_id}")
    if row.name != name:
        await _name_free(session, name)
        row.name = name
        await _flush(session, f"A team named {name!r} exists already.")
    return (await _with_parts(session, [row]))[0]


async def delete_team(session: AsyncSession, team_id: int) -> None:
    """The team goes with its parts; their agents are then in no part."""
    if await session.get(TeamRow, team_id) is None:
        raise not_found(f"The team {team_id}")
    parts = select(PartRow.id).where(PartRow.team_id == team_id)
    await session.execute(delete(PartMemberRow).where(PartMemberRow.part_id.in_(parts)))
    await session.execute(delete(PartRow).where(PartRow.team_id == team_id))
    await session.execute(delete(TeamRow).where(TeamRow.id == team_id))


async def create_part(session: AsyncSession, team_id: int, name: str) -> Part:
    """A new part of the team; 404 for an unknown team, 409 when the team has a part of that name."""
    if await session.get(TeamRow, team_id) is None:
        raise not_found(f"The team {team_id}")
    await _part_name_free(session, team_id, name)
    row = PartRow(team_id=team_id, name=name)
    session.add(row)
    await _flush(session, f"The team has a part named {name!r} already.")
    return Part(row.id, row.team_id, row.name)


async def part_named(session: AsyncSession, team_name: str, part_name: str) -> Part:
    """A part by its team's name and its own; 404 when either is unknown."""
    found = await team_named(session, team_name)
    for part in found.parts:
        if part.name == part_name:
            return part
    raise not_found(f"The part {part_name!r} of the team {team_name!r}")


async def rename_part(session: AsyncSession, part_id: int, name: str) -> Part:
    row = await session.get(PartRow, part_id)
    if row is None:
        raise not_found(f"The part {part_id}")
    if row.name != name:
        await _part_name_free(session, row.team_id, name)
        row.name = name
        await _flush(session, f"The team has a part named {name!r} already.")
    return Part(row.id, row.team_id, row.name, await _usernames(session, part_id))


async def delete_part(session: AsyncSession, part_id: int) -> None:
    """The part goes; its agents are then in no part."""
    if await session.get(PartRow, part_id) is None:
        raise not_found(f"The part {part_id}")
    await session.execute(delete(PartMemberRow).where(PartMemberRow.part_id == part_id))
    await session.execute(delete(PartRow).where(PartRow.id == part_id))


async def set_part(session: AsyncSession, username: str, part_id: int | None) -> Member:
    """Put the agent in the part (out of any other), or in none with None; 404 for an unknown
    agent or part."""
    agent = await session.scalar(select(AgentRow).where(AgentRow.username == username))
    if agent is None:
        raise not_found(f"The agent {username!r}")
    if part_id is not None and await session.get(PartRow, part_id) is None:
        raise not_found(f"The part {part_id}")
    await session.execute(delete(PartMemberRow).where(PartMemberRow.agent_id == agent.id))
    if part_id is not None:
        session.add(PartMemberRow(agent_id=agent.id, part_id=part_id))
    await session.flush()
    return (await members(session, [username]))[username]


async def members(session: AsyncSession, usernames: list[str] | None = None) -> dict[str, Member]:
    """Agents by username with their display name, team and part (all agents, or those named)."""
    query = (
        select(AgentRow.username, AgentRow.display_name, TeamRow.name, PartRow.name)
        .outerjoin(PartMemberRow, PartMemberRow.agent_id == AgentRow.id)
        .outerjoin(PartRow, PartRow.id == PartMemberRow.part_id)
        .outerjoin(TeamRow, TeamRow.id == PartRow.team_id)
    )
    if usernames is not None:
        query = query.where(AgentRow.username.in_(usernames))
    rows = await session.execute(query)
    return {username: Member(username, name, team, part) for username, name, team, part in rows}


async def _with_parts(session: AsyncSession, teams: list[TeamRow]) -> list[Team]:
    if not teams:
        return []
    parts = list(
        await session.scalars(select(PartRow).where(PartRow.team_id.in_([t.id for t in teams])).order_by(PartRow.name))
    )
    in_part: dict[int, list[str]] = defaultdict(list)
    if parts:
        rows = await session.execute(
            select(PartMemberRow.part_id, AgentRow.username)
            .join(AgentRow, AgentRow.id == PartMemberRow.agent_id)
            .where(PartMemberRow.part_id.in_([p.id for p in parts]))
            .order_by(AgentRow.username)
        )
        for part_id, username in rows:
            in_part[part_id].append(username)
    by_team: dict[int, list[Part]] = defaultdict(list)
    for row in parts:
        by_team[row.team_id].append(Part(row.id, row.team_id, row.name, tuple(in_part[row.id])))
    return [Team(t.id, t.name, tuple(by_team[t.id])) for t in teams]


async def _usernames(session: AsyncSession, part_id: int) -> tuple[str, ...]:
    rows = await session.scalars(
        select(AgentRow.username)
        .join(PartMemberRow, PartMemberRow.agent_id == AgentRow.id)
        .where(PartMemberRow.part_id == part_id)
        .order_by(AgentRow.username)
    )
    return tuple(rows)


async def _name_free(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(TeamRow.id).where(TeamRow.name == name)) is not None:
        raise conflict(f"A team named {name!r} exists already.")


async def _part_name_free(session: AsyncSession, team_id: int, name: str) -> None:
    taken = select(PartRow.id).where(PartRow.team_id == team_id, PartRow.name == name)
    if await session.scalar(taken) is not None:
        raise conflict(f"The team has a part named {name!r} already.")


async def _flush(session: AsyncSession, taken: str) -> None:
    """Flush a new or renamed name; another writer may have taken it since the check."""
    try:
        await session.flush()
    except IntegrityError:
        raise conflict(taken) from None
