"""Adding agents and knowledge: shared by the CLI and the demo set-up."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

import chatbot
from hub.auth import Auth
from model.clock import utcnow
from model.errors import conflict, invalid
from model import QUEUE_NAMES, AgentState, Article, Category, Language, Role
from store import agents as agent_store
from store.db import Store

DEMO_AGENTS = Path(__file__).parent / "demo_agents.json"
DEMO_DATA = Path(chatbot.__file__).parent / "data"
DEMO_KNOWLEDGE = DEMO_DATA / "kb_demo.jsonl"
"""The demo knowledge base in Korean; `kb_demo.<language>.jsonl` beside it hold variants."""
LANGUAGES = {language.value for language in Language}


class NewAgent(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=256)
    display_name: str | None = Field(default=None, max_length=200)
    role: Role = Role.AGENT
    skills: list[str] = Field(default_factory=lambda: [c.value for c in Category])
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
        if unknown := set(languages) - LANGUAGES:
            raise ValueError(f"unknown language {sorted(unknown)[0]!r}")
        return languages


class NewArticle(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    category: Category
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    language: str = "ko"

    @field_validator("keywords", mode="before")
    @classmethod
    def split_keywords(cls, value: Any) -> Any:
        # CSV files carry keywords as one cell: "따릉이, 공공자전거".
        return [k.strip() for k in value.replace(";", ",").split(",") if k.strip()] if isinstance(value, str) else value

    def article(self) -> Article:
        return Article(self.id, self.category.value, self.title, self.body, tuple(self.keywords), self.language)


async def add_agent(store: Store, auth: Auth, agent: NewAgent) -> None:
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
            created_at=utcnow(),
        )


def read_articles(path: Path) -> list[Article]:
    """Articles from a JSON-lines or CSV file; every line is checked before any is loaded."""
    text = path.read_text(encoding="utf-8-sig")
    records: Iterable[tuple[int, Any]]
    if path.suffix.lower() == ".csv":
        records = enumerate(csv.DictReader(io.StringIO(text)), start=2)
    else:
        records = ((n, _json_line(n, line)) for n, line in enumerate(text.splitlines(), start=1) if line.strip())
    articles = []
    for line, record in records:
        try:
            articles.append(NewArticle.model_validate(record).article())
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise invalid(f"{path.name} line {line}: {field}: {first['msg']}") from None
    return articles


def _json_line(number: int, line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise invalid(f"line {number} is not valid JSON: {error}") from None


def demo_articles() -> list[Article]:
    """The demo knowledge base: the Korean articles, then their variants in other languages."""
    variants = sorted(DEMO_DATA.glob("kb_demo.*.jsonl"))
    return [article for path in [DEMO_KNOWLEDGE, *variants] for article in read_articles(path)]


def demo_agents() -> list[NewAgent]:
    return [NewAgent.model_validate(item) for item in json.loads(DEMO_AGENTS.read_text(encoding="utf-8"))]
