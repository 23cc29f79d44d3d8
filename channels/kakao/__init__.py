"""KakaoTalk through a Kakao i Open Builder skill server (and, optionally, a 상담톡 partner
that lets agents' replies reach the citizen unasked)."""

from pathlib import Path

from channels.base import ChannelInfo, ChannelParts, HubPort
from channels.kakao.inbound import KakaoInbound
from channels.kakao.inline import InlineAnswers
from channels.kakao.outbound import KakaoOutbound
from channels.kakao.settings import Settings
from model import Channel

INFO = ChannelInfo(Channel.KAKAO, "카카오톡", messages=Path(__file__).parent / "messages")


def setup(hub: HubPort, settings: Settings) -> ChannelParts:
    """The skill server and the outbound side share which replies a skill response carried."""
    inline = InlineAnswers()
    return ChannelParts(Channel.KAKAO, KakaoInbound(hub, settings, inline), KakaoOutbound(settings, inline))
