"""What every response carries (security headers, the content security policy), the client's
address behind the operator's proxies, and the API channel's own key when none is configured."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from aiohttp import web

from channels.registry import ConfiguredChannel
from model import Channel
from model.audit import AuditAction
from model.clock import utcnow
from store import audit
from store import secrets as secret_store
from store.db import Store

API_KEY_SECRET = "api_channel_key"
Network = IPv4Network | IPv6Network


# One policy for every page: scripts only from the hub's own files (no inline script, no
# eval), nothing framed from elsewhere and no framing of the hub's pages. Styles may be
# inline: the knowledge pages, the exported reports (shown in the console in a srcdoc frame)
# and the charts carry their own; injected styles cannot run script, and images only load
# from the hub.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self' {sockets}",
        "frame-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response: no type sniffing, no referrer beyond the hub, never framed (the web chat
    widget is a script with its own shadow DOM on the city's page, not a frame), and the content
    security policy (which browsers apply to the pages)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    host = request.host
    # Chromium counts ws: of the same host as 'self', older engines do not: named outright.
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(sockets=f"ws://{host} wss://{host}"))


def client_address(request: web.Request, trusted_proxies: tuple[Network, ...]) -> str:
    """The citizen's or agent's address: the direct peer, or when that peer is one of the
    operator's proxies, the right-most address in X-Forwarded-For that is not one of them
    (a client can write anything on the left of the header, never on the right)."""
    peer = request.remote or "unknown"
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    forwarded = [part.strip() for part in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _is_trusted(address, trusted_proxies):
            return address if _parse(address) is not None else peer
    return peer


def _parse(address: str) -> IPv4Address | IPv6Address | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _is_trusted(address: str, trusted_proxies: tuple[Network, ...]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in trusted_proxies)


def parse_networks(text: str) -> tuple[Network, ...]:
    """`DASAN_TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks. Raises ValueError naming a bad one."""
    networks: list[Network] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"DASAN_TRUSTED_PROXIES: {part!r} is not an address or CIDR block") from None
    return tuple(networks)


def api_key_maker(store: Store) -> Callable[[], Awaitable[str]]:
    """The API channel's key when DASAN_API_CHANNEL_KEY is unset: made once (audited, the key
    itself never in the log), kept in the database for restarts and every other process, and
    printed at each start, the one place it is shown."""

    async def key() -> str:
        async with store.write() as session:
            value, made = await secret_store.value_or_make(
                session, API_KEY_SECRET, lambda: secrets.token_urlsafe(32), utcnow()
            )
            if made:
                audit.record(session, "system", AuditAction.API_KEY_MADE, "channel:api", utcnow())
        print(f"the API channel's key is {value}; set DASAN_API_CHANNEL_KEY to choose your own", flush=True)
        return value

    return key


def with_made_api_key(channel: ConfiguredChannel, store: Store) -> ConfiguredChannel:
    """The API channel given the hub's own key when DASAN_API_CHANNEL_KEY is unset; any other
    channel as it is."""
    if channel.info.channel is not Channel.API or channel.settings.key is not None:
        return channel
    return replace(channel, settings=replace(channel.settings, made_key=api_key_maker(store)))
