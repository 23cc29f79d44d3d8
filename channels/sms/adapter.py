"""The SMS channel through Twilio: signed webhooks in, the official REST client out.

Inbound: Twilio posts each SMS/MMS to `/webhooks/twilio/sms`; once its signature holds, the
message is stored (idempotent on its MessageSid, so Twilio's retries are harmless) and
Twilio gets empty TwiML. Replies go later, through the outbox, which calls `deliver`.
Delivery reports come back to `/webhooks/twilio/status`.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from channels.base import Delivered, DeliveryFailed, HubPort
from channels.sms.segments import MAX_CHARS, segments
from channels.sms.sender import TwilioSender
from channels.sms.settings import TwilioSettings
from channels.sms.signature import SignedRequests
from channels.sms.twilio_forms import EMPTY_TWIML, STATUSES, error_text, inbound_message, required
from model import Channel, Conversation, Message, MessageStatus
from model.masking import mask

log = logging.getLogger(__name__)
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"


def sms_text(message: Message) -> str:
    """The text a citizen reads: SMS has no buttons, so quick replies become words to send back."""
    if not message.actions:
        return message.text
    hints = " ".join(f"[{action.text}]" for action in message.actions)
    with_hints = f"{message.text}\n\n{hints}"
    # The answer matters more than the hint: drop the hint rather than the message.
    return with_hints if len(with_hints) <= MAX_CHARS else message.text


class SmsChannel:
    """Citizens' text messages through a Twilio phone number."""

    channel = Channel.SMS
    max_text_chars = MAX_CHARS

    def __init__(self, hub: HubPort, settings: TwilioSettings) -> None:
        self._hub = hub
        self._settings = settings
        self.send_timeout = settings.send_timeout
        self.sends_per_second = settings.sends_per_second
        self._signed = SignedRequests(settings.auth_token, settings.public_url)
        # A little under the outbox's own limit, so a slow Twilio fails here with a clear reason.
        self._sender = TwilioSender(
            settings, timeout=max(0.5, settings.send_timeout - 1.0), status_callback=settings.public_url + STATUS_PATH
        )

    def routes(self) -> list[web.RouteDef]:
        return [web.post(SMS_PATH, self.inbound_sms), web.post(STATUS_PATH, self.status_report)]

    async def inbound_sms(self, request: web.Request) -> web.Response:
        """Twilio's incoming-message webhook."""
        form = await self._signed.verified_form(request)
        inbound = inbound_message(form)
        if not inbound.text.strip() and not inbound.attachments:
            log.info("empty SMS %s from %s ignored", inbound.provider_message_id, mask(inbound.sender))
        else:
            result = await self._hub.receive(inbound)
            log.info(
                "SMS %s from %s stored as message %s%s",
                inbound.provider_message_id,
                mask(inbound.sender),
                result.message_id,
                " (a retry, already stored)" if result.duplicate else "",
            )
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def status_report(self, request: web.Request) -> web.Response:
        """Twilio's status callback for a message the hub sent."""
        form = await self._signed.verified_form(request)
        sid = required(form, "MessageSid")
        reported = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
        status = STATUSES.get(reported)
        if status is None:
            log.info("Twilio status %r for %s ignored", reported, sid)
        else:
            found = await self._hub.status_reported(Channel.SMS, sid, status, error_text(form.get("ErrorCode")))
            if found is None:
                # Answered 200 all the same: Twilio would only repeat a report we cannot place.
                log.warning("Twilio status %r for unknown message %s", reported, sid)
        return web.Response(status=200)

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """Send one reply as SMS; Twilio's message SID lets its delivery reports find it."""
        body = sms_text(message)
        if not body.strip():
            raise DeliveryFailed("The message has no text to send as SMS.", retryable=False)
        count = segments(body)
        if not count.fits:
            raise DeliveryFailed(
                f"The message has {count.characters} characters; an SMS takes at most {MAX_CHARS}.", retryable=False
            )
        sid = await self._sender.send(conversation.sender, body)
        log.info(
            "SMS to %s accepted by Twilio as %s (%d %s segments)",
            mask(conversation.sender),
            sid,
            count.segments,
            count.encoding,
        )
        return Delivered(MessageStatus.SENT, provider_message_id=sid)

    async def run(self) -> None:
        """Nothing to do in the background; holds the Twilio HTTP session until the hub stops."""
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the Twilio client's HTTP session (the next `deliver` opens a new one)."""
        await self._sender.close()
