"""The channel's own citizen-facing texts (greetings.json), in the hub's six languages."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

GREETINGS = Path(__file__).with_name("greetings.json")
DEFAULT_LANGUAGE = "ko"


@cache
def _texts() -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = json.loads(GREETINGS.read_text(encoding="utf-8"))
    return texts


def text(key: str, language: str | None) -> str:
    """`key` in `language`, else in Korean (the catalogue's rule)."""
    texts = _texts()
    return texts.get(language or DEFAULT_LANGUAGE, {}).get(key) or texts[DEFAULT_LANGUAGE][key]
