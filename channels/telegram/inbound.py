"""The Telegram channel's way in: the webhook Telegram calls, or getUpdates in development.

An update is handled inside the webhook request, so a 200 means the message is stored (a
5xx makes Telegram retry, and the retry is recognised by its message id). A /start is
greeted at once and stored nowhere: it is the channel's welcome, not a conversation.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from channels.base import HubPort
from channels.json_body import json_object
from channels.telegram.bot import TelegramBot
from channels.telegram.failures import FIRST_RETRY_SECONDS, LAST_RETRY_SECONDS, back_off, failure_from
from channels.telegram.settings import WEBHOOK_PATH, Settings
from channels.telegram.updates import CitizenMessage, StartCommand, read_update
from model.errors import HubError, TooManyRequests

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
_GREETED_MEMORY = 1024


class TelegramInbound:
    """Citizens write to the city's Telegram bot; their messages and button taps are stored."""

    def __init__(self, hub: HubPort, settings: Settings, bot: TelegramBot) -> None:
        self._hub = hub
        self._settings = settings
        self._bot = bot
        self._tasks: set[asyncio.Task[None]] = set()
        # A Telegram retry of /start must not greet twice; what is stored is deduplicated by
        # the hub, but greetings are not stored.
        self._greeted: OrderedDict[tuple[int, int], None] = OrderedDict()

    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self.webhook)]

    async def start(self) -> None:
        """Once the bot is connected, set the webhook (or poll getUpdates); returns at once."""
        self._spawn(self._take_updates())

    async def close(self) -> None:
        """Stop polling and the greetings and button answers still under way."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the webhook --------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """One update from Telegram: authenticated first, stored, then acknowledged."""
        self._authenticate(request)
        data = json_object(await request.read())
        try:
            update = Update.de_json(data, self._bot.bot)
        # OverflowError, OSError: a date beyond what the platform's clock can hold.
        except (AttributeError, KeyError, TypeError, ValueError, OverflowError, OSError) as error:
            raise HubError(400, "invalid_update", f"The body is not a Telegram update: {error!r}.") from None
        await self.handle(update)
        return web.Response(status=200)

    def _authenticate(self, request: web.Request) -> None:
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), self._settings.secret.encode()):
            # The error middleware logs the refusal with the path.
            detail = "missing" if given is None else "wrong"
            raise HubError(403, "invalid_secret", f"The Telegram webhook secret token is {detail}.")

    async def handle(self, update: Update) -> None:
        """Store what the citizen said; greet a /start. Raises when the hub could not store it."""
        try:
            parsed = read_update(update)
        except (AttributeError, TypeError, ValueError) as error:
            # PTB builds an Update without checking its fields' types; reading them finds out.
            raise HubError(400, "invalid_update", f"The update has a field of the wrong type: {error!r}.") from None
        if isinstance(parsed, StartCommand):
            if self._first_time(parsed):
                self._spawn(self._greet(parsed))
        elif isinstance(parsed, CitizenMessage):
            await self._hub.receive(parsed.inbound)
            if parsed.callback_query_id:
                # Until this answer the citizen's app shows the button as loading.
                self._spawn(self._answer_tap(parsed.callback_query_id))
        else:
            log.debug("ignored Telegram update %s", update.update_id)

    def _first_time(self, start: StartCommand) -> bool:
        key = (start.chat_id, start.message_id)
        if key in self._greeted:
            return False
        self._greeted[key] = None
        if len(self._greeted) > _GREETED_MEMORY:
            self._greeted.popitem(last=False)
        return True

    async def _greet(self, start: StartCommand) -> None:
        # Sent straight to Telegram, not through the outbox: a greeting is the channel's
        # welcome (like the widget's), not a message of a conversation.
        text = self._hub.texts(start.language or "ko", "telegram.")["telegram.start"]
        try:
            await self._bot.bot.send_message(chat_id=start.chat_id, text=text)
        except TelegramError as error:
            log.warning("greeting Telegram chat %s failed: %s", start.chat_id, error)

    async def _answer_tap(self, callback_query_id: str) -> None:
        try:
            await self._bot.bot.answer_callback_query(callback_query_id)
        except TelegramError as error:
            log.info("answering a Telegram button tap failed: %s", error)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- webhook or polling ---------------------------------------------------------------

    async def _take_updates(self) -> None:
        await self._bot.connected.wait()
        if self._settings.mode == "webhook":
            await self._set_webhook()  # the webhook route does the work from here on
        else:
            await self._poll()

    async def _set_webhook(self) -> None:
        url = self._settings.webhook_url
        wait = FIRST_RETRY_SECONDS
        while True:
            try:
                await self._bot.bot.set_webhook(
                    url, secret_token=self._settings.secret, allowed_updates=ALLOWED_UPDATES
                )
            except InvalidToken:
                log.error("Telegram refused the bot token while setting the webhook")
                return
            except TelegramError as error:
                if failure_from(error).retryable:
                    log.warning("setting the Telegram webhook failed (%s); retrying in %.1f s", error, wait)
                    wait = await back_off(error, wait)
                    continue
                # E.g. a public URL that is not HTTPS: an operator must change it.
                log.error("Telegram refused the webhook %s: %s", url, error)
                return
            log.info("Telegram webhook set to %s", url)
            return

    async def _poll(self) -> None:
        """Development without a public URL: long-poll getUpdates, store, then confirm."""
        bot = self._bot.bot
        poll_wait = store_wait = FIRST_RETRY_SECONDS
        offset: int | None = None
        dropped_webhook = False
        while True:
            try:
                if not dropped_webhook:
                    # getUpdates answers 409 while a webhook is set.
                    await bot.delete_webhook(drop_pending_updates=False)
                    dropped_webhook = True
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=self._settings.poll_timeout,
                    read_timeout=self._settings.poll_timeout + 5,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except InvalidToken:
                log.error("Telegram refused the bot token; polling stops")
                return
            except TelegramError as error:
                log.warning("polling Telegram failed (%s); retrying in %.1f s", error, poll_wait)
                poll_wait = await back_off(error, poll_wait)
                continue
            poll_wait = FIRST_RETRY_SECONDS
            for update in updates:
                try:
                    await self.handle(update)
                except TooManyRequests as error:
                    # Not confirmed: the next getUpdates brings it again once the citizen's rate allows.
                    log.warning("Telegram update %s waits %d s: %s", update.update_id, error.retry_after, error.message)
                    await asyncio.sleep(error.retry_after)
                    break
                except HubError as error:
                    # Malformed: another getUpdates would bring it back the same.
                    log.warning("Telegram update %s ignored: %s", update.update_id, error.message)
                except Exception:
                    # Not confirmed: the next getUpdates brings the same update again.
                    log.exception("storing Telegram update %s failed; retrying in %.1f s", update.update_id, store_wait)
                    await asyncio.sleep(store_wait)
                    store_wait = min(store_wait * 2, LAST_RETRY_SECONDS)
                    break
                # The next getUpdates with this offset confirms the update to Telegram.
                offset = update.update_id + 1
                store_wait = FIRST_RETRY_SECONDS
