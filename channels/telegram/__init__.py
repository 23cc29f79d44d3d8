"""The Telegram channel (python-telegram-bot): the city's bot, fed by a webhook (or getUpdates
in development); replies go out with sendMessage."""

from pathlib import Path

from channels.base import ChannelInfo, ChannelParts, HubPort
from channels.telegram.bot import TelegramBot
from channels.telegram.inbound import TelegramInbound
from channels.telegram.outbound import TelegramOutbound
from channels.telegram.settings import Settings
from model import Channel

INFO = ChannelInfo(Channel.TELEGRAM, "텔레그램", messages=Path(__file__).parent / "messages")


def setup(hub: HubPort, settings: Settings) -> ChannelParts:
    """Both sides share one bot: the outbound side connects it, the inbound side takes updates."""
    bot = TelegramBot(settings)
    return ChannelParts(Channel.TELEGRAM, TelegramInbound(hub, settings, bot), TelegramOutbound(bot))
