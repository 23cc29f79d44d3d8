"""`dasan canned list|add|remove`: the centre's and the teams' canned replies (상용구) from the
command line, with the checks and the audit of the API (actor `cli`). Agents keep their own
replies in the console."""

from __future__ import annotations

import argparse

from hub.api.canned import NewCannedBody, audit_change, refuse_placeholders
from hub.core import Hub
from model import LANGUAGES
from model.canned import CannedScope
from model.clock import utcnow
from store import canned, teams

CLI_ACTOR = "cli"
COMMANDS = (("canned", "list"), ("canned", "add"), ("canned", "remove"))
"""The (command, action) pairs `run_command` runs."""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `canned` command, on the `dasan` parser's subcommands."""
    replies = commands.add_parser("canned", help="the centre's and the teams' canned replies (상용구)")
    actions = replies.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every shared canned reply: id, scope, code, title, languages")
    add = actions.add_parser("add", help="add a canned reply: the centre's, or a team's with --team")
    add.add_argument("code", help="what agents type after / in the reply box")
    add.add_argument("--title", required=True)
    add.add_argument("--team", default=None, help="the team's name: a team's reply")
    for language in LANGUAGES:
        add.add_argument(
            f"--{language}", default=None, help=f"the text in {language}" + (" (required)" if language == "ko" else "")
        )
    actions.add_parser("remove", help="remove a canned reply (as an administrator may)").add_argument("id", type=int)


async def run_command(hub: Hub, args: argparse.Namespace) -> None:
    """Run one of the commands `add_commands` added."""
    if args.action == "list":
        async with hub.store.read() as session:
            for reply in await canned.shared(session):
                scope = f"team:{reply.team}" if reply.scope is CannedScope.TEAM else reply.scope.value
                print(f"{reply.id}  {scope}  /{reply.code}  {reply.title}  ({', '.join(sorted(reply.texts))})")
    elif args.action == "add":
        texts = {language: text for language in LANGUAGES if (text := getattr(args, language)) is not None}
        scope = CannedScope.TEAM if args.team else CannedScope.CENTRE
        body = NewCannedBody(code=args.code, title=args.title, scope=scope, texts=texts)
        refuse_placeholders(body.texts)
        async with hub.store.write() as session:
            team_id = (await teams.team_named(session, args.team)).id if args.team else None
            made = await canned.create(session, code=body.code, title=body.title, scope=scope, texts=body.texts,
                                       team_id=team_id, owner_id=None, actor=CLI_ACTOR, now=utcnow())  # fmt: skip
            audit_change(session, CLI_ACTOR, made, "created")
        print(f"added {made.id} /{made.code}")
    else:
        async with hub.store.write() as session:
            gone = await canned.reply(session, args.id)
            await canned.delete(session, args.id)
            audit_change(session, CLI_ACTOR, gone, "deleted")
        print(f"removed {args.id}")
