"""Departments handovers go to: the changes administrators make (through the API or the
`dasan departments` command), each written to the audit log in its own transaction."""

from __future__ import annotations

import argparse
import secrets
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from hub.handovers import directory_offices, seed_departments
from model.audit import AuditAction
from model.clock import utcnow
from model.errors import invalid, not_found
from model.handovers import Department
from store import audit
from store import departments as department_store
from store.db import Store
from store.departments import DepartmentFields

# No control characters: a name goes into e-mail subjects and the citizens' messages.
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[0-9+() -]+$")]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+$")
]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=128)]


def _webhook(url: str | None) -> str | None:
    """A webhook is an http(s) address."""
    if url is not None and not url.startswith(("https://", "http://")):
        raise ValueError("the webhook must be an http:// or https:// address")
    return url


WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_webhook)]


class DepartmentBody(BaseModel):
    """A new department: a name, a phone number citizens may call, and where handovers go
    (an e-mail address, a webhook, or both: the webhook is used)."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    phone: Phone
    email: Email | None = None
    webhook_url: WebhookUrl | None = None
    webhook_secret: Secret | None = None
    """Made by the hub when a webhook is given without one; shown to administrators."""
    personal_data: bool = False
    """Whether personal data may be sent to it unmasked."""
    active: bool = True


class DepartmentChange(BaseModel):
    """The fields to change; `email`, `webhook_url` set to null remove them."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    phone: Phone | None = None
    email: Email | None = None
    webhook_url: WebhookUrl | None = None
    webhook_secret: Secret | None = None
    personal_data: bool | None = None
    active: bool | None = None


async def add_department(store: Store, actor: str, body: DepartmentBody) -> Department:
    """A new department; a webhook without a secret gets one made (a webhook is always signed)."""
    secret = body.webhook_secret or (secrets.token_hex(32) if body.webhook_url else None)
    given = DepartmentFields(
        body.name, body.email, body.webhook_url, secret, body.phone, body.personal_data, body.active
    )
    async with store.write() as session:
        department = await department_store.add(session, given, utcnow())
        shown = department.to_json()
        detail = {key: value for key, value in shown.items() if key not in ("id", "created_at")}
        audit.record(session, actor, AuditAction.DEPARTMENT_CHANGED, f"department:{department.id}", utcnow(),
                     {"change": "added", **detail, "webhook_secret": bool(secret)})  # fmt: skip
    return department


async def change_department(store: Store, actor: str, department_id: int, body: DepartmentChange) -> Department:
    """The fields the body names, changed; what changed goes to the audit log (secrets only as set or not)."""
    named = body.model_fields_set
    if ("name" in named and body.name is None) or ("phone" in named and body.phone is None):
        raise invalid("A department keeps its name and phone number: give new ones instead of null.")
    cleared = {name for name in ("email", "webhook_url") if name in named and getattr(body, name) is None}
    async with store.write() as session:
        before = await department_store.department(session, department_id)
        if before is None:
            raise not_found(f"The department {department_id}")
        secret = body.webhook_secret
        if body.webhook_url and not (secret or before.webhook_secret):
            secret = secrets.token_hex(32)
        given = DepartmentFields(body.name, body.email, body.webhook_url, secret, body.phone, body.personal_data,
                                 body.active)  # fmt: skip
        department, changed = await department_store.change(session, department_id, given, cleared)
        if changed:
            audit.record(session, actor, AuditAction.DEPARTMENT_CHANGED, f"department:{department_id}", utcnow(),
                         {"change": "changed", "name": department.name, **changed})  # fmt: skip
    return department


async def remove_department(store: Store, actor: str, department_id: int) -> Department:
    """Remove a department no handover names (409 otherwise: deactivate it instead)."""
    async with store.write() as session:
        gone = await department_store.remove(session, department_id)
        audit.record(session, actor, AuditAction.DEPARTMENT_CHANGED, f"department:{department_id}", utcnow(),
                     {"change": "removed", "name": gone.name})  # fmt: skip
    return gone


# -- `dasan departments` --------------------------------------------------------------------

CLI_ACTOR = "cli"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`dasan departments list|add|set|remove`."""
    departments = commands.add_parser("departments", help="departments handovers go to (부서이관, 담당자 연결)")
    actions = departments.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every department: id, name, phone, where handovers go, whether active")
    add = actions.add_parser("add", help="add a department")
    add.add_argument("name")
    add.add_argument("--phone", required=True, help="the number citizens are told to call")
    add.add_argument("--email")
    add.add_argument("--webhook", help="an http(s) address handovers are POSTed to, signed (prints the secret)")
    add.add_argument("--personal-data", action="store_true", help="it may receive personal data unmasked")
    change = actions.add_parser("set", help="change a department")
    change.add_argument("id", type=int)
    change.add_argument("--name")
    change.add_argument("--phone")
    change.add_argument("--email", help="an address, or 'none' to remove it")
    change.add_argument("--webhook", help="an http(s) address, or 'none' to remove it")
    change.add_argument("--personal-data", choices=("yes", "no"))
    change.add_argument("--active", choices=("yes", "no"))
    actions.add_parser("remove", help="remove a department no handover names").add_argument("id", type=int)


async def run_command(store: Store, args: argparse.Namespace) -> None:
    """One `dasan departments` action, as the command-line administrator (audited as `cli`)."""
    await seed_departments(store, directory_offices())  # the hub does this when it starts
    if args.action == "list":
        async with store.read() as session:
            for found in await department_store.all_departments(session):
                where = found.webhook_url or found.email or "-"
                flags = ("" if found.active else " [inactive]") + (" [personal data]" if found.personal_data else "")
                print(f"{found.id:4}  {found.name}  {found.phone}  {where}{flags}")
        return
    if args.action == "add":
        body = DepartmentBody.model_validate(
            {"name": args.name, "phone": args.phone, "email": args.email, "webhook_url": args.webhook,
             "personal_data": args.personal_data}
        )  # fmt: skip
        added = await add_department(store, CLI_ACTOR, body)
        print(f"added department {added.name} ({added.id})")
        if added.webhook_secret:
            print(f"webhook secret: {added.webhook_secret}")
        return
    if args.action == "set":
        given: dict[str, object] = {
            key: value
            for key, value in (
                ("name", args.name),
                ("phone", args.phone),
                ("email", args.email),
                ("webhook_url", args.webhook),
            )  # fmt: skip
            if value is not None
        }
        given |= {key: None for key, value in given.items() if value == "none"}
        if args.personal_data:
            given["personal_data"] = args.personal_data == "yes"
        if args.active:
            given["active"] = args.active == "yes"
        changed = await change_department(store, CLI_ACTOR, args.id, DepartmentChange.model_validate(given))
        print(f"changed department {changed.name} ({changed.id})")
        return
    gone = await remove_department(store, CLI_ACTOR, args.id)
    print(f"removed department {gone.name} ({gone.id})")
