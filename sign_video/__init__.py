"""Sign-language video: a deaf citizen and a sign-language interpreter talk by video (WebRTC,
terminated and relayed by the hub), with text beside the call; one conversation in the
`sign_language` queue like any other channel's."""

from pathlib import Path

from channels.base import ChannelInfo, ChannelParts, HubPort
from model import Channel
from sign_video.calls import Calls
from sign_video.inbound import VideoInbound
from sign_video.outbound import VideoOutbound
from sign_video.settings import Settings

INFO = ChannelInfo(Channel.SIGN_VIDEO, "수어 영상", messages=Path(__file__).parent / "messages")


def setup(hub: HubPort, settings: Settings) -> ChannelParts:
    """Both sides share the calls this process carries."""
    calls = Calls(settings.media)
    return ChannelParts(Channel.SIGN_VIDEO, VideoInbound(hub, calls, settings), VideoOutbound(calls))
