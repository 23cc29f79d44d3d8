"""Twilio's webhook signature, checked before anything in the request is believed."""

from __future__ import annotations

import logging

from aiohttp import web
from multidict import MultiDictProxy
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from model.errors import HubError, refuse_nul

log = logging.getLogger(__name__)


class SignedRequests:
    """Verifies `X-Twilio-Signature` over the hub's public URL and every posted parameter."""

    def __init__(self, auth_token: str, public_url: str) -> None:
        self._validator = RequestValidator(auth_token)
        self._public_url = public_url.rstrip("/")

    def signed_url(self, request: web.Request) -> str:
        """The URL Twilio signed: the one it was configured with, i.e. the public one.

        Behind a proxy the request reaches us at another host (and maybe scheme and port), so
        the request's own URL would never match; the path and query are what Twilio sent.
        """
        return self._public_url + request.raw_path

    async def verified_form(self, request: web.Request) -> MultiDictProxy[str]:
        """The posted form, once its signature is proven; raises a 403 `HubError` otherwise."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise HubError(403, "invalid_signature", f"The request has no {SIGNATURE_HEADER} header.")
        # Twilio signs every parameter it posts, including ones added without notice: all go in.
        form = await request.post()
        if any(not isinstance(value, str) for value in form.values()):
            # Twilio posts url-encoded forms only; an uploaded file is no Twilio request.
            raise HubError(403, "invalid_signature", "The request is not a form that Twilio signed.")
        text_form: MultiDictProxy[str] = form  # type: ignore[assignment]
        if not self._validator.validate(self.signed_url(request), text_form, signature):
            # The error middleware logs the refusal; the URL checked is what a proxy setup gets wrong.
            log.warning("Twilio signature mismatch, checked against %s", self.signed_url(request))
            raise HubError(403, "invalid_signature", f"The {SIGNATURE_HEADER} signature does not match the request.")
        refuse_nul([*text_form.keys(), *text_form.values()])  # signed or not, PostgreSQL cannot store it
        return text_form
