"""What Twilio's webhook forms mean to the hub: inbound SMS/MMS and delivery reports.

Only called on forms whose signature was checked already.
"""

from __future__ import annotations

from collections.abc import Mapping

from model import Attachment, Channel, Inbound, MessageStatus
from model.errors import invalid

MAX_ID_CHARS = 200
"""What the store keeps of a sender or a provider message id."""
MAX_MEDIA = 10
"""Twilio delivers at most ten media items with one MMS."""

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
"""Our answer to an inbound SMS: no reply inline, replies go through the outbox."""

STATUSES: dict[str, MessageStatus] = {
    # Still on its way: Twilio took it (the outbox has already recorded `sent`).
    "accepted": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}

# The delivery errors an agent meets most; the rest are named by number only.
ERROR_TEXTS = {
    "21610": "the citizen has opted out of SMS from this number (STOP)",
    "21614": "not a mobile number",
    "30003": "the handset is unreachable (switched off or out of coverage)",
    "30004": "the message is blocked by the recipient or their carrier",
    "30005": "unknown number, or the number is no longer in service",
    "30006": "a landline or a carrier that cannot take SMS",
    "30007": "filtered by the carrier as spam",
    "30008": "unknown error at the carrier",
}


def required(form: Mapping[str, str], name: str) -> str:
    """A parameter Twilio always sends (a number or a SID); a clear 400 when it is absent or
    longer than the store keeps senders and provider ids."""
    value = form.get(name, "").strip()
    if not value:
        raise invalid(f"The parameter '{name}' is required.", "missing_field")
    if len(value) > MAX_ID_CHARS:
        raise invalid(f"The parameter '{name}' is longer than {MAX_ID_CHARS} characters.", "invalid_field")
    return value


def attachment_kind(content_type: str | None) -> str:
    """image, audio or video by the media's type; anything else (vCard, PDF…) is a file."""
    major = (content_type or "").split("/", 1)[0].strip().lower()
    return major if major in ("image", "audio", "video") else "file"


def media(form: Mapping[str, str]) -> tuple[Attachment, ...]:
    """MMS media as attachments; the URLs are Twilio's copies (fetched with account auth)."""
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise invalid("The parameter 'NumMedia' must be a number.", "invalid_field") from None
    attachments = []
    for index in range(max(0, min(count, MAX_MEDIA))):
        url = form.get(f"MediaUrl{index}")
        if not url:
            continue
        content_type = form.get(f"MediaContentType{index}") or None
        attachments.append(Attachment(kind=attachment_kind(content_type), url=url, content_type=content_type))
    return tuple(attachments)


def inbound_message(form: Mapping[str, str]) -> Inbound:
    """A citizen's SMS or MMS as the hub's `Inbound`; the sender is their phone number."""
    sender = required(form, "From")
    message_sid = required(form, "MessageSid")
    metadata = {"to": form["To"]} if form.get("To") else {}
    return Inbound(
        channel=Channel.SMS,
        sender=sender,
        text=form.get("Body", ""),
        provider_message_id=message_sid,
        metadata=metadata,
        attachments=media(form),
        # The carrier vouches for the sender's number: it links this citizen's other channels.
        verified_phone=sender,
    )


def error_text(code: str | None) -> str | None:
    """A delivery report's ErrorCode as a sentence an agent can act on."""
    code = (code or "").strip()
    if not code or code == "0":
        return None
    known = ERROR_TEXTS.get(code)
    return f"Twilio error {code}: {known}" if known else f"Twilio error {code}"
