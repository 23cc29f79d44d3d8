"""Rasa while it is up, the built-in knowledge bot whenever it is not."""

from __future__ import annotations

import asyncio
import logging

from chatbot.builtin import KnowledgeBot
from chatbot.rasa_bot import RasaBot, RasaUnavailable
from chatbot.turn import Bot, BotTurn
from model import Conversation

log = logging.getLogger(__name__)


class BotSwitch:
    """The router's one bot. Follows Rasa's health check, so the hub switches to Rasa as
    soon as it answers and back when it stops, without a restart; a turn Rasa fails is
    answered by the built-in bot within the same request."""

    def __init__(self, builtin: KnowledgeBot, rasa: RasaBot | None = None, check_seconds: float = 2.0) -> None:
        self._builtin = builtin
        self._rasa = rasa
        self._check_seconds = check_seconds

    @property
    def name(self) -> str:
        return self._current().name

    def _current(self) -> Bot:
        return self._rasa if self._rasa is not None and self._rasa.healthy else self._builtin

    def speaks(self, language: str) -> bool:
        return self._current().speaks(language)

    async def respond(self, conversation: Conversation, text: str, language: str) -> BotTurn:
        if self._rasa is not None and self._rasa.healthy:
            try:
                return await self._rasa.respond(conversation, text, language)
            except RasaUnavailable as error:
                log.warning("Rasa failed on conversation %s (%s); the built-in bot answers", conversation.id, error)
        if not self._builtin.speaks(language):
            # A language the built-in bot was not set up for: a person who speaks it takes over.
            return BotTurn(
                answered=False,
                wants_handoff=True,
                summary="챗봇을 사용할 수 없어 상담사에게 연결",
                by=self._builtin.name,
            )
        return await self._builtin.respond(conversation, text, language)

    async def answer_with(self, article_id: str, language: str) -> BotTurn:
        """The article the citizen chose when a bot asked which one they meant (Rasa asks as the built-in bot does)."""
        return await self._builtin.answer_with(article_id, language)

    async def run(self) -> None:
        """Rasa's health, checked every few seconds while the hub runs; its HTTP client
        closes when the hub stops."""
        if self._rasa is None:
            return
        try:
            while True:
                was = self._rasa.healthy
                if await self._rasa.check() != was:
                    log.info(
                        "Rasa is %s",
                        "up: it answers from now on" if self._rasa.healthy else "down: the built-in bot answers",
                    )
                await asyncio.sleep(self._check_seconds)
        finally:
            await self._rasa.close()
