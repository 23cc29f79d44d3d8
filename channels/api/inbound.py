"""The API channel's way in: an integration posts a citizen's message, and polls for replies."""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from channels.api.settings import Settings
from channels.base import HubPort
from channels.json_body import read_body
from model import LANGUAGES, Channel, Direction, Inbound
from model.errors import HubError, invalid

MESSAGES_PATH = "/api/v1/channels/api/messages"


class InboundBody(BaseModel):
    """A citizen's message as an integration posts it."""

    model_config = ConfigDict(extra="ignore")
    sender: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=4000)
    message_id: str = Field(min_length=1, max_length=200)
    language: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("language")
    @classmethod
    def known_language(cls, value: str | None) -> str | None:
        if value is not None and value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(sorted(LANGUAGES))}")
        return value

    @field_validator("text")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is blank")
        return value


class ApiInbound:
    """POST stores a message and answers with the bot's replies; GET lists the replies after
    a message id (those the outbox has handed on, and those still on their way)."""

    def __init__(self, hub: HubPort, settings: Settings) -> None:
        self._hub = hub
        self._settings = settings
        self._key = settings.key

    @property
    def key(self) -> str | None:
        """The key calls must carry; None until `start` has it (every call is refused meanwhile)."""
        return self._key

    def routes(self) -> list[web.RouteDef]:
        return [web.post(MESSAGES_PATH, self.post_message), web.get(MESSAGES_PATH, self.get_messages)]

    async def start(self) -> None:
        """Take the hub's own key when none is configured."""
        if self._key is None and self._settings.made_key is not None:
            self._key = await self._settings.made_key()

    def use_key(self, key: str) -> None:
        """From now on calls must carry `key` (the hub rotated its own): the old one is refused."""
        self._key = key

    async def close(self) -> None:
        """Nothing to close."""

    def _authenticate(self, request: web.Request) -> None:
        """Before the body is read: the key as a bearer token, compared in constant time."""
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if self._key is None or not hmac.compare_digest(given.encode(), self._key.encode()):
            raise HubError(401, "unauthorised", "The API channel needs its key as a bearer token.")

    async def post_message(self, request: web.Request) -> web.Response:
        """Store one message (idempotent on its message_id) and answer with the bot's replies."""
        self._authenticate(request)
        body = await read_body(request, InboundBody)
        result = await self._hub.receive(
            Inbound(
                channel=Channel.API,
                sender=body.sender,
                text=body.text,
                provider_message_id=body.message_id,
                language=body.language,
                metadata=body.metadata,
            )
        )
        return web.json_response(
            {
                "conversation_id": result.conversation_id,
                "message_id": result.message_id,
                "duplicate": result.duplicate,
                "state": result.state.value,
                "replies": [reply.to_json() for reply in result.replies],
            }
        )

    async def get_messages(self, request: web.Request) -> web.Response:
        """The sender's replies after the message id `after` (all of them without it)."""
        self._authenticate(request)
        sender = request.query.get("sender", "")
        if not sender:
            raise invalid("The query parameter 'sender' is required.", "missing_field")
        after_text = request.query.get("after")
        # ASCII digits within the store's 32-bit ids ('²' is a digit to str.isdigit, not to int).
        if after_text is not None and not (after_text.isascii() and after_text.isdigit() and int(after_text) < 2**31):
            raise invalid("The query parameter 'after' must be a message id.", "invalid_field")
        conversation = await self._hub.conversation(Channel.API, sender)
        messages = await self._hub.messages_after(Channel.API, sender, int(after_text) if after_text else None)
        return web.json_response(
            {
                "conversation_id": conversation.id if conversation else None,
                "state": conversation.state.value if conversation else None,
                "messages": [m.for_citizen() for m in messages if m.direction is Direction.OUT],
            }
        )
