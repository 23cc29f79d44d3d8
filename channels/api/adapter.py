"""The generic API channel (API.md): integrations and load tests post JSON messages."""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from channels.base import Delivered, HubPort
from hub.api.errors import read_body
from hub.desk import MAX_REPLY_CHARS
from model.errors import HubError, invalid
from model import Channel, Conversation, Direction, Inbound, Language, Message, MessageStatus

LANGUAGES = {language.value for language in Language}


class InboundBody(BaseModel):
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


class ApiChannel:
    """Replies reach the integration in the POST's answer or by polling GET."""

    channel = Channel.API
    send_timeout = 5.0
    max_text_chars = MAX_REPLY_CHARS
    sends_per_second = 1000.0

    def __init__(self, hub: HubPort, key: str | None = None) -> None:
        self._hub = hub
        self._key = key

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/v1/channels/api/messages", self.post_message),
            web.get("/api/v1/channels/api/messages", self.get_messages),
        ]

    def _authenticate(self, request: web.Request) -> None:
        if self._key is None:
            return
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), self._key.encode()):
            raise HubError(401, "unauthorised", "The API channel needs its key as a bearer token.")

    async def post_message(self, request: web.Request) -> web.Response:
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
        self._authenticate(request)
        sender = request.query.get("sender", "")
        if not sender:
            raise invalid("The query parameter 'sender' is required.", "missing_field")
        after_text = request.query.get("after")
        if after_text is not None and not after_text.isdigit():
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

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        # The integration collects replies by polling; the message is ready for it.
        return Delivered(MessageStatus.SENT)
