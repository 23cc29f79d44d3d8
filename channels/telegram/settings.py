"""How the Telegram channel is configured: `DASAN_TELEGRAM_*` variables."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Mode = Literal["webhook", "polling"]
WEBHOOK_PATH = "/webhooks/telegram"
# What Telegram allows in a webhook's secret_token (Bot API, setWebhook).
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def derived_secret(token: str) -> str:
    """A webhook secret made from the bot token, for deployments that set none.

    Every hub process derives the same value, so they agree without more configuration;
    it is as hard to guess as the token itself.
    """
    return hashlib.sha256(b"dasan-hub telegram webhook\0" + token.encode()).hexdigest()


@dataclass(frozen=True)
class Settings:
    token: str
    secret: str
    """Telegram echoes it in `X-Telegram-Bot-Api-Secret-Token` on every webhook call."""
    mode: Mode = "webhook"
    """`webhook` in production; `polling` (getUpdates) for development without a public URL."""
    api_base_url: str | None = None
    """python-telegram-bot's `base_url` (the token is appended), e.g. a stand-in's
    `http://127.0.0.1:8081/bot`; None for Telegram itself."""
    public_url: str = "http://127.0.0.1:8080"
    """The hub's address as Telegram reaches it; the webhook is this plus /webhooks/telegram."""
    poll_timeout: int = 25
    """Seconds one getUpdates long poll may wait for news (polling mode)."""

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("The Telegram bot token is empty.")
        if not _SECRET.match(self.secret):
            raise ValueError("The Telegram webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -.")
        if self.mode not in ("webhook", "polling"):
            raise ValueError(f"DASAN_TELEGRAM_MODE must be webhook or polling, not {self.mode!r}.")

    @property
    def webhook_url(self) -> str:
        return self.public_url.rstrip("/") + WEBHOOK_PATH


def from_env(env: Mapping[str, str], public_url: str) -> Settings | None:
    """Settings from `DASAN_TELEGRAM_*`; None when none is set (the channel is off).

    DASAN_TELEGRAM_TOKEN (required), DASAN_TELEGRAM_SECRET (default: derived from the
    token), DASAN_TELEGRAM_MODE (webhook or polling, default webhook) and
    DASAN_TELEGRAM_API_BASE_URL (a stand-in or a self-hosted Bot API server).
    """
    token = env.get("DASAN_TELEGRAM_TOKEN", "").strip()
    if not token:
        if any(value.strip() for name, value in env.items() if name.startswith("DASAN_TELEGRAM_")):
            raise ValueError("The Telegram channel needs DASAN_TELEGRAM_TOKEN as well.")
        return None
    return Settings(
        token=token,
        secret=env.get("DASAN_TELEGRAM_SECRET", "").strip() or derived_secret(token),
        mode=env.get("DASAN_TELEGRAM_MODE", "webhook").strip().lower() or "webhook",  # type: ignore[arg-type]
        api_base_url=env.get("DASAN_TELEGRAM_API_BASE_URL", "").strip() or None,
        public_url=public_url,
    )
