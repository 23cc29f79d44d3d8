"""The SMS channel's way in: Twilio's signed webhooks for citizens' messages and delivery reports.

Twilio posts each SMS/MMS to `/webhooks/twilio/sms`; once its signature holds, the message
is stored (idempotent on its MessageSid, so Twilio's retries are harmless) and Twilio gets
empty TwiML: replies go later, through the outbox. Delivery reports for what the hub sent
come to `/webhooks/twilio/status`.
"""

from __future__ import annotations

import logging

from aiohttp import web

from channels.base import HubPort
from channels.sms.settings import SMS_PATH, STATUS_PATH, Settings
from channels.sms.signature import SignedRequests
from channels.sms.twilio_forms import EMPTY_TWIML, STATUSES, error_text, inbound_message, required
from model import Channel
from model.masking import mask

log = logging.getLogger(__name__)


class SmsInbound:
    """Citizens' text messages to the hub's Twilio number, and Twilio's reports on replies."""

    def __init__(self, hub: HubPort, settings: Settings) -> None:
        self._hub = hub
        self._signed = SignedRequests(settings.auth_token, settings.public_url)

    def routes(self) -> list[web.RouteDef]:
        return [web.post(SMS_PATH, self.inbound_sms), web.post(STATUS_PATH, self.status_report)]

    async def start(self) -> None:
        """Twilio calls the webhooks configured on the number; nothing to start."""

    async def close(self) -> None:
        """Nothing to close."""

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
