"""Settings from the environment (`DASAN_*`), with defaults that run on one machine."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from channels.registry import ConfiguredChannel, configured
from hub.delivery import OutboxSettings
from hub.survey import SurveySettings
from router.routing import RouterSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/hub.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
CHANNELS_ELSEWHERE = ("sign_video",)
"""Channel packages outside `channels/` (DESIGN.md keeps sign-language video top level)."""


def unconfigured_channels() -> tuple[ConfiguredChannel, ...]:
    """The channels that need no configuration (the web chat, the API channel without a key)."""
    return tuple(configured({}, DEFAULT_PUBLIC_URL))


@dataclass(frozen=True)
class ReportTargets:
    """The report's targets, drawn beside its figures (the 2018 report's own by default)."""

    answer_rate: float = 0.865
    satisfaction: float = 91.0
    """Points on the report's 100-point scale."""
    first_contact_resolution: float = 0.788
    abuse_incidents_per_month: int = 60
    """The ceiling of abusive-complaint incidents a month."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "ReportTargets":
        """Targets from `DASAN_TARGET_*` variables, each defaulting to the report's."""
        return cls(
            answer_rate=float(env.get("DASAN_TARGET_ANSWER_RATE", cls.answer_rate)),
            satisfaction=float(env.get("DASAN_TARGET_SATISFACTION", cls.satisfaction)),
            first_contact_resolution=float(
                env.get("DASAN_TARGET_FIRST_CONTACT_RESOLUTION", cls.first_contact_resolution)
            ),
            abuse_incidents_per_month=int(env.get("DASAN_TARGET_ABUSE_INCIDENTS", cls.abuse_incidents_per_month)),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    load_demo: bool = True
    timezone: ZoneInfo = ZoneInfo("Asia/Seoul")
    reopen_window: timedelta = timedelta(hours=1)
    sla_seconds: int = 60
    router: RouterSettings = field(default_factory=RouterSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    survey: SurveySettings = field(default_factory=SurveySettings)
    """The satisfaction survey after an agent resolves: on by default (`DASAN_SURVEY=0` turns it off)."""
    rasa_url: str | None = None
    """Rasa's REST endpoint (e.g. http://127.0.0.1:5005); None runs the built-in bot only."""
    rasa_timeout_seconds: float = 3.0
    public_url: str = DEFAULT_PUBLIC_URL
    """The hub's address as providers and citizens reach it (behind a proxy, the proxy's)."""
    channels: tuple[ConfiguredChannel, ...] = field(default_factory=unconfigured_channels)
    """The channels to run with their settings: `from_env` asks `channels.registry` which the
    environment turns on; tests pass `configured(env, public_url, given={...})`."""
    translation_engines: tuple[Callable[[Any], Any], ...] = ()
    """Machine-translation engines in order of preference (translation/configured.py)."""
    translation_routes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Foreign language → the engines to ask first for it."""
    secure_cookies: bool = False
    # Argon2 cost: the library's defaults; lower only where hashing speed matters more (tests).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    report_targets: ReportTargets = field(default_factory=ReportTargets)

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Settings from `DASAN_*` variables (the channels' too); keyword arguments win over both.
        Raises ValueError when a channel is configured by halves."""
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
        values["survey"] = SurveySettings(
            enabled=env.get("DASAN_SURVEY", "1") != "0",
            answer_window=timedelta(
                seconds=float(env.get("DASAN_SURVEY_ANSWER_SECONDS", SurveySettings.answer_window.total_seconds()))
            ),
            comment_window=timedelta(
                seconds=float(env.get("DASAN_SURVEY_COMMENT_SECONDS", SurveySettings.comment_window.total_seconds()))
            ),
        )
        values["report_targets"] = ReportTargets.from_env(env)
        values.update({key: value for key, value in overrides.items() if value is not None})
        if "channels" not in values:
            public_url = str(values.get("public_url", DEFAULT_PUBLIC_URL))
            values["channels"] = tuple(configured(env, public_url, extra=CHANNELS_ELSEWHERE))
        return cls(**values)  # type: ignore[arg-type]
