"""The channels there are, found rather than listed: every package under `channels/` with
an `INFO` and a `setup` is one (channels/README.md).

A channel package `channels/<name>` has `__init__.py` (`INFO`, `setup`) and
`settings.py` (`Settings`, `from_env`); packages outside `channels/` of the same shape
(the sign-language video channel, in `sign_video/`) are named to `packages(extra=...)`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import channels
from channels.base import ChannelInfo, ChannelParts, HubPort
from model import Channel

_ORDER = list(Channel)


@dataclass(frozen=True)
class ConfiguredChannel:
    """A channel to run: what it is, its settings, and how to build it."""

    info: ChannelInfo
    settings: Any
    """The channel's own `settings.Settings`."""
    setup: Callable[[HubPort, Any], ChannelParts]

    def build(self, hub: HubPort) -> ChannelParts:
        """The channel's inbound and outbound, talking to `hub`."""
        return self.setup(hub, self.settings)


def packages(extra: Iterable[str] = ()) -> list[ModuleType]:
    """Every channel package under `channels/`, and those named in `extra` (module names),
    in the order of `model.Channel`."""
    names = [f"{channels.__name__}.{found.name}" for found in pkgutil.iter_modules(channels.__path__) if found.ispkg]
    modules = [importlib.import_module(name) for name in [*names, *extra]]
    found = [module for module in modules if hasattr(module, "INFO") and hasattr(module, "setup")]
    return sorted(found, key=lambda module: _ORDER.index(module.INFO.channel))


def all_channels(extra: Iterable[str] = ()) -> list[ChannelInfo]:
    """What every channel is, configured or not."""
    return [module.INFO for module in packages(extra)]


def configured(
    env: Mapping[str, str],
    public_url: str,
    given: Mapping[Channel, Any] | None = None,
    extra: Iterable[str] = (),
) -> list[ConfiguredChannel]:
    """The channels `env` turns on, each with its settings; `given` settings (tests) win over
    the environment's. Raises ValueError naming what a half-configured channel lacks."""
    given = given or {}
    found: list[ConfiguredChannel] = []
    for module in packages(extra):
        info: ChannelInfo = module.INFO
        if info.channel in given:
            settings = given[info.channel]
        else:
            settings = importlib.import_module(f"{module.__name__}.settings").from_env(env, public_url)
        if settings is not None:
            found.append(ConfiguredChannel(info, settings, module.setup))
    return found
