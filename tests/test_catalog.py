"""The citizen-facing message catalogues a translator edits (the hub's and each channel's):
complete in every language."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from channels.registry import all_channels
from hub.config import CHANNELS_ELSEWHERE
from model import LANGUAGES
from model.catalog import CATALOG_DIR, Catalog, read_folder

CHANNELS = all_channels(CHANNELS_ELSEWHERE)
FOLDERS = [CATALOG_DIR, *(info.messages for info in CHANNELS if info.messages)]


def _has_words(text: str) -> bool:
    return any(part.isalpha() for literal, *_ in string.Formatter().parse(text) for part in literal)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.parent.name)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_exists_in_every_language_with_the_same_placeholders(folder: Path, language: str) -> None:
    catalogue = read_folder(folder)
    korean, texts = catalogue["ko"], catalogue[language]
    assert set(texts) == set(korean)
    for key, original in korean.items():
        assert texts[key].strip(), key
        assert placeholders(texts[key]) == placeholders(original), key
    if language != "ko":
        # Punctuation alone (a range's dash, a list's comma) may well be the same.
        same = [key for key in korean if texts[key] == korean[key] and _has_words(korean[key])]
        assert same == [], f"left in Korean: {same}"


def test_a_channels_texts_are_its_own() -> None:
    """Each channel's catalogue keeps to its prefix, and the catalogues share no key."""
    for info in CHANNELS:
        if info.messages:
            prefixes = {key.split(".", 1)[0] for key in read_folder(info.messages)["ko"]}
            assert len(prefixes) == 1, f"{info.channel}: {prefixes}"
    catalog = Catalog(FOLDERS)  # refuses a key that two catalogues define
    assert catalog.texts("vi", "widget.")["widget.send"] == "Gửi"
    assert catalog.text("telegram.start", "fr") == catalog.text("telegram.start", "ko")
