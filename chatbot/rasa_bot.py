"""The Rasa assistant as the router sees it: a `Bot` over Rasa's REST channel.

Rasa runs as its own service (its own Python); the hub only speaks HTTP to it. Custom
actions add a `custom` payload under the key `dasan` to say what the text alone cannot:
that the conversation must go to a person (with category and summary), that a report was
filed, or that the assistant did not understand.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from chatbot.turn import BotTurn
from model import LANGUAGES, ArticleChoice, Conversation


class RasaUnavailable(Exception):
    """Rasa did not answer in time, or not sensibly."""


def turn_from(messages: list[dict[str, Any]]) -> BotTurn:
    """One bot turn from the REST channel's answer (a list of messages)."""
    texts = [m["text"] for m in messages if isinstance(m.get("text"), str) and m["text"].strip()]
    signals: dict[str, Any] = {}
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("dasan"), dict):
            signals.update(custom["dasan"])
    text = "\n\n".join(texts) or None
    if signals.get("handoff"):
        return BotTurn(
            answered=False,
            text=text,
            wants_handoff=True,
            summary=signals.get("summary"),
            category=signals.get("category"),
            report=signals.get("report"),
            by=RasaBot.name,
        )
    answered = bool(text) and signals.get("answered", True) is not False
    return BotTurn(
        answered=answered,
        text=text,
        confidence=float(signals.get("confidence", 1.0 if answered else 0.0)),
        article_id=signals.get("article"),
        summary=signals.get("summary"),
        category=signals.get("category"),
        report=signals.get("report"),
        by=RasaBot.name,
        choices=tuple(ArticleChoice(c["article_id"], c["title"]) for c in signals.get("choices", ())),
    )


class RasaBot:
    """Talks to one Rasa server; `healthy` follows its health check."""

    name = "rasa"

    def __init__(self, url: str, timeout: float = 3.0) -> None:
        self._url = url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._client: aiohttp.ClientSession | None = None
        self.healthy = False

    @property
    def _session(self) -> aiohttp.ClientSession:
        # Made on first use, inside the hub's event loop.
        if self._client is None:
            self._client = aiohttp.ClientSession()
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    def speaks(self, language: str) -> bool:
        return language in LANGUAGES

    async def respond(self, conversation: Conversation, text: str, language: str) -> BotTurn:
        body = {"sender": conversation.id, "message": text, "metadata": {"language": language}}
        try:
            async with self._session.post(
                f"{self._url}/webhooks/rest/webhook", json=body, timeout=self._timeout
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered {response.status}")
                messages = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            self.healthy = False
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        if not isinstance(messages, list):
            raise RasaUnavailable("Rasa's answer is not a list of messages")
        if not messages:  # what Rasa answers when its action server is down
            raise RasaUnavailable("Rasa answered nothing")
        return turn_from(messages)

    async def check(self) -> bool:
        """Rasa's own health endpoint answers and a model is loaded."""
        try:
            async with self._session.get(f"{self._url}/status", timeout=self._timeout) as response:
                status = await response.json() if response.status == 200 else {}
                self.healthy = bool(status.get("model_file") or status.get("fingerprint"))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            self.healthy = False
        return self.healthy
