"""Quick replies in Telegram's terms: inline buttons, or a reply keyboard where they do not fit."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from model import QuickReply

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
