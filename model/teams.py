"""Teams and parts (팀, 파트): the groups of agents an administrator defines, which the report
gives its figures for. A team has parts; an agent belongs to at most one part, and so to one team."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Part:
    """A part of a team, with the usernames of its agents."""

    id: int
    team_id: int
    name: str
    members: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "team_id": self.team_id, "name": self.name, "members": list(self.members)}


@dataclass(frozen=True)
class Team:
    """A team with its parts, ordered by name."""

    id: int
    name: str
    parts: tuple[Part, ...] = field(default=())

    @property
    def members(self) -> tuple[str, ...]:
        """The usernames of every agent in one of its parts."""
        return tuple(username for part in self.parts for username in part.members)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "parts": [part.to_json() for part in self.parts]}


@dataclass(frozen=True)
class Member:
    """An agent as the report names them: display name, and team and part when they have one."""

    username: str
    display_name: str
    team: str | None = None
    part: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.username, "name": self.display_name, "team": self.team, "part": self.part}
