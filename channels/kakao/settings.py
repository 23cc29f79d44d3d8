"""The KakaoTalk channel's settings, from `DASAN_KAKAO_*` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SKILL_TIMEOUT_SECONDS = 5.0
"""Kakao gives up on a skill request after five seconds."""
MIN_TOKEN_LENGTH = 24
_REQUIRED = ("DASAN_KAKAO_SKILL_TOKEN", "DASAN_KAKAO_BOT_ID")
_PARTNER = ("DASAN_KAKAO_PARTNER_URL", "DASAN_KAKAO_PARTNER_KEY")


@dataclass(frozen=True)
class Settings:
    skill_token: str
    """The secret path segment of the skill URL registered in Open Builder (Kakao signs nothing)."""
    bot_id: str
    """The Open Builder bot whose requests are accepted (`bot.id`)."""
    partner_url: str | None = None
    """A 상담톡 partner's send endpoint; without one, agent replies wait for the citizen's next message."""
    partner_key: str | None = None
    reply_wait_seconds: float = 4.0
    """How long a skill request waits for the hub's answer before answering without it."""

    def __post_init__(self) -> None:
        if len(self.skill_token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"the Kakao skill token must be at least {MIN_TOKEN_LENGTH} characters (unguessable)")
        if not self.bot_id:
            raise ValueError("the Kakao bot id is required")
        if (self.partner_url is None) != (self.partner_key is None):
            raise ValueError("a 상담톡 partner needs both its URL and its key")
        if not 0 <= self.reply_wait_seconds < SKILL_TIMEOUT_SECONDS:
            raise ValueError(f"reply_wait_seconds must leave room within Kakao's {SKILL_TIMEOUT_SECONDS:g} s")


def from_env(env: Mapping[str, str], public_url: str) -> Settings | None:
    """Settings from `DASAN_KAKAO_*`; None when the channel is not configured at all.

    DASAN_KAKAO_SKILL_TOKEN and DASAN_KAKAO_BOT_ID (both, or neither for no KakaoTalk),
    DASAN_KAKAO_PARTNER_URL and DASAN_KAKAO_PARTNER_KEY (both, for a 상담톡 partner) and
    DASAN_KAKAO_REPLY_WAIT_SECONDS.
    """
    values = {name: env.get(name, "").strip() for name in (*_REQUIRED, *_PARTNER)}
    if not any(values[name] for name in _REQUIRED):
        return None
    missing = [name for name in _REQUIRED if not values[name]]
    if any(values[name] for name in _PARTNER):
        missing += [name for name in _PARTNER if not values[name]]
    if missing:
        raise ValueError(f"KakaoTalk needs {', '.join(missing)} as well.")
    wait = env.get("DASAN_KAKAO_REPLY_WAIT_SECONDS", "").strip()
    return Settings(
        skill_token=values["DASAN_KAKAO_SKILL_TOKEN"],
        bot_id=values["DASAN_KAKAO_BOT_ID"],
        partner_url=values["DASAN_KAKAO_PARTNER_URL"] or None,
        partner_key=values["DASAN_KAKAO_PARTNER_KEY"] or None,
        reply_wait_seconds=float(wait) if wait else Settings.reply_wait_seconds,
    )
