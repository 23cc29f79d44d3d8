"""Telegram's errors as the outbox and the retry loops need them: retry, wait, or give up."""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from channels.base import DeliveryFailed


def seconds(value: int | float | timedelta) -> float:
    """PTB 22 gives durations as int or timedelta, depending on PTB_TIMEDELTA."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def retry_after(error: RetryAfter) -> float:
    """How long Telegram asked us to wait, without PTB's deprecation warning about the type."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return seconds(error.retry_after)


def failure_from(error: TelegramError) -> DeliveryFailed:
    """What the outbox should do about a refused send.

    BadRequest and TimedOut are NetworkErrors in PTB, so the order of the checks matters.
    """
    if isinstance(error, RetryAfter):
        wait = retry_after(error)
        return DeliveryFailed(f"Telegram flood control: retry in {wait:g} s", retryable=True, retry_after=wait)
    if isinstance(error, Forbidden):
        # The citizen blocked the bot (or deleted their account): no retry will reach them.
        return DeliveryFailed(f"Telegram refused: {error.message}", retryable=False)
    if isinstance(error, (BadRequest, ChatMigrated)):
        return DeliveryFailed(f"Telegram rejected the message: {error.message}", retryable=False)
    if isinstance(error, InvalidToken):
        # The hub's credentials are wrong, not the message: keep it until an operator fixes them.
        return DeliveryFailed("Telegram refused the bot token", retryable=True)
    if isinstance(error, NetworkError):  # includes TimedOut and Telegram's 5xx answers
        return DeliveryFailed(f"Telegram could not be reached: {error.message}", retryable=True)
    return DeliveryFailed(f"Telegram error: {error.message}", retryable=True)


FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 30.0


async def back_off(error: TelegramError, wait: float) -> float:
    """Sleep as Telegram asked, or `wait`; the next wait, doubled up to a limit."""
    await asyncio.sleep(retry_after(error) if isinstance(error, RetryAfter) else wait)
    return min(wait * 2, LAST_RETRY_SECONDS)
