"""The translation engines this hub uses, from the environment.

Each engine is on when its variables are set; `DASAN_TRANSLATION_ORDER` says which to ask
first for a pair (default: Papago, which is strongest on Korean, then Google, which also
knows Mongolian, then a self-hosted LibreTranslate). With none set the hub works without
machine translation: foreign-language conversations wait for agents who speak the language.
"""

from __future__ import annotations

from collections.abc import Mapping

from model import AGENT_LANGUAGE, LANGUAGES
from translation.backends.google import GoogleTranslate
from translation.backends.libretranslate import LibreTranslate
from translation.backends.papago import Papago
from translation.engine import EngineFactory, EngineSettings

DEFAULT_ORDER = ("papago", "google", "libretranslate")
FOREIGN = frozenset(LANGUAGES) - {AGENT_LANGUAGE}


def engine_factories(env: Mapping[str, str]) -> tuple[EngineFactory, ...]:
    """Factories of the configured engines in order of preference; ValueError on a half setup."""
    timeout = float(env.get("DASAN_TRANSLATION_TIMEOUT_SECONDS", "5"))
    configured: dict[str, EngineFactory] = {}
    if url := env.get("DASAN_LIBRETRANSLATE_URL", "").strip():
        settings = EngineSettings(url, env.get("DASAN_LIBRETRANSLATE_KEY") or None, timeout_seconds=timeout)
        configured["libretranslate"] = lambda client: LibreTranslate(settings, client)
    papago_id, papago_secret = env.get("DASAN_PAPAGO_KEY_ID", "").strip(), env.get("DASAN_PAPAGO_KEY", "").strip()
    if bool(papago_id) != bool(papago_secret):
        raise ValueError("Papago needs both DASAN_PAPAGO_KEY_ID and DASAN_PAPAGO_KEY")
    if papago_id:
        # No URL: the engine's own default address.
        papago = EngineSettings(env.get("DASAN_PAPAGO_URL", "").strip(), papago_id, papago_secret, timeout)
        configured["papago"] = lambda client: Papago(papago, client)
    if key := env.get("DASAN_GOOGLE_TRANSLATE_KEY", "").strip():
        google = EngineSettings(env.get("DASAN_GOOGLE_TRANSLATE_URL", "").strip(), key, timeout_seconds=timeout)
        configured["google"] = lambda client: GoogleTranslate(google, client)
    order = [name.strip() for name in env.get("DASAN_TRANSLATION_ORDER", ",".join(DEFAULT_ORDER)).split(",")]
    unknown = [name for name in order if name and name not in DEFAULT_ORDER]
    if unknown:
        raise ValueError(f"DASAN_TRANSLATION_ORDER names unknown engines: {', '.join(unknown)}")
    return tuple(configured[name] for name in order if name in configured)


def routes(env: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """`DASAN_TRANSLATION_ROUTES="mn=google;vi=papago,google"`: the engines to ask first for
    a language (with Korean, both ways); ValueError on a malformed value."""
    found: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in env.get("DASAN_TRANSLATION_ROUTES", "").split(";"))):
        language, _, names = part.partition("=")
        engines = tuple(name.strip() for name in names.split(",") if name.strip())
        if language.strip() not in FOREIGN or not engines or set(engines) - set(DEFAULT_ORDER):
            raise ValueError(f"DASAN_TRANSLATION_ROUTES: cannot read {part!r} (e.g. mn=google;vi=papago,google)")
        found[language.strip()] = engines
    return found
