"""The SMS channel, through Twilio: signed webhooks in, the official REST client out."""

from channels.base import ChannelInfo, ChannelParts, HubPort
from channels.sms.inbound import SmsInbound
from channels.sms.outbound import SmsOutbound
from channels.sms.settings import Settings
from model import Channel

INFO = ChannelInfo(Channel.SMS, "문자")


def setup(hub: HubPort, settings: Settings) -> ChannelParts:
    """The Twilio webhooks and the Twilio client."""
    return ChannelParts(Channel.SMS, SmsInbound(hub, settings), SmsOutbound(settings))
