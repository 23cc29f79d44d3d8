"""A 상담톡 (KakaoTalk counselling) partner: how agent replies reach a citizen unasked.

Kakao sells counselling talk only through BizMessage partners, each with its own REST
shape. This client speaks the smallest common one: POST `{"user_key", "text",
"serial_number"}` with the partner key as a bearer token. A text holds at most 1000
characters, so a longer reply goes as several messages; `serial_number` lets a partner
drop a piece it already has when the outbox retries the whole reply.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from channels.base import DeliveryFailed, split_text
from channels.kakao.templates import TEXT_LIMIT

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0


class CounsellingPartner:
    def __init__(self, url: str, key: str, session: aiohttp.ClientSession) -> None:
        self._url = url
        self._key = key
        self._session = session

    async def send(self, user_key: str, text: str, serial: str) -> str | None:
        """Send one reply; the partner's id for its last piece, if it gives one."""
        pieces = split_text(text, TEXT_LIMIT) or [text]
        partner_id: str | None = None
        for index, piece in enumerate(pieces):
            number = serial if len(pieces) == 1 else f"{serial}-{index + 1}"
            partner_id = await self._post({"user_key": user_key, "text": piece, "serial_number": number})
        return partner_id

    async def _post(self, body: dict[str, str]) -> str | None:
        try:
            async with self._session.post(
                self._url,
                json=body,
                headers={"Authorization": f"Bearer {self._key}"},
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            ) as response:
                if response.status >= 400:
                    raise _failure(response.status, (await response.text())[:200], response.headers.get("Retry-After"))
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    return None
        except asyncio.TimeoutError:
            raise DeliveryFailed(f"the 상담톡 partner did not answer within {TIMEOUT_SECONDS:g} s") from None
        except aiohttp.ClientError as error:
            raise DeliveryFailed(f"the 상담톡 partner is unreachable: {type(error).__name__}") from None
        found = (answer.get("message_id") or answer.get("id")) if isinstance(answer, dict) else None
        return str(found) if found else None


def _failure(status: int, detail: str, retry_after: str | None) -> DeliveryFailed:
    """5xx and 429 are the partner's trouble and pass; any other 4xx will fail again."""
    reason = f"the 상담톡 partner refused the message: HTTP {status} {detail}".strip()
    if status >= 500 or status == 429:
        wait = float(retry_after) if retry_after and retry_after.isdigit() else None
        return DeliveryFailed(reason, retryable=True, retry_after=wait)
    return DeliveryFailed(reason, retryable=False)
