"""The `dasan` command: serve the hub, add agents, manage the knowledge base."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from chatbot.knowledge.files import read_articles
from hub import agent_admin
from hub.agent_admin import AgentProfile
from hub.agents import NewAgent, add_agent
from hub.api.audit import MAX_ENTRIES as MAX_AUDIT_ENTRIES
from hub.api.audit import parse_action, parse_since
from hub.api.teams import NameBody, record_change
from hub.app import action_server, build_hub, create_app, open_hub
from hub.canned_commands import COMMANDS as CANNED_COMMANDS
from hub.canned_commands import add_commands as add_canned_commands
from hub.canned_commands import run_command as canned_command
from hub.config import Settings
from hub.core import Hub
from hub.data_requests import DataRequests
from hub.departments import add_commands as add_department_commands
from hub.departments import run_command as department_command
from hub.hours_commands import COMMANDS as HOURS_COMMANDS
from hub.hours_commands import add_commands as add_hours_commands
from hub.hours_commands import run_command as hours_command
from hub.reports import voc_render
from hub.reports.voc import Month
from hub.retention import Progress, Retention
from hub.simulate import simulate
from model import Role
from model.errors import HubError, conflict, invalid
from model.masking import MaskingFilter
from sign_video import settings as video_settings
from sign_video.archive import Archive
from store import agents as agent_store
from store import audit as audit_store
from store import teams as team_store
from translation.configured import engine_factories
from translation.configured import routes as translation_routes

CLI_ACTOR = "cli"
"""Who the audit log says made a change through this command."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dasan", description="Dasan Hub, the citizen contact hub.")
    parser.add_argument(
        "--database", default=None, help="SQLAlchemy URL (default: DASAN_DATABASE_URL or SQLite under var/)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the hub")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--database", default=argparse.SUPPRESS, help="SQLAlchemy URL")
    serve.add_argument("--no-demo", action="store_true", help="do not load the demo agents and knowledge base")

    actions = commands.add_parser("actions", help="serve the Rasa assistant's custom actions")
    actions.add_argument("--host", default="127.0.0.1")
    actions.add_argument("--port", type=int, default=5055)
    actions.add_argument("--database", default=argparse.SUPPRESS, help="SQLAlchemy URL")

    agents = commands.add_parser("agents", help="manage agents").add_subparsers(dest="action", required=True)
    add = agents.add_parser("add", help="add an agent")
    add.add_argument("username")
    add.add_argument("--password", required=True)
    add.add_argument("--name")
    add.add_argument("--skills", help="queues, comma separated")
    add.add_argument("--languages", help="language codes, comma separated (default ko)")
    add.add_argument("--role", default="agent", choices=[role.value for role in Role])
    agents.add_parser("list", help="every agent with role, skills, languages, capacity and whether active")
    agent_set = agents.add_parser("set", help="change an agent's role, skills, languages or capacity")
    agent_set.add_argument("username")
    agent_set.add_argument("--name")
    agent_set.add_argument("--role", choices=[role.value for role in Role])
    agent_set.add_argument("--skills", help="queues, comma separated")
    agent_set.add_argument("--languages", help="language codes, comma separated")
    agent_set.add_argument("--capacity", help="places per channel kind, e.g. chat=3,video=1")
    agents.add_parser("deactivate", help="end the agent's sessions and logins; requeue what they hold").add_argument(
        "username"
    )
    agents.add_parser("reactivate", help="let a deactivated agent log in again").add_argument("username")
    agents.add_parser("password", help="reset the agent's password; prints a generated one once").add_argument(
        "username"
    )
    keys = commands.add_parser("keys", help="the channels' keys").add_subparsers(dest="action", required=True)
    keys.add_parser("rotate", help="a new key for the API channel, printed once (hubs take it when they start)")

    kb = commands.add_parser("kb", help="the knowledge base").add_subparsers(dest="action", required=True)
    kb_import = kb.add_parser("import", help="load articles from a JSON-lines or CSV file")
    kb_import.add_argument("file", type=Path)
    kb_search = kb.add_parser("search", help="search the knowledge base")
    kb_search.add_argument("query")
    kb_search.add_argument("--lang", default="ko")
    kb_search.add_argument("--limit", type=int, default=5)

    report = commands.add_parser("report", help="reports").add_subparsers(dest="action", required=True)
    voc_report = report.add_parser("voc", help="the monthly VOC report (HTML, CSV, XLSX)")
    voc_report.add_argument("--month", required=True, help="YYYY-MM")
    voc_report.add_argument("--out", type=Path, default=Path("."), help="folder for the files (default: here)")

    teams = commands.add_parser("teams", help="teams and parts of agents").add_subparsers(dest="action", required=True)
    teams.add_parser("add", help="add a team").add_argument("name")
    team_part = teams.add_parser("part", help="add a part to a team")
    team_part.add_argument("team")
    team_part.add_argument("part")
    assign = teams.add_parser("assign", help="put an agent in a team's part")
    assign.add_argument("username")
    assign.add_argument("part", metavar="TEAM/PART")

    audit_log = commands.add_parser("audit", help="the audit log of administrative actions, newest first")
    audit_log.add_argument("--target", help="what it was done to, as KIND:ID (agent:kim, team:3, contact:...)")
    audit_log.add_argument("--since", help="an ISO date or date and time (city time without an offset)")
    audit_log.add_argument("--action", dest="audit_action", help="one action (agent_added, team_changed, ...)")
    audit_log.add_argument("--limit", type=int, default=200)

    retention = commands.add_parser("retention", help="anonymise and delete personal data past its retention period")
    retention.add_argument("--dry-run", action="store_true", help="count what would go, change nothing")

    contact = commands.add_parser("contact", help="a citizen's data request (PIPA)").add_subparsers(
        dest="action", required=True
    )
    contact_export = contact.add_parser("export", help="print everything held on the contact as JSON")
    contact_export.add_argument("contact_id")
    contact_erase = contact.add_parser("erase", help="erase the contact's personal data")
    contact_erase.add_argument("contact_id")
    contact_erase.add_argument("--reason", required=True, help="the citizen's request as received, for the audit log")

    add_department_commands(commands)
    add_hours_commands(commands)
    add_canned_commands(commands)

    simulate = commands.add_parser("simulate", help="fill the database with realistic, back-dated traffic")
    simulate.add_argument("--days", type=int, required=True, help="how many days before today to fill")
    simulate.add_argument("--per-day", type=int, required=True, help="conversations a day")
    simulate.add_argument("--seed", type=int, default=None, help="the same seed draws the same traffic")
    simulate.add_argument("--database", default=argparse.SUPPRESS, help="SQLAlchemy URL")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskingFilter())
    if args.command in ("serve", "actions"):
        try:
            settings = _with_providers(args)
        except ValueError as error:
            print(f"dasan: {error}", file=sys.stderr)
            return 2
        if settings.database_url.startswith("sqlite"):
            # aiosqlite runs each statement on its own thread and hands the result back; with
            # Python's default 5 ms switch interval the event loop waits for the GIL on each.
            sys.setswitchinterval(0.0005)
        app = create_app(settings) if args.command == "serve" else action_server(settings)
        web.run_app(app, host=args.host, port=args.port, print=None)
        return 0
    # Administration talks to the database only: no channel is set up, so none is checked.
    # The simulated citizens ask the demo knowledge base and the demo agents answer them.
    simulating = args.command == "simulate"
    settings = Settings.from_env(database_url=args.database, load_demo=simulating, channels=())
    action: Callable[[Hub], Awaitable[None]] = {
        ("agents", "add"): lambda hub: _add_agent(hub, args),
        ("agents", "list"): _list_agents,
        ("agents", "set"): lambda hub: _set_agent(hub, args),
        ("agents", "deactivate"): lambda hub: _deactivate(hub, args.username),
        ("agents", "reactivate"): lambda hub: _reactivate(hub, args.username),
        ("agents", "password"): lambda hub: _reset_password(hub, args.username),
        ("keys", "rotate"): _rotate_api_key,
        ("kb", "import"): lambda hub: _import(hub, args.file),
        ("kb", "search"): lambda hub: _search(hub, args.query, args.lang, args.limit),
        ("report", "voc"): lambda hub: _voc_report(hub, args.month, args.out),
        ("teams", "add"): lambda hub: _add_team(hub, args.name),
        ("teams", "part"): lambda hub: _add_part(hub, args.team, args.part),
        ("teams", "assign"): lambda hub: _assign(hub, args.username, args.part),
        ("audit", None): lambda hub: _audit(hub, args.target, args.since, args.audit_action, args.limit),
        ("simulate", None): lambda hub: _simulate(hub, args),
        ("retention", None): lambda hub: _retention(hub, args.dry_run),
        ("contact", "export"): lambda hub: _export_contact(hub, args.contact_id),
        ("contact", "erase"): lambda hub: _erase_contact(hub, args.contact_id, args.reason),
        **{
            ("departments", name): lambda hub: department_command(hub.store, args)
            for name in ("list", "add", "set", "remove")
        },  # fmt: skip
        **{command: lambda hub: hours_command(hub, args) for command in HOURS_COMMANDS},
        **{command: lambda hub: canned_command(hub, args) for command in CANNED_COMMANDS},
    }[(args.command, getattr(args, "action", None))]
    try:
        asyncio.run(_with_hub(settings, action))
    except HubError as error:
        print(f"dasan: {error.message}", file=sys.stderr)
        return 2
    except ValidationError as error:
        first = error.errors()[0]
        print(f"dasan: {'.'.join(map(str, first['loc']))}: {first['msg']}", file=sys.stderr)
        return 2
    return 0


def _with_providers(args: argparse.Namespace) -> Settings:
    """Settings from the environment with the channels (channels.registry) and translation
    engines it configures; ValueError when one is configured by halves."""
    serving = args.command == "serve"
    return Settings.from_env(
        database_url=args.database,
        load_demo=serving and not args.no_demo,
        host=args.host,
        port=args.port,
        translation_engines=engine_factories(os.environ),
        translation_routes=translation_routes(os.environ),
    )


async def _with_hub(settings: Settings, action: Callable[[Hub], Awaitable[None]]) -> None:
    hub = build_hub(settings)
    await open_hub(hub)
    try:
        await action(hub)
    finally:
        await hub.store.close()


async def _add_agent(hub: Hub, args: argparse.Namespace) -> None:
    fields: dict[str, object] = {
        "username": args.username,
        "password": args.password,
        "display_name": args.name,
        "role": args.role,
    }
    if args.skills:
        fields["skills"] = [s.strip() for s in args.skills.split(",") if s.strip()]
    if args.languages:
        fields["languages"] = [s.strip() for s in args.languages.split(",") if s.strip()]
    await add_agent(hub.store, hub.auth, NewAgent.model_validate(fields), actor=CLI_ACTOR)
    print(f"added agent {args.username} ({args.role})")


async def _list_agents(hub: Hub) -> None:
    async with hub.store.read() as session:
        listed = await agent_store.all_agents(session)
    for agent in listed:
        capacity = ",".join(f"{kind}={places}" for kind, places in agent.capacity.items())
        print(
            f"{agent.username}\t{agent.display_name}\t{agent.role.value}\t{','.join(agent.skills)}\t"
            f"{','.join(agent.languages)}\t{capacity}\t{agent.state.value}\t{'active' if agent.active else 'inactive'}"
        )


def _listed(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def _capacity(text: str | None) -> dict[str, int] | None:
    """`chat=3,video=1` as a mapping; a clear error for anything else."""
    if text is None:
        return None
    capacity = {}
    for part in _listed(text) or []:
        kind, _, places = part.partition("=")
        if not places.strip().isdigit():
            raise invalid(f"--capacity: {part!r} is not KIND=NUMBER (chat=3,video=1).")
        capacity[kind.strip()] = int(places)
    return capacity


async def _set_agent(hub: Hub, args: argparse.Namespace) -> None:
    fields = {
        "display_name": args.name,
        "role": args.role,
        "skills": _listed(args.skills),
        "languages": _listed(args.languages),
        "capacity": _capacity(args.capacity),
    }
    profile = AgentProfile.model_validate({name: value for name, value in fields.items() if value is not None})
    agent = await agent_admin.update_agent(hub, args.username, profile, CLI_ACTOR)
    print(f"{agent.username}: {agent.role.value}, skills {','.join(agent.skills)}, "
          f"languages {','.join(agent.languages)}, capacity {agent.capacity}")  # fmt: skip


async def _deactivate(hub: Hub, username: str) -> None:
    await agent_admin.deactivate_agent(hub, username, CLI_ACTOR)
    print(f"deactivated {username}: sessions ended, conversations requeued")


async def _reactivate(hub: Hub, username: str) -> None:
    await agent_admin.reactivate_agent(hub, username, CLI_ACTOR)
    print(f"reactivated {username}")


async def _reset_password(hub: Hub, username: str) -> None:
    reset = await agent_admin.reset_password(hub, username, CLI_ACTOR)
    print(f"new password for {username} (shown once): {reset.generated}")


async def _rotate_api_key(hub: Hub) -> None:
    if os.environ.get("DASAN_API_CHANNEL_KEY"):
        raise conflict("DASAN_API_CHANNEL_KEY sets the API channel's key; change it there and restart.")
    key = await agent_admin.store_new_api_key(hub, CLI_ACTOR)
    print(f"the API channel's new key (shown once; running hubs take it when they restart): {key}")


async def _import(hub: Hub, path: Path) -> None:
    if not path.is_file():
        raise invalid(f"{path} is not a file.")
    articles = read_articles(path)
    batch = 200
    for start in range(0, len(articles), batch):
        await hub.knowledge.load(articles[start : start + batch])
        done = min(start + batch, len(articles))
        print(f"\rimported {done}/{len(articles)} articles", end="", flush=True)
    print()


async def _search(hub: Hub, query: str, language: str, limit: int) -> None:
    hits = await hub.knowledge.search(query, language, limit)
    if not hits:
        print("no matching article")
    for hit in hits:
        print(
            f"{hit.score:6.2f}  {hit.confidence:4.2f}  [{hit.article.category}] {hit.article.id}  {hit.article.title}"
        )


async def _add_team(hub: Hub, name: str) -> None:
    body = NameBody.model_validate({"name": name})
    async with hub.store.write() as session:
        team = await team_store.create_team(session, body.name)
        record_change(session, CLI_ACTOR, f"team:{team.id}", "created", name=team.name)
    print(f"added team {team.name} ({team.id})")


async def _add_part(hub: Hub, team_name: str, part_name: str) -> None:
    body = NameBody.model_validate({"name": part_name})
    async with hub.store.write() as session:
        team = await team_store.team_named(session, team_name)
        part = await team_store.create_part(session, team.id, body.name)
        record_change(session, CLI_ACTOR, f"part:{part.id}", "created", team=team.id, name=part.name)
    print(f"added part {team.name}/{part.name} ({part.id})")


async def _assign(hub: Hub, username: str, team_and_part: str) -> None:
    team_name, slash, part_name = team_and_part.partition("/")
    if not slash:
        raise invalid(f"{team_and_part!r} is not TEAM/PART.")
    async with hub.store.write() as session:
        part = await team_store.part_named(session, team_name, part_name)
        member = await team_store.set_part(session, username, part.id)
        record_change(session, CLI_ACTOR, f"agent:{member.username}", "part_set", part=part.id,
                      team_name=member.team, part_name=member.part)  # fmt: skip
    print(f"{member.username} is in {member.team}/{member.part}")


async def _audit(hub: Hub, target: str | None, since: str | None, action: str | None, limit: int) -> None:
    """The audit log's entries, newest first, one a line: time, actor, action, target, detail."""
    if not 1 <= limit <= MAX_AUDIT_ENTRIES:
        raise invalid(f"--limit must be from 1 to {MAX_AUDIT_ENTRIES}.")
    async with hub.store.read() as session:
        found = await audit_store.entries(
            session,
            target=target or None,
            action=parse_action(action) if action else None,
            since=parse_since(since, hub.settings.timezone) if since else None,
            limit=limit,
        )
    if not found:
        print("no audit entry")
    for entry in found:
        detail = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)
        print(f"{entry.at.astimezone(hub.settings.timezone).isoformat(timespec='seconds')}  {entry.actor}  "
              f"{entry.action.value}  {entry.target}  {detail}")  # fmt: skip


async def _voc_report(hub: Hub, month: str, out: Path) -> None:
    """Write the month's VOC report files into `out`; the progress goes to stderr."""
    asked = Month.parse(month)

    def progress(done: int, total: int, stage: str) -> None:
        print(f"\rVOC {asked}: {stage} {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    report, made = await voc_render.generate(hub.store, hub.knowledge, hub.settings.timezone, asked, progress)
    print(f" ({report.rate:,.0f} contacts/s)", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    for made_file in made.values():
        (out / made_file.name).write_bytes(made_file.body)
        print(out / made_file.name)


async def _simulate(hub: Hub, args: argparse.Namespace) -> None:
    summary = await simulate(hub, args.days, args.per_day, args.seed, progress=sys.stderr)
    print("\n".join(summary.lines()))


def _recordings(hub: Hub) -> Archive:
    """The video channel's recordings folder and period, as `dasan serve` would run it."""
    video = video_settings.from_env(os.environ, hub.settings.public_url)
    return Archive(video.media.recordings, video.retention)


async def _retention(hub: Hub, dry_run: bool) -> None:
    """Run the retention job (or count what it would do); progress goes to stderr."""
    retention = Retention(hub.store, hub.settings.retention, _recordings(hub), hub.settings.timezone)

    def progress(step: Progress) -> None:
        total = f"/{step.total:,}" if step.total is not None else ""
        print(f"\rretention: {step.stage} {step.done:,}{total}", end="", file=sys.stderr, flush=True)

    report = await retention.run(CLI_ACTOR, dry_run=dry_run, progress=progress)
    print(file=sys.stderr)
    print("would anonymise or delete (dry run, nothing changed):" if dry_run else "anonymised or deleted:")
    for kind, count in report.tally.to_json().items():
        print(f"  {kind:<14}{count:>10,}")
    oldest = report.oldest.astimezone(hub.settings.timezone).date().isoformat() if report.oldest else "-"
    print(f"  oldest        {oldest:>10}")


async def _export_contact(hub: Hub, contact_id: str) -> None:
    """Print everything held on the contact as JSON (audited, actor `cli`)."""
    export = await DataRequests(hub.store, _recordings(hub)).export(CLI_ACTOR, contact_id)
    sys.stdout.write(export.json_bytes().decode() + "\n")


async def _erase_contact(hub: Hub, contact_id: str, reason: str) -> None:
    """Erase the contact's personal data (audited, actor `cli`)."""
    if not reason.strip():
        raise invalid("--reason must say why: the citizen's request as received.")
    tally = await DataRequests(hub.store, _recordings(hub)).erase(CLI_ACTOR, contact_id, reason.strip())
    print(f"erased contact {contact_id}: " + ", ".join(f"{kind} {count}" for kind, count in tally.to_json().items()))


if __name__ == "__main__":
    sys.exit(main())
