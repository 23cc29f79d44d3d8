"""Settings from the environment (`DASAN_*`), with defaults that run on one machine."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from channels.registry import ConfiguredChannel, configured
from hub.auth import AuthSettings
from hub.delivery import OutboxSettings
from hub.handovers import HandoverSettings
from hub.limits import LimitSettings
from hub.survey import SurveySettings
from model.callbacks import CallbackSettings
from router.routing import RouterSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/hub.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
CHANNELS_ELSEWHERE = ("sign_video",)
"""Channel packages outside `channels/` (DESIGN.md keeps sign-language video top level)."""


def unconfigured_channels() -> tuple[ConfiguredChannel, ...]:
    """The channels that need no configuration (the web chat, the API channel with the hub's own key)."""
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
class ProtectionSettings:
    """The protection protocol for agents (hub/protection.py, docs/protection.md)."""

    warnings_to_end: int = 3
    """Standard warnings the citizen gets before the conversation may be ended under the protocol."""
    max_block_hours: int = 720
    """The longest an agent may block a contact when ending under the protocol (30 days)."""
    blocked_notice_interval: timedelta = timedelta(hours=1)
    """A blocked citizen is told until when at most this often."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "ProtectionSettings":
        """From `DASAN_PROTECTION_*` variables, each defaulting to the above."""
        return cls(
            warnings_to_end=int(env.get("DASAN_PROTECTION_WARNINGS", cls.warnings_to_end)),
            max_block_hours=int(env.get("DASAN_PROTECTION_MAX_BLOCK_HOURS", cls.max_block_hours)),
        )


@dataclass(frozen=True)
class RetentionSettings:
    """How long personal data is kept (docs/personal-data.md): conversations resolved longer ago
    than a period are anonymised by a daily job (hub/retention.py); recordings keep the video
    channel's period (`DASAN_RETENTION_RECORDINGS_DAYS`, sign_video/settings.py)."""

    messages: timedelta = timedelta(days=365)
    """Message texts, translations, senders and the contact behind them."""
    attachments: timedelta = timedelta(days=90)
    """The attachments of messages (photos' addresses at the provider, locations)."""
    hour: int | None = None
    """The hour (city time) the daily job runs at; None runs none (a hub built in code, the
    tests): `from_env` makes it 3 unless `DASAN_RETENTION_HOUR=off`."""
    batch: int = 500
    """Conversations anonymised per transaction, so that a large run never holds the writer long."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "RetentionSettings":
        """From `DASAN_RETENTION_MESSAGES_DAYS`, `_ATTACHMENTS_DAYS` and `_HOUR` (0–23 or `off`)."""
        periods = {}
        for name, variable in (("messages", "DASAN_RETENTION_MESSAGES_DAYS"),
                               ("attachments", "DASAN_RETENTION_ATTACHMENTS_DAYS")):  # fmt: skip
            if variable in env:
                days = float(env[variable])
                if days <= 0:
                    raise ValueError(f"{variable} must be a positive number of days.")
                periods[name] = timedelta(days=days)
        hour_text = env.get("DASAN_RETENTION_HOUR", "3").strip().lower()
        hour = None if hour_text == "off" else int(hour_text)
        if hour is not None and not 0 <= hour <= 23:
            raise ValueError("DASAN_RETENTION_HOUR must be an hour from 0 to 23, or off.")
        return cls(hour=hour, **periods)


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
    protection: ProtectionSettings = field(default_factory=ProtectionSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    """Sessions' lifetimes and the login throttle (`DASAN_SESSION_*`, `DASAN_LOGIN_*`)."""
    limits: LimitSettings = field(default_factory=LimitSettings)
    """Rate limits and the trusted proxies (`DASAN_RATE_*`, `DASAN_TRUSTED_PROXIES`)."""
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    """How long personal data is kept, and when the daily job runs (`DASAN_RETENTION_*`)."""
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    """Callback tasks: tries before a `no_answer` closes one (`DASAN_CALLBACK_MAX_ATTEMPTS`), the wait between them."""
    handover: HandoverSettings = field(default_factory=HandoverSettings)
    """Where handovers to departments are sent from (`DASAN_SMTP_*`, `DASAN_HANDOVER_FROM`)."""

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
        values["protection"] = ProtectionSettings.from_env(env)
        values["auth"] = AuthSettings.from_env(env)
        values["limits"] = LimitSettings.from_env(env)
        values["retention"] = RetentionSettings.from_env(env)
        values["callbacks"] = CallbackSettings(
            max_attempts=int(env.get("DASAN_CALLBACK_MAX_ATTEMPTS", CallbackSettings.max_attempts)),
            retry_after=timedelta(minutes=float(env.get("DASAN_CALLBACK_RETRY_MINUTES", 120))),
        )
        values["handover"] = HandoverSettings.from_env(env)
        values.update({key: value for key, value in overrides.items() if value is not None})
        if "channels" not in values:
            public_url = str(values.get("public_url", DEFAULT_PUBLIC_URL))
            values["channels"] = tuple(configured(env, public_url, extra=CHANNELS_ELSEWHERE))
        return cls(**values)  # type: ignore[arg-type]
