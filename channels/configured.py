"""The provider channels this hub runs, from the environment (`DASAN_TWILIO_*`, …).

A channel whose variables are absent is off; one configured by halves is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from channels.base import ChannelAdapter, HubPort
from channels.kakao import KakaoChannel, KakaoSettings
from channels.sms import SmsChannel, TwilioSettings
from channels.telegram import TelegramChannel, TelegramSettings

ChannelFactory = Callable[[HubPort], ChannelAdapter]


def channel_factories(env: Mapping[str, str], public_url: str) -> tuple[ChannelFactory, ...]:
    """A factory for each provider channel configured in `env`; raises ValueError on a half setup."""
    factories: list[ChannelFactory] = []
    if (sms := TwilioSettings.from_env(env, public_url)) is not None:
        factories.append(lambda hub: SmsChannel(hub, sms))
    if (telegram := TelegramSettings.from_env(env, public_url)) is not None:
        factories.append(lambda hub: TelegramChannel(hub, telegram))
    if (kakao := KakaoSettings.from_env(env)) is not None:
        factories.append(lambda hub: KakaoChannel(hub, kakao))
    return tuple(factories)
