"""The SMS channel's configuration: a Twilio account, a sending number, the hub's public URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_REQUIRED = ("DASAN_TWILIO_ACCOUNT_SID", "DASAN_TWILIO_AUTH_TOKEN", "DASAN_TWILIO_FROM")
SMS_PATH = "/webhooks/twilio/sms"
"""Where Twilio posts citizens' messages (the number's "A message comes in" webhook)."""
STATUS_PATH = "/webhooks/twilio/status"
"""Where Twilio posts delivery reports (each sent message's status callback)."""


@dataclass(frozen=True)
class Settings:
    account_sid: str
    auth_token: str
    """Signs Twilio's webhooks to us and authenticates our REST calls to Twilio."""
    from_number: str
    """The hub's Twilio number in E.164, e.g. +8215881200."""
    public_url: str
    """The hub's address as Twilio reaches it; webhook signatures are computed over it."""
    api_base_url: str | None = None
    """Another address for Twilio's REST API (a local stand-in in tests); None for Twilio."""
    sends_per_second: float = 1.0
    """A Twilio long code sends one message a second; short codes and services more."""
    send_timeout: float = 10.0

    def __post_init__(self) -> None:
        # Signatures are computed over public_url + path: a trailing slash would double it.
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

    @property
    def status_callback(self) -> str:
        """The status-callback URL Twilio is given with each message."""
        return self.public_url + STATUS_PATH


def from_env(env: Mapping[str, str], public_url: str) -> Settings | None:
    """Settings from `DASAN_TWILIO_*`; None when the SMS channel is not configured.

    Reads DASAN_TWILIO_ACCOUNT_SID, DASAN_TWILIO_AUTH_TOKEN and DASAN_TWILIO_FROM (all
    three, or none for no SMS channel), and optionally DASAN_TWILIO_API_BASE_URL and
    DASAN_TWILIO_SENDS_PER_SECOND.
    """
    required = {name: env.get(name, "").strip() for name in _REQUIRED}
    if not any(required.values()):
        return None
    missing = [name for name, value in required.items() if not value]
    if missing:
        # Half a configuration is a mistake to report, not a channel to leave off silently.
        raise ValueError(f"The SMS channel needs {', '.join(missing)} as well.")
    account_sid, auth_token, from_number = required.values()
    rate = env.get("DASAN_TWILIO_SENDS_PER_SECOND", "").strip()
    return Settings(
        account_sid=account_sid,
        auth_token=auth_token,
        from_number=from_number,
        public_url=public_url,
        api_base_url=env.get("DASAN_TWILIO_API_BASE_URL", "").strip() or None,
        sends_per_second=float(rate) if rate else 1.0,
    )
