"""Reading Kakao's SkillPayload: who wrote what, where the late answer may go.

Kakao's payload (userRequest, bot, intent, action, contexts) carries no message id. A
request is identified by the `X-Request-Id` header where Kakao sends one (reported by
skill developers, not in Kakao's payload reference) and by its one-time `callbackUrl`
when the block uses callbacks; without either, a repeated request cannot be told from
the citizen sending the same words again, so it is stored again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model.errors import HubError

MAX_UTTERANCE = 4000
MAX_USER_ID = 200
REQUEST_ID_HEADER = "X-Request-Id"


@dataclass(frozen=True)
class SkillRequest:
    sender: str
    """`userRequest.user.id`: the botUserKey, stable for one citizen within one bot."""
    utterance: str
    callback_url: str | None
    provider_message_id: str | None
    block: str | None


def bot_id(payload: Mapping[str, Any]) -> str:
    """`bot.id`, or an empty string when it is absent."""
    bot = payload.get("bot")
    value = bot.get("id") if isinstance(bot, dict) else None
    return value if isinstance(value, str) else ""


def parse_skill_request(payload: Mapping[str, Any], headers: Mapping[str, str]) -> SkillRequest:
    """The parts of a SkillPayload the hub uses; a 400 naming the field that is wrong."""
    request = payload.get("userRequest")
    if not isinstance(request, dict):
        raise HubError(400, "missing_field", "The field 'userRequest' is required.")
    user = request.get("user")
    sender = user.get("id") if isinstance(user, dict) else None
    if not isinstance(sender, str) or not sender.strip():
        raise HubError(400, "missing_field", "The field 'userRequest.user.id' is required.")
    if len(sender) > MAX_USER_ID:
        raise HubError(400, "invalid_field", "The field 'userRequest.user.id' is too long.")
    utterance = request.get("utterance")
    if not isinstance(utterance, str) or not utterance.strip():
        raise HubError(400, "missing_field", "The field 'userRequest.utterance' is required.")
    if len(utterance) > MAX_UTTERANCE:
        raise HubError(400, "text_too_long", f"The utterance is longer than {MAX_UTTERANCE} characters.")
    callback = request.get("callbackUrl")
    if callback is not None and (not isinstance(callback, str) or not callback.startswith(("https://", "http://"))):
        raise HubError(400, "invalid_field", "The field 'userRequest.callbackUrl' must be a URL.")
    block = request.get("block")
    block_id = block.get("id") if isinstance(block, dict) else None
    return SkillRequest(
        sender=sender,
        utterance=utterance,
        callback_url=callback or None,
        provider_message_id=provider_message_id(sender, headers.get(REQUEST_ID_HEADER), callback),
        block=block_id if isinstance(block_id, str) else None,
    )


def provider_message_id(sender: str, request_id: str | None, callback_url: str | None) -> str | None:
    """A stable id for one skill request, so that a repeat of it is stored once.

    The utterance is left out on purpose: a citizen who asks the same thing twice sent two
    messages. Without a request id or a callback URL there is nothing stable to go on.
    """
    if request_id and request_id.strip():
        key = "request:" + request_id.strip()
    elif callback_url:
        key = "callback:" + callback_url
    else:
        return None
    return "kakao-" + hashlib.sha256(f"{sender}\0{key}".encode()).hexdigest()[:40]
