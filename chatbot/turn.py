"""What any bot (built-in or Rasa) gives back for one citizen message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chatbot.knowledge.index import Hit
from model import Conversation


@dataclass(frozen=True)
class BotTurn:
    answered: bool
    """True when the bot found an answer it trusts."""
    text: str | None = None
    confidence: float = 0.0
    article_id: str | None = None
    wants_handoff: bool = False
    """The bot itself decided a person must take over."""
    summary: str | None = None
    """What the bot learned, for the agent who takes over."""
    category: str | None = None
    """The category the bot recognised, for the queue."""
    report: dict[str, Any] | None = None
    """A complaint the bot took down (type, location, time, details), filed on the conversation."""
    by: str = ""
    """Which bot answered: the built-in one, or Rasa."""


class Bot(Protocol):
    name: str

    def speaks(self, language: str) -> bool:
        """Whether the bot can answer in `language` at all."""

    async def respond(self, conversation: Conversation, text: str, language: str) -> BotTurn:
        """Answer one citizen message."""


class ArticleSearch(Protocol):
    async def search(self, query: str, language: str = "ko", limit: int = 5) -> list[Hit]:
        """Best articles for `query`, best first."""
