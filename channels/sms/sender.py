"""Sending through Twilio's official REST client, asynchronously, with its errors sorted.

Sorting matters to the outbox: a provider hiccup (rate limit, 5xx, network, timeout) is
worth retrying; a refusal of the message itself (bad number, opted out) never is.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from channels.base import DeliveryFailed
from channels.sms.settings import Settings

log = logging.getLogger(__name__)


class TwilioSender:
    """One Twilio client per channel, from `open` to `close`."""

    def __init__(self, settings: Settings, timeout: float) -> None:
        self._settings = settings
        self._timeout = timeout
        self._client: Client | None = None
        self._http: AsyncTwilioHttpClient | None = None

    def open(self) -> None:
        """Make the client; called in the running loop, where its aiohttp session belongs."""
        # No retries of the client's own: the outbox retries with backoff and records each attempt.
        self._http = AsyncTwilioHttpClient()
        client = Client(self._settings.account_sid, self._settings.auth_token, http_client=self._http)
        if self._settings.api_base_url:
            # The client has no base-URL argument; its API domain keeps one (region/edge unset).
            client.api.base_url = self._settings.api_base_url.rstrip("/")
        self._client = client

    async def send(self, to: str, body: str) -> str:
        """Hand one SMS to Twilio; its message SID. Raises `DeliveryFailed`."""
        client = self._client
        if client is None:
            raise DeliveryFailed("the Twilio client is not open (the hub is starting or stopping)")
        try:
            # create_async takes no timeout and AsyncTwilioHttpClient ignores its own: bound it here.
            async with asyncio.timeout(self._timeout):
                message = await client.messages.create_async(
                    to=to, from_=self._settings.from_number, body=body, status_callback=self._settings.status_callback
                )
        except TwilioException as error:
            raise failure_from(error) from None
        except TimeoutError:
            raise DeliveryFailed(f"Twilio did not answer within {self._timeout:g} s") from None
        except (aiohttp.ClientError, OSError) as error:
            raise DeliveryFailed(f"Twilio unreachable: {type(error).__name__}: {error}") from None
        if not message.sid:
            raise DeliveryFailed("Twilio accepted the message but returned no SID")
        return message.sid

    async def close(self) -> None:
        """Close the HTTP session; `send` fails until the next `open`."""
        http, self._http, self._client = self._http, None, None
        if http is not None:
            await http.close()


def failure_from(error: TwilioException) -> DeliveryFailed:
    """A Twilio error as the outbox needs it: 429 and 5xx are retried, other 4xx are final."""
    status = getattr(error, "status", None)
    code = getattr(error, "code", None)
    text = getattr(error, "msg", None) or getattr(error, "detail", None) or getattr(error, "title", None) or ""
    reason = f"Twilio answered HTTP {status}" + (f", error {code}" if code else "") + (f": {text}" if text else "")
    if not isinstance(status, int) or status == 429 or status >= 500:
        return DeliveryFailed(reason, retryable=True)
    if status in (401, 403):
        # Every message will fail the same way until an administrator fixes the credentials.
        log.error("Twilio refused the hub's credentials (%s); check DASAN_TWILIO_ACCOUNT_SID/AUTH_TOKEN", reason)
    return DeliveryFailed(reason, retryable=False)
