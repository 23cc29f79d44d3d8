"""Agents' passwords, bearer tokens and the console's session cookie."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from model import Agent, Role
from model.clock import utcnow
from model.errors import HubError, forbidden
from store import agents as agent_store
from store.db import Store

SESSION_COOKIE = "dasan_session"
# Cookie-authenticated writes must carry this header: a cross-site form cannot set it.
CSRF_HEADER = "X-Requested-With"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unauthorised(message: str = "Log in first: send a bearer token or the session cookie.") -> HubError:
    return HubError(401, "unauthorised", message)


@dataclass(frozen=True)
class Login:
    token: str
    agent: Agent


class Auth:
    def __init__(
        self, store: Store, hasher: PasswordHasher | None = None, token_lifetime: timedelta = timedelta(hours=12)
    ) -> None:
        self._store = store
        self._hasher = hasher or PasswordHasher()
        self._lifetime = token_lifetime
        # Checked against for a username nobody has, so that it costs the hashing a wrong
        # password costs: the response time tells no one which names exist.
        self._decoy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    async def login(self, username: str, password: str) -> Login:
        """A new token for the agent, or 401 for a wrong username or password."""
        async with self._store.write() as session:
            found = await agent_store.password_hash(session, username)
            matches = self._verify(found[1] if found else self._decoy_hash, password)
            if found is None or not matches:
                raise unauthorised("Wrong username or password.")
            agent_id = found[0]
            token = secrets.token_urlsafe(32)
            now = utcnow()
            await agent_store.add_token(session, _digest(token), agent_id, now, now + self._lifetime)
            agent = await agent_store.agent(session, agent_id)
            assert agent is not None
            return Login(token, agent)

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

    async def agent(self, request: web.Request, role: Role = Role.AGENT) -> Agent:
        """The agent behind the request, at least of `role`; 401 or 403 otherwise."""
        token, from_cookie = self._token(request)
        if not token:
            raise unauthorised()
        if from_cookie and request.method not in _SAFE_METHODS and not request.headers.get(CSRF_HEADER):
            raise forbidden(f"Cookie-authenticated changes need the {CSRF_HEADER} header.")
        async with self._store.read() as session:
            agent = await agent_store.agent_for_token(session, _digest(token), utcnow())
        if agent is None:
            raise unauthorised("The session has expired; log in again.")
        if not agent.role.at_least(role):
            raise forbidden(f"This needs the {role.value} role.")
        return agent

    @staticmethod
    def _token(request: web.Request) -> tuple[str | None, bool]:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None, False
        # Never from the address (`?token=`): addresses are written to access logs.
        return request.cookies.get(SESSION_COOKIE), True
