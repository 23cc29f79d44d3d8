"""The generic API channel (docs/api.md): integrations and load tests post citizens' messages
as JSON and collect the replies from the answer or by polling."""

from channels.api.inbound import ApiInbound
from channels.api.outbound import ApiOutbound
from channels.api.settings import Settings
from channels.base import ChannelInfo, ChannelParts, HubPort
from model import Channel

INFO = ChannelInfo(Channel.API, "API")


def setup(hub: HubPort, settings: Settings) -> ChannelParts:
    """The API channel's endpoints and its (nothing to send) outbound side."""
    return ChannelParts(Channel.API, ApiInbound(hub, settings), ApiOutbound())
