"""The web chat's configuration: none yet. The widget is served by the hub itself, so the
channel is always on; the dataclass is where its settings will go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    pass


def from_env(env: Mapping[str, str], public_url: str) -> Settings:
    """The web chat is always on."""
    return Settings()
