"""Citizen-facing texts from per-language message catalogues a translator can edit.

The hub's own texts are in `model/messages/<language>.json`; each channel keeps its own
(`channels/<name>/messages/`) under keys that start with its prefix (`widget.`, `kakao.`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from model import Language

CATALOG_DIR = Path(__file__).parent / "messages"
DEFAULT_LANGUAGE = Language.KO.value


def read_folder(folder: Path) -> dict[str, dict[str, str]]:
    """One catalogue folder: language → key → text."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


class Catalog:
    """`catalog.text("system.queued", "vi", position=2)`; falls back to Korean."""

    def __init__(self, folders: Iterable[Path] = (CATALOG_DIR,)) -> None:
        """The texts of every folder together; a key in two folders is a mistake (ValueError)."""
        self._texts: dict[str, dict[str, str]] = {}
        for folder in folders:
            for language, texts in read_folder(folder).items():
                merged = self._texts.setdefault(language, {})
                if twice := merged.keys() & texts.keys():
                    raise ValueError(f"{folder}/{language}.json repeats keys of another catalogue: {sorted(twice)}")
                merged.update(texts)

    def text(self, key: str, language: str | None, **values: object) -> str:
        texts = self._texts.get(language or DEFAULT_LANGUAGE) or self._texts[DEFAULT_LANGUAGE]
        template = texts.get(key) or self._texts[DEFAULT_LANGUAGE][key]
        return template.format(**values)

    def texts(self, language: str, prefix: str = "") -> dict[str, str]:
        """Every text of one language whose key starts with `prefix` (for the widget)."""
        merged = {**self._texts[DEFAULT_LANGUAGE], **self._texts.get(language, {})}
        return {key: value for key, value in merged.items() if key.startswith(prefix)}
