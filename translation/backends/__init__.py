"""The machine-translation engines the hub can use, one module each, all of the same shape.

Each module holds one class taking `(settings: EngineSettings, session: aiohttp.ClientSession)`
and meeting `translation.engine.Engine`: its `name`, `supports(source, target)` over the hub's
ISO 639-1 codes (ko en zh ja vi mn), and `translate(texts, source, target)`, which answers one
translation per text in order or raises `TranslationFailed` (retryable for timeouts, refused
connections, rate limits and 5xx; not for bad keys, unsupported pairs or malformed requests).

- `libretranslate.LibreTranslate`: a self-hosted LibreTranslate (`POST /translate`).
- `papago.Papago`: NAVER Cloud Platform Papago Text Translation (`POST /nmt/v1/translation`).
- `google.GoogleTranslate`: Google Cloud Translation Basic, v2 (`POST /language/translate/v2`).
"""

from __future__ import annotations

from translation.backends.google import GoogleTranslate
from translation.backends.libretranslate import LibreTranslate
from translation.backends.papago import Papago

__all__ = ["GoogleTranslate", "LibreTranslate", "Papago"]
