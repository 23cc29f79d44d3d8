"""The Telegram channel's way out: sendMessage to the citizen's chat, quick replies as buttons."""

from __future__ import annotations

from telegram.constants import MessageLimit
from telegram.error import TelegramError

from channels.base import Delivered, DeliveryFailed, split_text
from channels.telegram.bot import TelegramBot
from channels.telegram.failures import failure_from
from channels.telegram.keyboards import keyboard_for
from model import Conversation, Message, MessageStatus

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)


class TelegramOutbound:
    """Owns the bot's connection: `start` connects it, `close` lets it go."""

    send_timeout = 10.0
    max_text_chars = MAX_TEXT
    # Telegram allows about 30 messages a second per bot; leave room for greetings and taps.
    sends_per_second = 25.0

    def __init__(self, bot: TelegramBot) -> None:
        self._bot = bot

    async def start(self) -> None:
        """Connect the bot (getMe) in the background."""
        await self._bot.start()

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """Send one message to the citizen's chat, in several when it is longer than Telegram
        takes; SENT with the chat's message id of the last."""
        if not self._bot.connected.is_set():
            raise DeliveryFailed("the Telegram bot is not connected yet", retryable=True)
        try:
            chat_id = int(conversation.sender)
        except ValueError:
            raise DeliveryFailed(f"{conversation.sender!r} is not a Telegram chat id", retryable=False) from None
        pieces = split_text(message.text, MAX_TEXT)
        if not pieces:
            raise DeliveryFailed("Telegram cannot send an empty message", retryable=False)
        try:
            for number, piece in enumerate(pieces, 1):
                # A long answer goes as several messages; its buttons under the last one.
                buttons = keyboard_for(message.actions) if number == len(pieces) else None
                sent = await self._bot.bot.send_message(chat_id=chat_id, text=piece, reply_markup=buttons)
        except TelegramError as error:
            raise failure_from(error) from error
        # Message ids are only unique within a chat; the chat makes them unique in the channel.
        return Delivered(MessageStatus.SENT, provider_message_id=f"{chat_id}:{sent.message_id}")

    async def conversation_changed(self, conversation: Conversation) -> None:
        """Telegram shows the citizen only messages; nothing to do."""

    async def close(self) -> None:
        """Disconnect the bot and close its HTTP pools."""
        await self._bot.close()
