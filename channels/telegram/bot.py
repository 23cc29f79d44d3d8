"""The city's Telegram bot as both sides of the channel share it: python-telegram-bot's
Application (its Bot and HTTP pools), connected once Telegram answers getMe."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, ExtBot

from channels.telegram.failures import FIRST_RETRY_SECONDS, back_off
from channels.telegram.settings import Settings

log = logging.getLogger(__name__)


class TelegramBot:
    """Built at once, connected by `start` in the background, let go of by `close`.

    Updates are not put on PTB's update queue (its Updater is off): the inbound side handles
    each one itself, so that Telegram hears "ok" only once the message is stored.
    """

    def __init__(self, settings: Settings) -> None:
        builder = ApplicationBuilder().token(settings.token).updater(None)
        if settings.api_base_url:
            builder = builder.base_url(settings.api_base_url)
        # Per phase, so that PTB's TimedOut (which names what hung) usually comes before the
        # outbox's send_timeout cuts the whole send short.
        builder = builder.connect_timeout(3.0).write_timeout(3.0).read_timeout(5.0).pool_timeout(1.0)
        self._application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.connected = asyncio.Event()
        """Set once getMe succeeded: from then on the Bot can send."""
        self._connecting: asyncio.Task[None] | None = None
        # httpx logs every request's URL at INFO, and Bot API URLs carry the bot token.
        # An operator who configured the httpx logger keeps their setting.
        httpx_log = logging.getLogger("httpx")
        if httpx_log.level == logging.NOTSET:
            httpx_log.setLevel(logging.WARNING)

    @property
    def bot(self) -> ExtBot[Any]:
        return self._application.bot

    async def start(self) -> None:
        """Connect in the background, retrying while Telegram is unreachable; returns at once."""
        self._connecting = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        wait = FIRST_RETRY_SECONDS
        while True:
            try:
                await self._application.initialize()  # calls getMe
            except InvalidToken:
                log.error("Telegram refused the bot token; the Telegram channel is off")
                return
            except TelegramError as error:
                log.warning("connecting to Telegram failed (%s); retrying in %.1f s", error, wait)
                wait = await back_off(error, wait)
                continue
            log.info("connected to Telegram as @%s", self.bot.username)
            self.connected.set()
            return

    async def close(self) -> None:
        """Stop connecting and close the Bot's HTTP pools."""
        self.connected.clear()
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        with contextlib.suppress(Exception):
            await self._application.shutdown()
        # A failed initialize leaves the Bot's HTTP pools open without the Application knowing.
        with contextlib.suppress(Exception):
            await self.bot.shutdown()
