"""Outbound messages in Telegram's terms: keyboards for quick replies, failures for the outbox."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
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
from model import QuickReply

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)
MAX_CALLBACK_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup


def keyboard_for(actions: Sequence[QuickReply]) -> Keyboard | None:
    """Quick replies as buttons, one per row; tapping one sends the action's text.

    Inline buttons stay with the message and keep label and text apart, but their
    callback_data holds at most 64 bytes; longer texts fall back to a one-time reply keyboard,
    whose buttons send their own label.
    """
    if not actions:
        return None
    if all(0 < len(action.text.encode()) <= MAX_CALLBACK_BYTES for action in actions):
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(action.label, callback_data=action.text)] for action in actions]
        )
    return ReplyKeyboardMarkup(
        [[KeyboardButton(action.text)] for action in actions], resize_keyboard=True, one_time_keyboard=True
    )


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
