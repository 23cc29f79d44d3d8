"""The KakaoTalk channel's settings, from `DASAN_KAKAO_*` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SKILL_TIMEOUT_SECONDS = 5.0
"""Kakao gives up on a skill request after five seconds."""
MIN_TOKEN_LENGTH = 24


@dataclass(frozen=True)
class KakaoSettings:
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

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KakaoSettings | None:
        """Settings from `DASAN_KAKAO_*`; None when the channel is not configured at all."""
        token = env.get("DASAN_KAKAO_SKILL_TOKEN", "").strip()
        bot_id = env.get("DASAN_KAKAO_BOT_ID", "").strip()
        if not token and not bot_id:
            return None
        if not token or not bot_id:
            raise ValueError("KakaoTalk needs both DASAN_KAKAO_SKILL_TOKEN and DASAN_KAKAO_BOT_ID")
        wait = env.get("DASAN_KAKAO_REPLY_WAIT_SECONDS", "").strip()
        return cls(
            skill_token=token,
            bot_id=bot_id,
            partner_url=env.get("DASAN_KAKAO_PARTNER_URL", "").strip() or None,
            partner_key=env.get("DASAN_KAKAO_PARTNER_KEY", "").strip() or None,
            reply_wait_seconds=float(wait) if wait else cls.reply_wait_seconds,
        )
