"""The API channel's configuration: the key integrations present, if any."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    key: str | None = None
    """The bearer token every call must carry; None leaves the channel open (development)."""


def from_env(env: Mapping[str, str], public_url: str) -> Settings:
    """Settings from DASAN_API_CHANNEL_KEY; the API channel is always on."""
    return Settings(key=env.get("DASAN_API_CHANNEL_KEY", "").strip() or None)
