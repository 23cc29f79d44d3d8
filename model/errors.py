"""Errors that reach the citizen or the agent as a clear 4xx with a message."""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """A refusal with an HTTP status, a snake_case code and a human sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str) -> HubError:
    return HubError(404, "not_found", f"{what} does not exist.")


def conflict(message: str) -> HubError:
    return HubError(409, "conflict", message)


def invalid(message: str, code: str = "invalid_request") -> HubError:
    return HubError(400, code, message)


def forbidden(message: str) -> HubError:
    return HubError(403, "forbidden", message)


def _carries_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    return isinstance(value, (list, tuple)) and any(_carries_nul(item) for item in value)


def refuse_nul(value: Any) -> None:
    """Refuse U+0000 anywhere in `value` (strings in lists and dicts too): PostgreSQL text
    cannot store it, so refused at the door it is a 400 on both engines, not a 500 on one."""
    if _carries_nul(value):
        raise HubError(400, "invalid_character", "The request holds a NUL character (U+0000).")
