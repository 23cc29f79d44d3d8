"""The web chat: an embeddable widget on the city's pages, talking to the hub over a WebSocket."""

from pathlib import Path

from channels.base import ChannelInfo, ChannelParts, HubPort
from channels.webchat.inbound import WebchatInbound
from channels.webchat.outbound import WebchatOutbound
from channels.webchat.settings import Settings
from channels.webchat.widgets import Widgets
from model import Channel

INFO = ChannelInfo(Channel.WEBCHAT, "웹채팅", messages=Path(__file__).parent / "messages")


def setup(hub: HubPort, settings: Settings) -> ChannelParts:
    """Both sides share the citizens' open widgets."""
    widgets = Widgets()
    return ChannelParts(Channel.WEBCHAT, WebchatInbound(hub, widgets), WebchatOutbound(hub, widgets))
