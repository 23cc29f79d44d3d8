"""Errors that reach the citizen or the agent as a clear 4xx with a message."""

from __future__ import annotations

import math
import re
from typing import Any


class HubError(Exception):
    """A refusal with an HTTP status, a snake_case code and a human sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class TooManyRequests(HubError):
    """429: the caller sent too much too fast (or failed to log in too often); `retry_after`
    seconds (at least one) go in the Retry-After header."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(429, "too_many_requests", message)
        self.retry_after = max(1, math.ceil(retry_after))


def not_found(what: str) -> HubError:
    return HubError(404, "not_found", f"{what} does not exist.")


def conflict(message: str) -> HubError:
    return HubError(409, "conflict", message)


def invalid(message: str, code: str = "invalid_request") -> HubError:
    return HubError(400, code, message)


def forbidden(message: str) -> HubError:
    return HubError(403, "forbidden", message)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL, and the surrogates a JSON escape (`"\\ud800"`) can carry alone: no UTF-8 text holds them."""


def _carries_nul(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    return isinstance(value, (list, tuple)) and any(_carries_nul(item) for item in value)


def refuse_nul(value: Any) -> None:
    """Refuse U+0000, and unpaired surrogates, anywhere in `value` (strings in lists and dicts
    too): PostgreSQL text cannot store NUL and neither engine a surrogate, so refused at the door
    it is a 400 on both engines, not a 500."""
    if _carries_nul(value):
        raise HubError(400, "invalid_character", "The request holds a NUL character (U+0000) or an unpaired surrogate.")
