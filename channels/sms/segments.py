"""How many SMS segments a text costs (GSM 03.38 / 3GPP TS 23.038 rules, as Twilio bills).

A text that fits the GSM-7 alphabet goes as 7-bit septets: 160 in one segment, 153 per
segment when split (the concatenation header takes the rest). Anything else — Korean,
Chinese, emoji — forces the whole text into UCS-2: 70 UTF-16 units alone, 67 when split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MAX_CHARS = 1600
"""Twilio refuses a body longer than this (and splits it into at most 10-ish segments)."""

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table is reached through an escape septet, so each costs two.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentCount:
    """What a text costs as SMS."""

    encoding: Encoding
    segments: int
    characters: int
    """Characters as a person counts them (code points); Twilio's 1600 limit is on these."""
    units: int
    """What the segments are filled with: septets for GSM-7, UTF-16 units for UCS-2."""

    @property
    def fits(self) -> bool:
        """Whether Twilio takes the text at all."""
        return self.characters <= MAX_CHARS


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` exists in the GSM-7 alphabet (basic or extension)."""
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def _unit_costs(text: str, encoding: Encoding) -> list[int]:
    if encoding == "GSM-7":
        return [2 if char in GSM_EXTENSION else 1 for char in text]
    # Characters beyond the Basic Multilingual Plane (most emoji) are surrogate pairs.
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _pack(costs: list[int], per_segment: int) -> int:
    """Segments needed when no character is cut in two (an escape pair or a surrogate pair
    split across segments would arrive as garbage, so encoders move it to the next one)."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments, used = segments + 1, 0
        used += cost
    return segments


def segments(text: str) -> SegmentCount:
    """The encoding, segment count, characters and units of `text` sent as one SMS."""
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    single, split = _LIMITS[encoding]
    if units == 0:
        count = 0
    elif units <= single:
        count = 1
    else:
        count = _pack(costs, split)
    return SegmentCount(encoding=encoding, segments=count, characters=len(text), units=units)
