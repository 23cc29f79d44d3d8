"""Settings from the environment (`DASAN_*`), with defaults that run on one machine."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.delivery import OutboxSettings
from router.router import RouterSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/hub.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    load_demo: bool = True
    timezone: ZoneInfo = ZoneInfo("Asia/Seoul")
    reopen_window: timedelta = timedelta(hours=1)
    sla_seconds: int = 60
    bot_min_confidence: float = 0.55
    router: RouterSettings = field(default_factory=RouterSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    rasa_url: str | None = None
    """Rasa's REST endpoint (e.g. http://127.0.0.1:5005); None runs the built-in bot only."""
    rasa_timeout_seconds: float = 3.0
    public_url: str = "http://127.0.0.1:8080"
    """The hub's address as providers and citizens reach it (behind a proxy, the proxy's)."""
    channel_factories: tuple[Callable[[Any], Any], ...] = ()
    """Provider channels to run: each builds its adapter from the hub (a `HubPort`)."""
    translation_engines: tuple[Callable[[Any], Any], ...] = ()
    """Machine-translation engines in order of preference (translation/configured.py)."""
    translation_routes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Foreign language → the engines to ask first for it."""
    secure_cookies: bool = False
    api_channel_key: str | None = None
    # Argon2 cost: the library's defaults; lower only where hashing speed matters more (tests).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Settings from `DASAN_*` variables; keyword arguments win over both."""
        env = os.environ
        values: dict[str, object] = {}
        if "DASAN_DATABASE_URL" in env:
            values["database_url"] = env["DASAN_DATABASE_URL"]
        if "DASAN_TIMEZONE" in env:
            values["timezone"] = ZoneInfo(env["DASAN_TIMEZONE"])
        if "DASAN_REOPEN_WINDOW_SECONDS" in env:
            values["reopen_window"] = timedelta(seconds=float(env["DASAN_REOPEN_WINDOW_SECONDS"]))
        if "DASAN_SLA_SECONDS" in env:
            values["sla_seconds"] = int(env["DASAN_SLA_SECONDS"])
        if env.get("DASAN_RASA_URL"):
            values["rasa_url"] = env["DASAN_RASA_URL"]
        if env.get("DASAN_PUBLIC_URL"):
            values["public_url"] = env["DASAN_PUBLIC_URL"].rstrip("/")
        if env.get("DASAN_API_CHANNEL_KEY"):
            values["api_channel_key"] = env["DASAN_API_CHANNEL_KEY"]
        if "DASAN_SECURE_COOKIES" in env:
            values["secure_cookies"] = env["DASAN_SECURE_COOKIES"] == "1"
        router = RouterSettings(
            bot_timeout_seconds=float(env.get("DASAN_BOT_TIMEOUT_SECONDS", RouterSettings.bot_timeout_seconds)),
            offer_timeout_seconds=float(env.get("DASAN_OFFER_TIMEOUT_SECONDS", RouterSettings.offer_timeout_seconds)),
            foreign_overflow_seconds=float(
                env.get("DASAN_FOREIGN_OVERFLOW_SECONDS", RouterSettings.foreign_overflow_seconds)
            ),
        )
        values["router"] = router
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]
