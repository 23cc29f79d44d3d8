"""The supervisor's figures, computed from the store."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Disposition, EventType
from store.tables import ConversationRow, EventRow, QueueRow


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


async def summary(session: AsyncSession, start: datetime, end: datetime) -> dict[str, object]:
    """API.md's `stats/summary` for conversations created in [start, end)."""
    in_range = (ConversationRow.created_at >= start, ConversationRow.created_at < end)

    async def count_by(column: object) -> dict[str, int]:
        rows = await session.execute(select(column, func.count()).where(*in_range).group_by(column))
        return {str(key) if key is not None else "unknown": int(n) for key, n in rows}

    contacts = int(await session.scalar(select(func.count()).select_from(ConversationRow).where(*in_range)) or 0)
    dispositions = await count_by(ConversationRow.disposition)
    dispositions.pop("unknown", None)
    by_agent = sum(dispositions.values())
    sla = {name: seconds for name, seconds in (await session.execute(select(QueueRow.name, QueueRow.sla_seconds)))}
    waited = await session.execute(
        select(
            ConversationRow.queue, ConversationRow.queued_at, ConversationRow.answered_at, ConversationRow.abandoned
        ).where(*in_range, ConversationRow.queued_at.is_not(None))
    )
    waits: list[float] = []
    within_sla = abandoned = 0
    for queue, queued_at, answered_at, was_abandoned in waited:
        if answered_at is not None:
            wait = max(0.0, (answered_at - queued_at).total_seconds())
            waits.append(wait)
            within_sla += wait <= sla.get(queue or "", 60)
        elif was_abandoned:
            abandoned += 1
    flagged = await session.scalar(
        select(func.count())
        .select_from(EventRow)
        .where(EventRow.type == EventType.FLAGGED.value, EventRow.at >= start, EventRow.at < end)
    )
    offered = len(waits) + abandoned
    return {
        "contacts": contacts,
        "by_channel": await count_by(ConversationRow.channel),
        "by_category": await count_by(ConversationRow.category),
        "by_language": await count_by(ConversationRow.language),
        "first_contact_resolution": _share(dispositions.get(Disposition.RESOLVED.value, 0), by_agent),
        "dispositions": {d.value: dispositions.get(d.value, 0) for d in Disposition},
        "abuse_incidents": int(flagged or 0),
        "service_level": _share(within_sla, offered),
        "answer_rate": _share(len(waits), offered),
        "wait_seconds": {"p50": round(percentile(waits, 0.5), 1), "p90": round(percentile(waits, 0.9), 1)},
    }


async def resolved_between(session: AsyncSession, start: datetime, end: datetime) -> Counter[str]:
    """Dispositions of conversations resolved by agents in [start, end)."""
    rows = await session.execute(
        select(ConversationRow.disposition, func.count())
        .where(
            ConversationRow.resolved_at >= start,
            ConversationRow.resolved_at < end,
            ConversationRow.disposition.is_not(None),
        )
        .group_by(ConversationRow.disposition)
    )
    return Counter({disposition: int(n) for disposition, n in rows})
