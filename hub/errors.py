"""Errors that reach the citizen or the agent as a clear 4xx with a message."""

from __future__ import annotations


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
