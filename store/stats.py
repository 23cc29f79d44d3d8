"""The supervisor's figures, computed from the store."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.tables import ConversationRow


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


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
