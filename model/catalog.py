"""Citizen-facing texts from per-language message catalogues a translator can edit."""

from __future__ import annotations

import json
from pathlib import Path

from model import Language

CATALOG_DIR = Path(__file__).parent / "messages"
DEFAULT_LANGUAGE = Language.KO.value


class Catalog:
    """`catalog.text("system.queued", "vi", position=2)`; falls back to Korean."""

    def __init__(self, directory: Path = CATALOG_DIR) -> None:
        self._texts: dict[str, dict[str, str]] = {
            path.stem: json.loads(path.read_text(encoding="utf-8")) for path in directory.glob("*.json")
        }

    def text(self, key: str, language: str | None, **values: object) -> str:
        texts = self._texts.get(language or DEFAULT_LANGUAGE) or self._texts[DEFAULT_LANGUAGE]
        template = texts.get(key) or self._texts[DEFAULT_LANGUAGE][key]
        return template.format(**values)

    def texts(self, language: str, prefix: str = "") -> dict[str, str]:
        """Every text of one language whose key starts with `prefix` (for the widget)."""
        merged = {**self._texts[DEFAULT_LANGUAGE], **self._texts.get(language, {})}
        return {key: value for key, value in merged.items() if key.startswith(prefix)}
