"""One-time codes that open a sign-language video call from a citizen's web chat.

The chat's session token must never appear in a URL (it would end up in histories and logs),
so the widget trades it for a short-lived code that opens the video page once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from model.clock import utcnow

LIFETIME = timedelta(minutes=10)


class VideoCodes:
    """Codes issued by this process, each naming the conversation it was asked from."""

    def __init__(self, lifetime: timedelta = LIFETIME, clock: Callable[[], datetime] = utcnow) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._codes: dict[str, tuple[str, datetime]] = {}

    def issue(self, conversation_id: str) -> str:
        """A new code for the conversation; expired codes are forgotten on the way."""
        now = self._clock()
        self._codes = {code: entry for code, entry in self._codes.items() if entry[1] > now}
        code = secrets.token_urlsafe(16)
        self._codes[code] = (conversation_id, now + self._lifetime)
        return code

    def redeem(self, code: str) -> str | None:
        """The conversation the code was issued for, once; None when unknown, used or expired."""
        entry = self._codes.pop(code, None)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]
