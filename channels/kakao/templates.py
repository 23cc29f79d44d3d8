"""Skill responses in Kakao i Open Builder's version 2.0 format, within Kakao's limits.

Kakao reads a response without `"version": "2.0"` as the old format. A response carries
1 to 3 outputs; a simpleText holds at most 1000 characters; at most 10 quick replies,
each label at most 14 characters. Whatever does not fit must wait for another response.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from channels.base import split_text

TEXT_LIMIT = 1000
MAX_OUTPUTS = 3
MAX_QUICK_REPLIES = 10
LABEL_LIMIT = 14
ELLIPSIS = "…"
_JOINER = "\n\n"


@dataclass(frozen=True)
class Packed:
    """Texts laid out as bubbles; texts after the first `included` did not fit."""

    bubbles: tuple[str, ...]
    included: int
    truncated: bool = False
    """The first text alone was longer than one response holds and was cut short."""


def pack(texts: Sequence[str], limit: int = TEXT_LIMIT, max_outputs: int = MAX_OUTPUTS) -> Packed:
    """Lay whole texts out in at most `max_outputs` bubbles of at most `limit` characters.

    Each text gets bubbles of its own while they suffice; beyond that, texts share bubbles.
    A text that does not fit whole is left out with every text after it (order matters to
    the citizen), except the first, which is cut short rather than never shown.
    """
    texts = [text.strip() for text in texts if text.strip()]
    pieces = [split_text(text, limit) for text in texts]
    if sum(len(p) for p in pieces) <= max_outputs:
        return Packed(tuple(piece for group in pieces for piece in group), len(texts))
    bubbles: list[str] = []
    for index, group in enumerate(pieces):
        trial = _merged(bubbles, group, limit)
        if len(trial) <= max_outputs:
            bubbles = trial
            continue
        if index == 0:
            kept = trial[:max_outputs]
            last = kept[-1]
            kept[-1] = (last[: limit - len(ELLIPSIS)] if len(last) + len(ELLIPSIS) > limit else last) + ELLIPSIS
            return Packed(tuple(kept), 1, truncated=True)
        return Packed(tuple(bubbles), index)
    return Packed(tuple(bubbles), len(texts))


def _merged(bubbles: list[str], group: list[str], limit: int) -> list[str]:
    merged = list(bubbles)
    for piece in group:
        if merged and len(merged[-1]) + len(_JOINER) + len(piece) <= limit:
            merged[-1] = merged[-1] + _JOINER + piece
        else:
            merged.append(piece)
    return merged


def quick_reply(label: str, text: str) -> dict[str, str]:
    """A button that sends `text` as the citizen's message; the label is cut to Kakao's limit."""
    shown = label if len(label) <= LABEL_LIMIT else label[: LABEL_LIMIT - 1] + ELLIPSIS
    return {"action": "message", "label": shown, "messageText": text}


def skill_response(bubbles: Sequence[str], quick_replies: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    """A version 2.0 SkillResponse of simpleText outputs and quick replies."""
    if not 1 <= len(bubbles) <= MAX_OUTPUTS:
        raise ValueError(f"a skill response has 1 to {MAX_OUTPUTS} outputs, not {len(bubbles)}")
    if any(len(bubble) > TEXT_LIMIT for bubble in bubbles):
        raise ValueError(f"a simpleText holds at most {TEXT_LIMIT} characters")
    template: dict[str, Any] = {"outputs": [{"simpleText": {"text": bubble}} for bubble in bubbles]}
    unique: dict[str, dict[str, str]] = {}
    for reply in quick_replies:
        unique.setdefault(reply["messageText"], reply)
    if unique:
        template["quickReplies"] = list(unique.values())[:MAX_QUICK_REPLIES]
    return {"version": "2.0", "template": template}


def callback_ack(text: str) -> dict[str, Any]:
    """The immediate answer that tells Kakao the real one will come to the callback URL."""
    return {"version": "2.0", "useCallback": True, "data": {"text": text}}
