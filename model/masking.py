"""Personal data never reaches the logs whole: resident registration, card and phone numbers."""

from __future__ import annotations

import logging
import re

# Resident registration number (주민등록번호): YYMMDD-NNNNNNN.
_RESIDENT_NUMBER = re.compile(r"\b(\d{6})[- ]?([1-8])\d{6}\b")
_CARD_NUMBER = re.compile(r"\b(\d{4})[- ]?\d{4}[- ]?\d{4}[- ]?(\d{4})\b")
_PHONE_NUMBER = re.compile(r"(\+?\d{2,3}[- ]?\d{2,4}[- ]?)\d{4}\b")


def mask(text: str) -> str:
    """The text with personal numbers masked, keeping enough to tell records apart."""
    text = _RESIDENT_NUMBER.sub(r"\1-\2******", text)
    text = _CARD_NUMBER.sub(r"\1-****-****-\2", text)
    return _PHONE_NUMBER.sub(r"\1****", text)


class MaskingFilter(logging.Filter):
    """Installed on the hub's log handlers: masks every formatted record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True
