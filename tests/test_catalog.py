"""The citizen-facing message catalogues a translator edits: complete in every language."""

from __future__ import annotations

import json
import string

import pytest

from model.catalog import CATALOG_DIR

LANGUAGES = ["ko", "en", "zh", "ja", "vi", "mn"]
KOREAN = json.loads((CATALOG_DIR / "ko.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_exists_in_every_language_with_the_same_placeholders(language: str) -> None:
    texts = json.loads((CATALOG_DIR / f"{language}.json").read_text(encoding="utf-8"))
    assert set(texts) == set(KOREAN)
    for key, korean in KOREAN.items():
        assert texts[key].strip(), key
        assert placeholders(texts[key]) == placeholders(korean), key
    if language != "ko":
        same = [key for key in KOREAN if texts[key] == KOREAN[key]]
        assert same == [], f"left in Korean: {same}"
