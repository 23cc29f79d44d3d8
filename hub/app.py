"""The app factory: builds every part of the hub and wires them together.

This is the only module that knows everybody; the parts know only what they are given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, web
from argon2 import PasswordHasher

from chatbot.actions import all_actions
from chatbot.actions.server import create_action_server
from chatbot.builtin import ANSWER_THRESHOLD, KnowledgeBot
from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.files import demo_articles
from chatbot.knowledge.tokenizer import SearchTokenizer
from chatbot.phone_directory import PhoneDirectory
from chatbot.rasa_bot import RasaBot
from chatbot.switch import BotSwitch
from hub import public_kb
from hub.after_hours import AfterHours
from hub.agents import add_agent, demo_agents
from hub.api import agent_admin as agent_admin_api
from hub.api import audit as audit_api
from hub.api import callbacks as callbacks_api
from hub.api import canned as canned_api
from hub.api import conversations, knowledge, questions, report_exports, session, supervision
from hub.api import data_requests as data_requests_api
from hub.api import handovers as handovers_api
from hub.api import hours as hours_api
from hub.api import privacy as privacy_api
from hub.api import protection as protection_api
from hub.api import reports as reports_api
from hub.api import teams as teams_api
from hub.api import voc as voc_api
from hub.api import wallboard as wallboard_api
from hub.api.channels import routes as channel_routes
from hub.api.errors import error_middleware
from hub.api.openapi import routes as openapi_routes
from hub.auth import Auth
from hub.bus import EventBus
from hub.callbacks import Callbacks
from hub.channel_events import tell_channels
from hub.config import Settings
from hub.console import routes as console
from hub.contacts import ContactLinks
from hub.core import HUB, Hub
from hub.delivery import Outbox
from hub.desk import Desk
from hub.dispatcher import Dispatcher
from hub.editorial import Editorial
from hub.handovers import setup as setup_handovers
from hub.hours import Hours
from hub.ingest import Ingest
from hub.limits import CitizenLimits, address_limit
from hub.message_translator import MessageTranslator
from hub.protection import Protection
from hub.questions import Questions
from hub.retention import Retention, recordings_archive
from hub.security import security_headers, with_made_api_key
from hub.survey import Survey
from model.abuse import AbuseDetector
from model.catalog import CATALOG_DIR, Catalog
from model.clock import utcnow
from model.crisis import EmergencyDetector
from store import agents as agent_store
from store import queues as queue_store
from store.db import Store
from store.knowledge import ArticleStore
from translation.glossary import Glossary
from translation.langid import LanguageIdentifier
from translation.service import Translator, TranslatorSettings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024
OPEN_SOCKETS = web.AppKey("open_sockets", weakref.WeakSet[web.WebSocketResponse])
"""Every WebSocket the app holds open (consoles, web chats, video pages), closed on shutdown."""


def make_translator(settings: Settings, store: Store) -> Translator:
    return Translator(
        settings.translation_engines,
        store,
        Glossary.read(),
        utcnow,
        TranslatorSettings(zone=settings.timezone, routes=settings.translation_routes),
    )


@dataclass(frozen=True)
class Resources:
    """What the hub reads text with: the search analysers (with their dictionary and a cache
    of analysed texts), the language identifier's models, the abuse and crisis lexicons and the
    phone directory. Loading them takes about a second and tens of megabytes, and none of them
    changes while the hub runs, so a process loads them once and every hub it builds shares them."""

    tokenizer: SearchTokenizer
    identifier: LanguageIdentifier
    abuse: AbuseDetector
    directory: PhoneDirectory
    emergencies: EmergencyDetector

    @classmethod
    def load(cls) -> Resources:
        return cls(SearchTokenizer(), LanguageIdentifier(), AbuseDetector(), PhoneDirectory.read(), EmergencyDetector())


def build_hub(settings: Settings, resources: Resources | None = None) -> Hub:
    """Build every service; nothing touches the database until `open_hub`."""
    resources = resources or Resources.load()
    store = Store(settings.database_url)
    bus = EventBus()
    # The hub's own texts and each running channel's (channels/<name>/messages).
    catalog = Catalog([CATALOG_DIR, *(c.info.messages for c in settings.channels if c.info.messages)])
    knowledge_base = KnowledgeBase(ArticleStore(store), resources.tokenizer, timezone=settings.timezone)
    rasa = RasaBot(settings.rasa_url, settings.rasa_timeout_seconds) if settings.rasa_url else None
    translator = make_translator(settings, store)
    bot = BotSwitch(KnowledgeBot(knowledge_base, translator=translator, texts=catalog.text), rasa)
    hours = Hours(store, settings.timezone)
    dispatcher = Dispatcher(store, bus, settings.router, translates=translator.available, hours=hours)
    auth = Auth(
        store,
        PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib),
        settings.auth,
    )
    editorial = Editorial(store, knowledge_base, resources.directory)
    survey = Survey(catalog, settings.survey)
    callbacks = Callbacks(store, bus, dispatcher, catalog, hours, settings.callbacks, settings.timezone)
    protection = Protection(
        store,
        bus,
        dispatcher,
        catalog,
        resources.abuse,
        resources.emergencies,
        settings.protection,
        settings.report_targets,
        settings.timezone,
        hours,
    )
    hub = Hub(
        settings=settings,
        store=store,
        bus=bus,
        catalog=catalog,
        knowledge=knowledge_base,
        editorial=editorial,
        questions=Questions(store, editorial, resources.tokenizer),
        dispatcher=dispatcher,
        ingest=Ingest(
            store,
            bus,
            bot,
            dispatcher,
            catalog,
            resources.identifier,
            knowledge_base,
            settings.router,
            settings.reopen_window,
            survey,
            protection,
            AfterHours(store, bus, catalog, hours, callbacks, settings.timezone),
        ),
        desk=Desk(store, bus, dispatcher, catalog, translator, survey, callbacks),
        protection=protection,
        auth=auth,
        contacts=ContactLinks(store, bus),
        bot=bot,
        translator=translator,
        limits=CitizenLimits(settings.limits),
        hours=hours,
        callbacks=callbacks,
    )
    hub.channels.update(
        {channel.info.channel: with_made_api_key(channel, store).build(hub) for channel in settings.channels}
    )
    return hub


async def open_hub(hub: Hub) -> None:
    """Migrate the database, create the queues, and on an empty one load the demo."""
    await hub.store.migrate()
    async with hub.store.write() as db:
        await queue_store.ensure_defaults(db, hub.settings.sla_seconds)
        await hub.hours.seed(db, utcnow())
        empty = await agent_store.count(db) == 0
    if empty and hub.settings.load_demo:
        await load_demo(hub)


async def load_demo(hub: Hub) -> None:
    """The bundled demo knowledge base and demo agents, for a first look."""
    agents = demo_agents()
    for agent in agents:
        await add_agent(hub.store, hub.auth, agent)
    loaded = await hub.knowledge.load(demo_articles())
    log.info("loaded the demo: %d agents, %d knowledge-base articles", len(agents), loaded)


def create_app(settings: Settings, resources: Resources | None = None) -> web.Application:
    """The hub as an aiohttp application; everything starts and stops with it. The
    resources are loaded unless given (a process that builds many hubs, a test run, loads them once)."""
    hub = build_hub(settings, resources)
    # The citizens' doors (every channel's routes) and the login are limited per client address.
    doors = {route.path for parts in hub.channels.values() for route in parts.inbound.routes()} | {session.LOGIN}
    app = web.Application(
        middlewares=[error_middleware, address_limit(settings.limits, doors)], client_max_size=MAX_BODY_BYTES
    )
    app.on_response_prepare.append(security_headers)
    app[OPEN_SOCKETS] = weakref.WeakSet()
    app.on_response_prepare.append(_track_socket)
    app.on_shutdown.append(_close_sockets)
    app[HUB] = hub
    voc_api.setup(app, hub)
    data_requests_api.setup(app, hub)
    retention = Retention(hub.store, settings.retention, recordings_archive(settings), settings.timezone)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await open_hub(hub)
        channels = list(hub.channels.values())
        for parts in channels:
            await parts.outbound.start()
            await parts.inbound.start()
        workers: list[Coroutine[Any, Any, None]] = [
            hub.dispatcher.run(),
            hub.callbacks.run(),
            hub.bot.run(),
            Outbox(hub.store, hub.bus, {parts.channel: parts.outbound for parts in channels}, settings.outbox).run(),
            tell_channels(hub.bus, hub.channels),
            MessageTranslator(hub.store, hub.bus, hub.translator).run(),
            retention.daily(),  # returns at once unless a daily hour is set
        ]
        tasks = [asyncio.create_task(worker) for worker in workers]
        yield
        for parts in channels:  # no new messages first
            await parts.inbound.close()
        hub.bus.close()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for parts in channels:  # once the outbox is stopped
            await parts.outbound.close()
        await hub.translator.close()  # the desk previews translations too, not only the message translator
        await hub.store.close()

    app.cleanup_ctx.append(lifecycle)
    setup_handovers(app, hub)  # after the hub's start: it seeds the departments once the store is open
    for parts in hub.channels.values():
        app.router.add_routes(parts.inbound.routes())
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", index)
    for table in (
        session.routes,
        conversations.routes,
        protection_api.routes,
        privacy_api.routes,
        knowledge.routes,
        questions.routes,
        public_kb.routes,
        supervision.routes,
        teams_api.routes,
        reports_api.routes,
        voc_api.routes,
        wallboard_api.routes,
        report_exports.routes,
        audit_api.routes,
        data_requests_api.routes,
        channel_routes,
        console.routes,
        openapi_routes,
        hours_api.routes,
        callbacks_api.routes,
        handovers_api.routes,
        canned_api.routes,
        agent_admin_api.routes,
    ):
        app.router.add_routes(table)
    app.router.add_static("/console/static/", console.STATIC)
    return app


async def _track_socket(request: web.Request, response: web.StreamResponse) -> None:
    if isinstance(response, web.WebSocketResponse):
        request.app[OPEN_SOCKETS].add(response)


async def _close_sockets(app: web.Application) -> None:
    """Tell every open socket the hub is going away (1001): browsers reconnect to another
    process or later, and shutting down waits for no socket that would never end by itself."""
    await asyncio.gather(
        *(socket.close(code=WSCloseCode.GOING_AWAY, message=b"the hub is shutting down")
          for socket in list(app[OPEN_SOCKETS])),
        return_exceptions=True,
    )  # fmt: skip


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/console/")


def action_server(settings: Settings) -> web.Application:
    """The Rasa assistant's action server: reads the hub's knowledge base (the database the
    hub migrated; start the hub first) and the phone directory, and translates articles
    with the hub's engines when the citizen's language has none."""
    store = Store(settings.database_url)
    knowledge_base = KnowledgeBase(ArticleStore(store), SearchTokenizer(), timezone=settings.timezone)
    translator = make_translator(settings, store)
    catalog = Catalog()
    actions = all_actions(
        knowledge_base,
        PhoneDirectory.read(),
        ANSWER_THRESHOLD,
        utcnow,
        translator,
        lambda key, language: catalog.text(key, language),
    )
    app = create_action_server(actions)

    async def close(app: web.Application) -> AsyncIterator[None]:
        yield
        await translator.close()
        await store.close()

    app.cleanup_ctx.append(close)
    return app
