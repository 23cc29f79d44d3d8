"""The Telegram channel (python-telegram-bot): webhook or getUpdates in, sendMessage out."""

from channels.telegram.adapter import TelegramChannel
from channels.telegram.settings import TelegramSettings

__all__ = ["TelegramChannel", "TelegramSettings"]
