"""Agents' passwords, bearer tokens and the console's session cookie; the login throttle
(failures counted in the database, so every hub process sees them) and the session rules
(absolute lifetime, idle timeout, revocation)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession

from model import Agent, Role
from model.audit import AuditAction
from model.clock import utcnow
from model.errors import HubError, TooManyRequests, forbidden
from model.records import iso
from store import agents as agent_store
from store import audit
from store import logins as login_store
from store.db import Store

log = logging.getLogger(__name__)

SESSION_COOKIE = "dasan_session"
# Cookie-authenticated writes must carry this header: a cross-site form cannot set it.
CSRF_HEADER = "X-Requested-With"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_MARK_USE_EVERY = timedelta(minutes=1)
"""A token's last use is written at most this often: the idle timeout needs no finer clock,
and most requests then only read."""
REVOKED_CLOSE_CODE = 4401
"""The WebSocket close code when the session behind a console socket ends (revoked, expired, idle)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unauthorised(message: str = "Log in first: send a bearer token or the session cookie.") -> HubError:
    return HubError(401, "unauthorised", message)


@dataclass(frozen=True)
class AuthSettings:
    """Sessions' lifetimes and the login throttle (`DASAN_SESSION_*`, `DASAN_LOGIN_*`)."""

    session_lifetime: timedelta = timedelta(hours=12)
    """A token is refused this long after the login, however busy."""
    session_idle: timedelta = timedelta(minutes=30)
    """A token is refused after this long without a request (an open console counts as use)."""
    session_recheck: timedelta = timedelta(seconds=5)
    """How often an open console socket checks that its session still stands."""
    max_failures: int = 5
    """Failed logins of one username within `failure_window` that lock it out."""
    max_failures_per_address: int = 20
    """Failed logins from one client address within `failure_window` that lock the address out."""
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    """How long a lockout lasts after the failure that caused it."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "AuthSettings":
        """From `DASAN_SESSION_*` and `DASAN_LOGIN_*` variables (seconds and counts), each defaulting to the above."""

        def seconds(name: str, default: timedelta) -> timedelta:
            return timedelta(seconds=float(env[name])) if name in env else default

        return cls(
            session_lifetime=seconds("DASAN_SESSION_LIFETIME_SECONDS", cls.session_lifetime),
            session_idle=seconds("DASAN_SESSION_IDLE_SECONDS", cls.session_idle),
            session_recheck=seconds("DASAN_SESSION_RECHECK_SECONDS", cls.session_recheck),
            max_failures=int(env.get("DASAN_LOGIN_MAX_FAILURES", cls.max_failures)),
            max_failures_per_address=int(env.get("DASAN_LOGIN_MAX_FAILURES_PER_ADDRESS", cls.max_failures_per_address)),
            failure_window=seconds("DASAN_LOGIN_WINDOW_SECONDS", cls.failure_window),
            lockout=seconds("DASAN_LOGIN_LOCKOUT_SECONDS", cls.lockout),
        )


@dataclass(frozen=True)
class Login:
    token: str
    agent: Agent


class Auth:
    def __init__(
        self, store: Store, hasher: PasswordHasher | None = None, settings: AuthSettings | None = None
    ) -> None:
        self._store = store
        self._hasher = hasher or PasswordHasher()
        self.settings = settings or AuthSettings()
        # Checked against for a username nobody has, so that it costs the hashing a wrong
        # password costs: the response time tells no one which names exist.
        self._decoy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    async def login(self, username: str, password: str, address: str) -> Login:
        """A new token for the agent; 401 for a wrong username or password; 429 with the
        seconds to wait while the username or the address is locked out (the same answer
        whether the username exists and whether the password is right)."""
        now = utcnow()
        async with self._store.read() as session:
            locks = await self._lockouts(session, username, address, now)
            if locks:
                wait = (max(locks.values()) - now).total_seconds()
                raise TooManyRequests("Too many failed logins: try again later.", wait)
            found = await agent_store.password_hash(session, username)
        matches = self._verify(found[1] if found else self._decoy_hash, password)
        async with self._store.write() as session:
            if found is None or not matches:
                await self._count_failure(session, username, address, now)
            else:
                await login_store.clear_failures(session, username)
                await login_store.drop_expired_tokens(session, now)
                token = secrets.token_urlsafe(32)
                await agent_store.add_token(
                    session, _digest(token), found[0], now, now + self.settings.session_lifetime
                )
                agent = await agent_store.agent(session, found[0])
                assert agent is not None
                return Login(token, agent)
        raise unauthorised("Wrong username or password.")

    async def _lockouts(self, session: AsyncSession, username: str, address: str, now: datetime) -> dict[str, datetime]:
        """The lockouts in force, by what they lock (`agent:<username>`, `address:<address>`), with when each ends:
        `max_failures` (per address `max_failures_per_address`) failures within the window lock
        until `lockout` after the last of them."""
        rules = self.settings
        latest = {
            f"agent:{username}": (
                await login_store.latest_failures(session, rules.max_failures, username=username),
                rules.max_failures,
            ),
            f"address:{address}": (
                await login_store.latest_failures(session, rules.max_failures_per_address, address=address),
                rules.max_failures_per_address,
            ),
        }
        return {
            target: times[0] + rules.lockout
            for target, (times, limit) in latest.items()
            if len(times) >= limit
            and times[0] - times[limit - 1] <= rules.failure_window
            and times[0] + rules.lockout > now
        }

    async def _count_failure(self, session: AsyncSession, username: str, address: str, now: datetime) -> None:
        """Count a failed login; audit the lockout it starts. (A login already locked out is
        refused before its password is checked, so a lockout found here has just begun.)"""
        rules = self.settings
        # Failures older than a window and a lockout can neither start nor prolong a lockout.
        await login_store.add_failure(session, username, address, now, now - rules.failure_window - rules.lockout)
        await session.flush()
        for target, until in (await self._lockouts(session, username, address, now)).items():
            detail = {"username": username, "address": address, "until": iso(until)}
            audit.record(session, "system", AuditAction.LOCKED_OUT, target, now, detail)
            log.warning("login locked out (%s) until %s", target.split(":")[0], iso(until))

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            return False

    async def logout(self, request: web.Request) -> None:
        token, _ = self._token(request)
        if token:
            async with self._store.write() as session:
                await agent_store.drop_token(session, _digest(token))

    async def revoke(self, agent: Agent, actor: Agent) -> int:
        """End every session of `agent` (their own "log out everywhere", or an administrator's
        revocation, audited); how many there were. Open console sockets close within
        `session_recheck`."""
        async with self._store.write() as session:
            count = await login_store.revoke_tokens(session, agent.id)
            if actor.id != agent.id:
                audit.record(
                    session,
                    f"agent:{actor.username}",
                    AuditAction.SESSIONS_REVOKED,
                    f"agent:{agent.username}",
                    utcnow(),
                    {"sessions": count},
                )
        return count

    async def agent(self, request: web.Request, role: Role = Role.AGENT) -> Agent:
        """The agent behind the request, at least of `role`; 401 or 403 otherwise."""
        token, from_cookie = self._token(request)
        if not token:
            raise unauthorised()
        if from_cookie and request.method not in _SAFE_METHODS and not request.headers.get(CSRF_HEADER):
            raise forbidden(f"Cookie-authenticated changes need the {CSRF_HEADER} header.")
        agent = await self._session_agent(token)
        if agent is None:
            raise unauthorised("The session has expired; log in again.")
        if not agent.role.at_least(role):
            raise forbidden(f"This needs the {role.value} role.")
        return agent

    async def _session_agent(self, token: str) -> Agent | None:
        """The agent whose session `token` opens: None when it was never issued, was revoked,
        or is past its lifetime or idle timeout. Marks it used (at most once a minute)."""
        digest, now = _digest(token), utcnow()
        async with self._store.read() as session:
            use = await login_store.token_use(session, digest)
            if use is None or use.expires_at <= now or now - use.last_used_at > self.settings.session_idle:
                return None
            agent = await agent_store.agent(session, use.agent_id)
        if agent is not None and not agent.active:  # deactivated while this request was on its way
            return None
        if agent is not None and now - use.last_used_at >= _MARK_USE_EVERY:
            async with self._store.write() as session:
                await login_store.mark_used(session, digest, now)
        return agent

    async def close_when_ended(self, request: web.Request, socket: web.WebSocketResponse) -> None:
        """Watch an open console socket's session, and close the socket once it ends
        (logged out everywhere, revoked, expired or idle). Runs until cancelled."""
        token, _ = self._token(request)
        while not socket.closed:
            await asyncio.sleep(self.settings.session_recheck.total_seconds())
            if token is None or await self._session_agent(token) is None:
                await socket.close(code=REVOKED_CLOSE_CODE, message=b"session ended")
                return

    @staticmethod
    def _token(request: web.Request) -> tuple[str | None, bool]:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None, False
        # Never from the address (`?token=`): addresses are written to access logs.
        return request.cookies.get(SESSION_COOKIE), True
