"""A local Twilio: the Messages REST resource as Twilio documents it, and Twilio's webhooks.

`TwilioStandIn` serves `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form-encoded
To, From, Body, StatusCallback; HTTP basic auth with the account SID and auth token), answers
201 with the message resource, or Twilio's error JSON (`code`, `message`, `more_info`,
`status`). It records what it took, can be told to fail or stall, can be stopped and started
on the same port, and posts signed status callbacks as Twilio does. `signed_inbound` builds
an incoming-SMS webhook request exactly as Twilio would sign it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from tests.standins.server import FaultyStandIn

ACCOUNT_SID = "AC" + "0" * 29 + "120"  # "AC" and 32 hex digits, like Twilio's
AUTH_TOKEN = "f" * 32
API_VERSION = "2010-04-01"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _sid(prefix: str) -> str:
    """A Twilio SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def _error(status: int, code: int, message: str) -> web.Response:
    """Twilio's REST error shape."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


@dataclass
class SentMessage:
    """One message the stand-in accepted, as Twilio's API received it."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    form: dict[str, str]
    status: str = "queued"


@dataclass
class TwilioStandIn(FaultyStandIn):
    """Twilio's Messages API on 127.0.0.1; `async with` starts and stops it, and `base_url` is what
    replaces https://api.twilio.com in the client."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[SentMessage] = field(default_factory=list)
    attempts: int = 0
    """Every POST to Messages.json, accepted or not."""

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/2010-04-01/Accounts/{account_sid}/Messages.json", self._create_message)

    # -- behaviour ---------------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1, code: int | None = None, message: str | None = None) -> None:
        """Answer the next `times` sends with an error (500, 429, 400…) in Twilio's shape."""
        defaults = {
            429: (20429, "Too Many Requests"),
            500: (20500, "An internal server error has occurred"),
            503: (20503, "Service unavailable"),
            400: (21211, "The 'To' number is not a valid phone number."),
        }
        default_code, default_message = defaults.get(status, (status * 100, "Error"))
        self._fail_next(times, partial(_error, status, code or default_code, message or default_message))

    async def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """The accepted messages once there are at least `count`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the stand-in got {len(self.messages)} messages, expected {count}")
            await asyncio.sleep(0.02)
        return list(self.messages)

    # -- the Messages resource ---------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        try:
            auth = aiohttp.BasicAuth.decode(header)
        except ValueError:
            return False
        return secrets.compare_digest(auth.login, self.account_sid) and secrets.compare_digest(
            auth.password, self.auth_token
        )

    async def _create_message(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if (fault := await self._injected_fault()) is not None:
            return fault
        if not self._authorised(request):
            return _error(401, 20003, "Authenticate")
        account_sid = request.match_info["account_sid"]
        if account_sid != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        form = {key: str(value) for key, value in (await request.post()).items()}
        to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not _E164.match(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_ and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
        if not body and not form.get("MediaUrl"):
            return _error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sent = SentMessage(
            sid=_sid("SM"),
            account_sid=account_sid,
            to=to,
            from_=from_,
            body=body,
            status_callback=form.get("StatusCallback"),
            form=form,
        )
        self.messages.append(sent)
        return web.json_response(self._resource(sent), status=201)

    def _resource(self, sent: SentMessage) -> dict[str, Any]:
        """The message resource as Twilio's API returns it."""
        now = format_datetime(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{sent.account_sid}/Messages/{sent.sid}"
        return {
            "account_sid": sent.account_sid,
            "api_version": API_VERSION,
            "body": sent.body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sent.from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sent.sid,
            "status": sent.status,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": sent.to,
            "uri": f"{uri}.json",
        }

    # -- webhooks Twilio sends ---------------------------------------------------------

    def status_form(self, sent: SentMessage, status: str, error_code: str | None = None) -> dict[str, str]:
        """A status callback's parameters for one of the messages sent."""
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": sent.from_,
            "To": sent.to,
            "MessageSid": sent.sid,
            "SmsSid": sent.sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if error_code is not None:
            form["ErrorCode"] = error_code
        return form

    async def send_status(
        self,
        sent: SentMessage,
        status: str,
        error_code: str | None = None,
        *,
        post_to: str | None = None,
        token: str | None = None,
    ) -> aiohttp.ClientResponse:
        """POST a signed status callback to the message's StatusCallback, as Twilio does.

        Twilio signs over the StatusCallback URL it was given; `post_to` delivers it elsewhere
        (the test server behind a pretend proxy). `token` signs with another token (a forgery).
        """
        assert sent.status_callback, "the message was sent without a StatusCallback"
        sent.status = status
        form = self.status_form(sent, status, error_code)
        headers = signature_header(sent.status_callback, form, token or self.auth_token)
        async with aiohttp.ClientSession() as session:
            async with session.post(post_to or sent.status_callback, data=form, headers=headers) as response:
                await response.read()
                return response


def signature_header(url: str, form: Mapping[str, str], auth_token: str) -> dict[str, str]:
    """The X-Twilio-Signature header Twilio computes for a form posted to `url`."""
    return {"X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, dict(form))}


def inbound_form(
    from_: str,
    body: str,
    *,
    to: str = "+8215880120",
    account_sid: str = ACCOUNT_SID,
    message_sid: str | None = None,
    media: Sequence[tuple[str, str]] = (),
) -> dict[str, str]:
    """The parameters of Twilio's incoming-message webhook for one SMS or MMS."""
    sid = message_sid or _sid("MM" if media else "SM")
    form = {
        "ToCountry": "KR",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "KR",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    for index, (url, content_type) in enumerate(media):
        form[f"MediaUrl{index}"] = url
        form[f"MediaContentType{index}"] = content_type
    return form


def signed_inbound(
    url: str, from_: str, body: str, *, auth_token: str = AUTH_TOKEN, **details: Any
) -> tuple[dict[str, str], dict[str, str]]:
    """An incoming-SMS webhook as Twilio posts it to `url`: (form, headers with the signature)."""
    form = inbound_form(from_, body, **details)
    return form, signature_header(url, form, auth_token)
