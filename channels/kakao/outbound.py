"""The KakaoTalk channel's way out. Kakao cannot be written to unasked, so a reply leaves
one of three ways: in a skill response or callback (the inbound side carried it), through
a 상담톡 partner when one is configured, or held for the citizen's next message."""

from __future__ import annotations

import aiohttp

from channels.base import MAX_REPLY_CHARS, Delivered
from channels.kakao.counselling import CounsellingPartner
from channels.kakao.inline import INLINE_AUTHORS, InlineAnswers, held_id
from channels.kakao.settings import Settings
from model import Conversation, Message, MessageStatus

INLINE_WAIT_SECONDS = 6.0
"""How long `deliver` waits for a skill request to decide whether its response carries a reply."""


class KakaoOutbound:
    """Completes the inline answers, sends through the partner, or holds."""

    send_timeout = 15.0
    # Longer texts go out as several simpleText outputs (and callbacks), in order.
    max_text_chars = MAX_REPLY_CHARS
    sends_per_second = 50.0

    def __init__(self, settings: Settings, inline: InlineAnswers) -> None:
        self._settings = settings
        self._inline = inline
        self._partner: CounsellingPartner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the 상담톡 partner's client, when there is a partner."""
        if self._settings.partner_url and self._settings.partner_key:
            self._session = aiohttp.ClientSession()
            self._partner = CounsellingPartner(self._settings.partner_url, self._settings.partner_key, self._session)

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """DELIVERED when a skill response carried the reply (the inline answer completes here),
        SENT when the partner took it, HELD for the citizen's next message otherwise."""
        if message.author in INLINE_AUTHORS and await self._inline.carried(
            conversation.sender, message.id, message.created_at, INLINE_WAIT_SECONDS
        ):
            return Delivered(MessageStatus.DELIVERED)
        if self._partner is not None:
            partner_id = await self._partner.send(conversation.sender, message.text, serial=f"dasan-{message.id}")
            return Delivered(MessageStatus.SENT, partner_id)
        return Delivered(MessageStatus.HELD, held_id(message.id))

    async def conversation_changed(self, conversation: Conversation) -> None:
        """KakaoTalk shows the citizen only messages; nothing to do."""

    async def close(self) -> None:
        """Close the partner's client."""
        self._partner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
