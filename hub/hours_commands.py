"""`dasan hours show|set QUEUE` and `dasan holidays list|add|remove`: queue hours and the
centre's holidays from the command line, audited as `cli`."""

from __future__ import annotations

import argparse
import json
from datetime import date

from hub.core import Hub
from model.clock import utcnow
from model.errors import invalid
from model.hours import WEEKDAYS, Holiday, HoursError, QueueHours, parse_ranges

CLI_ACTOR = "cli"
COMMANDS = (("hours", "show"), ("hours", "set"), ("holidays", "list"), ("holidays", "add"), ("holidays", "remove"))
"""The (command, action) pairs `run_command` runs."""
RANGES_HELP = "ranges as HH:MM-HH:MM, comma-separated (18:00-09:00 runs into the next morning)"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `hours` and `holidays` commands, on the `dasan` parser's subcommands."""
    hours = commands.add_parser("hours", help="a queue's opening hours").add_subparsers(dest="action", required=True)
    hours.add_parser("show", help="a queue's hours and whether it is open now").add_argument("queue")
    set_hours = hours.add_parser("set", help="set a queue's hours (a day not given is closed)")
    set_hours.add_argument("queue")
    for day in WEEKDAYS:
        set_hours.add_argument(f"--{day}", default=None, help=RANGES_HELP)
    set_hours.add_argument("--weekdays", default=None, help=f"Monday to Friday: {RANGES_HELP}")
    set_hours.add_argument("--every-day", default=None, help=f"every day: {RANGES_HELP}")
    set_hours.add_argument("--holidays", default=None, help=f"the queue's own hours on holidays: {RANGES_HELP}")
    set_hours.add_argument("--after-hours", default=None, help="the queue that takes over while this one is closed")

    holidays = commands.add_parser("holidays", help="the centre's holiday calendar").add_subparsers(
        dest="action", required=True
    )
    holidays.add_parser("list", help="a year's holidays").add_argument("--year", type=int, default=None)
    add = holidays.add_parser("add", help="add a holiday, or rename it")
    add.add_argument("date", help="YYYY-MM-DD")
    add.add_argument("name")
    add.add_argument("--hours", default="", help=f"special hours that day (default closed): {RANGES_HELP}")
    holidays.add_parser("remove", help="remove a holiday").add_argument("date", help="YYYY-MM-DD")


async def run_command(hub: Hub, args: argparse.Namespace) -> None:
    """Run one of the commands `add_commands` added."""
    try:
        if args.command == "hours":
            if args.action == "set":
                await hub.hours.set_queue_hours(CLI_ACTOR, args.queue, _hours(args))
            found, status = await hub.hours.queue_hours(args.queue, utcnow())
            print(json.dumps({"queue": args.queue, **found.to_json(), "status": status.to_json()}, ensure_ascii=False))
        elif args.action == "list":
            year = args.year or utcnow().astimezone(hub.settings.timezone).year
            for holiday in await hub.hours.holidays(year):
                hours = ", ".join("-".join(r.to_json()) for r in holiday.hours) or "closed"
                print(f"{holiday.day.isoformat()}  {holiday.name}  ({hours})")
        elif args.action == "add":
            holiday = Holiday(_day(args.date), args.name.strip(), parse_ranges(_pairs(args.hours), "--hours"))
            if not holiday.name:
                raise invalid("The holiday needs a name.")
            added = await hub.hours.set_holiday(CLI_ACTOR, holiday)
            print(f"{'added' if added else 'changed'} {holiday.day.isoformat()} {holiday.name}")
        else:
            await hub.hours.remove_holiday(CLI_ACTOR, _day(args.date))
            print(f"removed {args.date}")
    except HoursError as error:
        raise invalid(str(error), "invalid_hours") from None


def _pairs(text: str) -> list[list[str]]:
    """`"09:00-12:00, 13:00-18:00"` as `[["09:00", "12:00"], ["13:00", "18:00"]]`."""
    return [part.strip().split("-", 1) for part in text.split(",") if part.strip()]


def _hours(args: argparse.Namespace) -> QueueHours:
    """The hours the options give: a day's own, else --weekdays (Monday to Friday), else --every-day."""
    weekly = {}
    for index, day in enumerate(WEEKDAYS):
        given = (getattr(args, day), args.weekdays if index < 5 else None, args.every_day)
        text = next((option for option in given if option is not None), "")
        weekly[day] = _pairs(text)
    holidays = _pairs(args.holidays) if args.holidays is not None else None
    return QueueHours.parse(weekly, holidays, args.after_hours or None)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(f"{text!r} is not a date like 2026-12-31.", "invalid_date") from None
