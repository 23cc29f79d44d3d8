"""What any bot (built-in or Rasa) is to the hub; its answer is `model.BotTurn`."""

from __future__ import annotations

from typing import Protocol

from chatbot.knowledge.index import Hit
from model import Article, BotTurn, Conversation


class Bot(Protocol):
    name: str

    def speaks(self, language: str) -> bool:
        """Whether the bot can answer in `language` at all."""

    async def respond(self, conversation: Conversation, text: str, language: str) -> BotTurn:
        """Answer one citizen message."""


class ArticleSearch(Protocol):
    async def search(self, query: str, language: str = "ko", limit: int = 5) -> list[Hit]:
        """Best articles for `query`, best first."""

    async def article(self, article_id: str, language: str = "ko") -> Article | None:
        """One article in `language`, None when it has no such variant."""
