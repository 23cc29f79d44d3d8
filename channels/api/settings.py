"""The API channel's configuration: the key integrations present."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    key: str | None = None
    """The bearer token every call must carry (DASAN_API_CHANNEL_KEY); it always wins."""
    made_key: Callable[[], Awaitable[str]] | None = None
    """Where the key comes from when `key` is None: the hub makes one once and keeps it (the app
    factory gives this). With neither, every call is refused: the channel is never open."""


def from_env(env: Mapping[str, str], public_url: str) -> Settings:
    """Settings from DASAN_API_CHANNEL_KEY; the API channel is always on."""
    return Settings(key=env.get("DASAN_API_CHANNEL_KEY", "").strip() or None)
