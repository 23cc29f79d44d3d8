"""KakaoTalk through a Kakao i Open Builder skill server (and, optionally, a 상담톡 partner)."""

from channels.kakao.adapter import KakaoChannel
from channels.kakao.settings import KakaoSettings

__all__ = ["KakaoChannel", "KakaoSettings"]
