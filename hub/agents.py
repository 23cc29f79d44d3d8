"""Adding agents: shared by `dasan agents add` and the demo set-up."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from hub.auth import Auth
from model import CATEGORIES, LANGUAGES, QUEUE_NAMES, AgentState, Role
from model.audit import AuditAction
from model.clock import utcnow
from model.errors import conflict
from store import agents as agent_store
from store import audit
from store.db import Store

DEMO_AGENTS = Path(__file__).parent / "demo_agents.json"


class NewAgent(BaseModel):
    """An agent to add, checked; skills are queue names, languages the hub's codes."""

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=256)
    display_name: str | None = Field(default=None, max_length=200)
    role: Role = Role.AGENT
    skills: list[str] = Field(default_factory=lambda: list(CATEGORIES))
    languages: list[str] = Field(default_factory=lambda: ["ko"])
    capacity: dict[str, int] = Field(default_factory=lambda: {"chat": 3, "video": 1})

    @field_validator("skills")
    @classmethod
    def known_queues(cls, skills: list[str]) -> list[str]:
        if unknown := set(skills) - set(QUEUE_NAMES):
            raise ValueError(f"unknown queue {sorted(unknown)[0]!r}")
        return skills

    @field_validator("languages")
    @classmethod
    def known_languages(cls, languages: list[str]) -> list[str]:
        if unknown := set(languages) - set(LANGUAGES):
            raise ValueError(f"unknown language {sorted(unknown)[0]!r}")
        return languages


async def add_agent(store: Store, auth: Auth, agent: NewAgent, actor: str = "system") -> None:
    """Create the agent, offline, and say so in the audit log with `actor` (`cli` for the
    command, `system` for the demo); a conflict when the username is taken."""
    now = utcnow()
    async with store.write() as session:
        if await agent_store.by_username(session, agent.username):
            raise conflict(f"An agent named {agent.username!r} exists already.")
        await agent_store.create(
            session,
            username=agent.username,
            display_name=agent.display_name or agent.username,
            password_hash=auth.hash_password(agent.password),
            role=agent.role.value,
            state=AgentState.OFFLINE.value,
            skills=agent.skills,
            languages=agent.languages,
            capacity=agent.capacity,
            idle_since=None,
            created_at=now,
        )
        audit.record(session, actor, AuditAction.AGENT_ADDED, f"agent:{agent.username}", now,
                     {"role": agent.role.value, "skills": agent.skills, "languages": agent.languages})  # fmt: skip


def demo_agents() -> list[NewAgent]:
    """The demo agents (`demo_agents.json`)."""
    return [NewAgent.model_validate(item) for item in json.loads(DEMO_AGENTS.read_text(encoding="utf-8"))]
