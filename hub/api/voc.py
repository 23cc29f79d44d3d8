"""The monthly VOC report as a job: a supervisor starts it for a month, follows its progress
and downloads its HTML, CSV and XLSX files once it is done.

A month can hold half a million contacts, so a generation runs in the background of the
process that was asked; its files stay in that process's memory (the newest `KEEP_JOBS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from hub.api.errors import read_body
from hub.core import HUB, Hub
from hub.reports import voc_render
from hub.reports.voc import STAGE_READING, Month
from model import Role
from model.clock import utcnow
from model.errors import conflict, not_found

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

KEEP_JOBS = 20
"""Finished reports kept for download; starting one more forgets the oldest finished one."""
RUNNING = "running"
DONE = "done"
FAILED = "failed"
FILE_NAMES = {"voc.html": "html", "voc.csv": "csv", "voc.xlsx": "xlsx"}


@dataclass
class VocJob:
    """One generation of a month's report and how far it got."""

    id: str
    month: Month
    started_at: datetime
    status: str = RUNNING
    done: int = 0
    total: int = 0
    stage: str = STAGE_READING
    files: dict[str, voc_render.VocFile] = field(default_factory=dict)
    error: str | None = None

    def progress(self, done: int, total: int, stage: str) -> None:
        self.done, self.total, self.stage = done, total, stage

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "month": str(self.month),
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "stage": self.stage,
            "started_at": self.started_at.isoformat(),
        }
        if self.status == DONE:
            body["files"] = {kind: f"/api/v1/reports/voc/{self.id}/{name}" for name, kind in FILE_NAMES.items()}
        if self.error:
            body["error"] = self.error
        return body


class VocJobs:
    """The VOC generations of this process: started, followed, and cancelled when it stops."""

    def __init__(self, hub: Hub, keep: int = KEEP_JOBS) -> None:
        self._hub = hub
        self._keep = keep
        self._jobs: OrderedDict[str, VocJob] = OrderedDict()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, month: Month) -> VocJob:
        """Begin generating `month`'s report in the background."""
        job = VocJob(uuid.uuid4().hex, month, utcnow())
        self._jobs[job.id] = job
        self._forget_old()
        task = asyncio.create_task(self._run(job))
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))
        return job

    def get(self, job_id: str) -> VocJob | None:
        return self._jobs.get(job_id)

    async def close(self) -> None:
        """Cancel the generations still running (the process is stopping)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, job: VocJob) -> None:
        hub = self._hub
        try:
            _, job.files = await voc_render.generate(
                hub.store, hub.knowledge, hub.settings.timezone, job.month, job.progress
            )
            job.status = DONE
        except asyncio.CancelledError:
            job.status, job.error = FAILED, "The hub stopped before the report was finished."
            raise
        except Exception:  # a failed report must say so to the supervisor waiting for it
            log.exception("VOC report for %s failed", job.month)
            job.status, job.error = FAILED, "The report could not be generated; the hub's log says why."

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.status != RUNNING]
        for job_id in finished[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[job_id]


VOC_JOBS = web.AppKey("voc_jobs", VocJobs)


def setup(app: web.Application, hub: Hub) -> None:
    """Keep the process's VOC jobs on the app, cancelled when it stops."""
    app[VOC_JOBS] = VocJobs(hub)

    async def close(app: web.Application) -> None:
        await app[VOC_JOBS].close()

    app.on_shutdown.append(close)


class VocRequest(BaseModel):
    month: str = Field(min_length=1, max_length=20, description="The month, YYYY-MM")


def _job(request: web.Request) -> VocJob:
    job = request.app[VOC_JOBS].get(request.match_info["id"])
    if job is None:
        raise not_found("The VOC report")
    return job


@routes.post("/api/v1/reports/voc")
async def start_report(request: web.Request) -> web.Response:
    """Start generating a month's VOC report: 202 with the job's progress."""
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    body = await read_body(request, VocRequest)
    job = request.app[VOC_JOBS].start(Month.parse(body.month))
    return web.json_response(job.to_json(), status=202)


@routes.get("/api/v1/reports/voc/{id}")
async def report_status(request: web.Request) -> web.Response:
    """A job's progress; once done, the addresses of its files."""
    await request.app[HUB].auth.agent(request, Role.SUPERVISOR)
    return web.json_response(_job(request).to_json())


@routes.get("/api/v1/reports/voc/{id}/{name}")
async def report_file(request: web.Request) -> web.Response:
    """One of a finished job's files, as a download named `voc-2026-11.<kind>`."""
    await request.app[HUB].auth.agent(request, Role.SUPERVISOR)
    job = _job(request)
    kind = FILE_NAMES.get(request.match_info["name"])
    if kind is None:
        raise not_found(f"The file {request.match_info['name']!r} (voc.html, voc.csv or voc.xlsx)")
    if job.status != DONE:
        raise conflict(f"The VOC report for {job.month} has no files: its generation is {job.status}.")
    found = job.files[kind]
    return web.Response(
        body=found.body,
        headers={
            "Content-Type": found.content_type,
            "Content-Disposition": f'attachment; filename="{found.name}"',
        },
    )
