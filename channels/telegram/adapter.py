"""The Telegram channel: a bot on python-telegram-bot, fed by a webhook (or getUpdates).

PTB's Application owns the Bot and its HTTP pools; updates are not put on its update
queue but handled inside the webhook request, so a 200 means the message is stored
(a 5xx makes Telegram retry, and the retry is recognised by its message id).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ExtBot

from channels.base import Delivered, DeliveryFailed, HubPort
from channels.json_body import json_object
from channels.telegram.inbound import CitizenMessage, StartCommand, read_update
from channels.telegram.outbound import MAX_TEXT, failure_from, keyboard_for, retry_after
from channels.telegram.settings import WEBHOOK_PATH, TelegramSettings
from model.errors import HubError
from model import Channel, Conversation, Message, MessageStatus

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 30.0
_GREETED_MEMORY = 1024


class TelegramChannel:
    """Citizens write to the city's Telegram bot; agents' and the bot's replies go back."""

    channel = Channel.TELEGRAM
    send_timeout = 10.0
    max_text_chars = MAX_TEXT
    # Telegram allows about 30 messages a second per bot; leave room for greetings and taps.
    sends_per_second = 25.0

    def __init__(self, hub: HubPort, settings: TelegramSettings) -> None:
        self._hub = hub
        self._settings = settings
        self._application = self._build(settings)
        # httpx logs every request's URL at INFO, and Bot API URLs carry the bot token.
        # An operator who configured the httpx logger keeps their setting.
        httpx_log = logging.getLogger("httpx")
        if httpx_log.level == logging.NOTSET:
            httpx_log.setLevel(logging.WARNING)
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # A Telegram retry of /start must not greet twice; what is stored is deduplicated by
        # the hub, but greetings are not stored.
        self._greeted: OrderedDict[tuple[int, int], None] = OrderedDict()

    @staticmethod
    def _build(settings: TelegramSettings) -> Application[Any, Any, Any, Any, Any, Any]:
        builder = ApplicationBuilder().token(settings.token).updater(None)
        if settings.api_base_url:
            builder = builder.base_url(settings.api_base_url)
        # Per phase, so that PTB's TimedOut (which names what hung) usually comes before the
        # outbox's send_timeout cuts the whole send short.
        builder = builder.connect_timeout(3.0).write_timeout(3.0).read_timeout(5.0).pool_timeout(1.0)
        return builder.build()

    @property
    def bot(self) -> ExtBot[Any]:
        return self._application.bot

    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self.webhook)]

    # -- inbound ----------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """One update from Telegram: authenticated first, stored, then acknowledged."""
        self._authenticate(request)
        data = json_object(await request.read())
        try:
            update = Update.de_json(data, self.bot)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
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
        # Sent straight to Telegram, not through the hub: HubPort offers no outbound of its
        # own, and a greeting is the channel's welcome (like the widget's), not a conversation.
        try:
            await self.bot.send_message(
                chat_id=start.chat_id, text=self._hub.texts(start.language or "ko", "telegram.")["telegram.start"]
            )
        except TelegramError as error:
            log.warning("greeting Telegram chat %s failed: %s", start.chat_id, error)

    async def _answer_tap(self, callback_query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(callback_query_id)
        except TelegramError as error:
            log.info("answering a Telegram button tap failed: %s", error)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- outbound ---------------------------------------------------------------------

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """Send one message to the citizen's chat, quick replies as buttons."""
        if not self._ready.is_set():
            raise DeliveryFailed("the Telegram bot is not connected yet", retryable=True)
        try:
            chat_id = int(conversation.sender)
        except ValueError:
            raise DeliveryFailed(f"{conversation.sender!r} is not a Telegram chat id", retryable=False) from None
        text = message.text
        if len(text) > MAX_TEXT:
            log.warning("message %s cut to Telegram's %d characters", message.id, MAX_TEXT)
            text = text[:MAX_TEXT]
        if not text.strip():
            raise DeliveryFailed("Telegram cannot send an empty message", retryable=False)
        try:
            sent = await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=keyboard_for(message.actions))
        except TelegramError as error:
            raise failure_from(error) from error
        # Message ids are only unique within a chat; the chat makes them unique in the channel.
        return Delivered(MessageStatus.SENT, provider_message_id=f"{chat_id}:{sent.message_id}")

    # -- background -------------------------------------------------------------------

    async def run(self) -> None:
        """Connect the bot (getMe), then set the webhook or poll getUpdates until cancelled."""
        try:
            if not await self._connect():
                return
            if self._settings.mode == "webhook":
                await self._set_webhook()
                await asyncio.Event().wait()  # the webhook route does the work from here on
            else:
                await self._poll()
        finally:
            self._ready.clear()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._application.shutdown()
            # A failed initialize leaves the Bot's HTTP pools open without the Application knowing.
            with contextlib.suppress(Exception):
                await self.bot.shutdown()

    async def _connect(self) -> bool:
        """Initialize PTB (which calls getMe), retrying while Telegram is unreachable."""
        wait = FIRST_RETRY_SECONDS
        while True:
            try:
                await self._application.initialize()
            except InvalidToken:
                log.error("Telegram refused the bot token; the Telegram channel is off")
                return False
            except TelegramError as error:
                log.warning("connecting to Telegram failed (%s); retrying in %.1f s", error, wait)
                wait = await _back_off(error, wait)
                continue
            log.info("connected to Telegram as @%s", self.bot.username)
            self._ready.set()
            return True

    async def _set_webhook(self) -> None:
        url = self._settings.webhook_url
        wait = FIRST_RETRY_SECONDS
        while True:
            try:
                await self.bot.set_webhook(url, secret_token=self._settings.secret, allowed_updates=ALLOWED_UPDATES)
            except InvalidToken:
                log.error("Telegram refused the bot token while setting the webhook")
                return
            except TelegramError as error:
                if failure_from(error).retryable:
                    log.warning("setting the Telegram webhook failed (%s); retrying in %.1f s", error, wait)
                    wait = await _back_off(error, wait)
                    continue
                # E.g. a public URL that is not HTTPS: an operator must change it.
                log.error("Telegram refused the webhook %s: %s", url, error)
                return
            log.info("Telegram webhook set to %s", url)
            return

    async def _poll(self) -> None:
        """Development without a public URL: long-poll getUpdates, store, then confirm."""
        poll_wait = store_wait = FIRST_RETRY_SECONDS
        offset: int | None = None
        dropped_webhook = False
        while True:
            try:
                if not dropped_webhook:
                    # getUpdates answers 409 while a webhook is set.
                    await self.bot.delete_webhook(drop_pending_updates=False)
                    dropped_webhook = True
                updates = await self.bot.get_updates(
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
                poll_wait = await _back_off(error, poll_wait)
                continue
            poll_wait = FIRST_RETRY_SECONDS
            for update in updates:
                try:
                    await self.handle(update)
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


async def _back_off(error: TelegramError, wait: float) -> float:
    """Sleep as Telegram asked, or `wait`; the next wait, doubled up to a limit."""
    await asyncio.sleep(retry_after(error) if isinstance(error, RetryAfter) else wait)
    return min(wait * 2, LAST_RETRY_SECONDS)
