"""The report's figures as formulas over rounds (docs/reports.md gives each in words).

Every function takes the rounds of a period (and of any filter: channel, language,
category, queue, agent) and returns one figure; none reads anything else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from model import Category, Disposition
from model.rounds import Round
from store.stats import percentile

DEFAULT_SLA_SECONDS = 60
"""Service level's N for a queue that names none."""


def share(part: int, whole: int) -> float:
    """part / whole, 0.0 when there is nothing to divide."""
    return part / whole if whole else 0.0


def settled_waits(rounds: Sequence[Round]) -> list[Round]:
    """The rounds whose wait for a person ended: answered by an agent, or abandoned. A round
    still waiting when the period closes counts in neither."""
    return [r for r in rounds if r.waited_for_agent and (r.answered_at is not None or r.abandoned)]


def answer_rate(rounds: Sequence[Round]) -> float:
    """answered / (answered + abandoned), over the rounds that waited for a person."""
    settled = settled_waits(rounds)
    return share(sum(r.answered_at is not None for r in settled), len(settled))


def abandonment_rate(rounds: Sequence[Round]) -> float:
    """abandoned / (answered + abandoned): 1 − answer rate."""
    settled = settled_waits(rounds)
    return share(sum(r.abandoned and r.answered_at is None for r in settled), len(settled))


def service_level(rounds: Sequence[Round], sla_seconds: Mapping[str, int] | int = DEFAULT_SLA_SECONDS) -> float:
    """Answered within its queue's N seconds / (answered + abandoned). Abandoned rounds count
    against it however short their wait."""
    settled = settled_waits(rounds)

    def limit(r: Round) -> int:
        if isinstance(sla_seconds, int):
            return sla_seconds
        return sla_seconds.get(r.queue or "", DEFAULT_SLA_SECONDS)

    within = sum(r.wait_seconds is not None and r.wait_seconds <= limit(r) for r in settled)
    return share(within, len(settled))


def wait_percentiles(rounds: Sequence[Round], fractions: Sequence[float] = (0.5, 0.9)) -> dict[str, float]:
    """Waits of the answered rounds, from first waiting to first being accepted: p50, p90…"""
    waits = [w for r in rounds if (w := r.wait_seconds) is not None]
    return {f"p{round(f * 100)}": percentile(waits, f) for f in fractions}


def handle_time(rounds: Sequence[Round]) -> dict[str, float]:
    """From an agent accepting to an agent resolving, over agent-resolved rounds: mean and p50."""
    handled = [h for r in rounds if (h := r.handle_seconds) is not None]
    return {"mean": sum(handled) / len(handled) if handled else 0.0, "p50": percentile(handled, 0.5)}


def resolved_by_agents(rounds: Sequence[Round]) -> list[Round]:
    """Rounds an agent closed with a disposition."""
    return [r for r in rounds if r.disposition is not None]


def dispositions(rounds: Sequence[Round]) -> dict[str, int]:
    """How many agent-resolved rounds ended with each disposition (the report's table)."""
    counted = Counter(r.disposition for r in resolved_by_agents(rounds))
    return {d.value: counted.get(d.value, 0) for d in Disposition}


def first_contact_resolution(rounds: Sequence[Round], where: Callable[[Round], bool] = lambda r: True) -> float:
    """The report's 1차 상담완료: rounds closed `resolved` / rounds closed by agents (any
    disposition), among those `where` selects."""
    closed = [r for r in resolved_by_agents(rounds) if where(r)]
    return share(sum(r.disposition == Disposition.RESOLVED for r in closed), len(closed))


def is_district(r: Round) -> bool:
    """District matters (자치구): the report splits first-contact resolution by them."""
    return r.category == Category.DISTRICT


def fcr_split(rounds: Sequence[Round]) -> dict[str, float]:
    """First-contact resolution overall, for city matters (every category but district) and district matters."""
    return {
        "all": first_contact_resolution(rounds),
        "city": first_contact_resolution(rounds, lambda r: r.category is not None and not is_district(r)),
        "district": first_contact_resolution(rounds, is_district),
    }


def repeat_contact_rate(rounds: Sequence[Round], within: timedelta = timedelta(days=7)) -> float:
    """Of the closed rounds, the share after which the same contact opened another round of
    the same category within `within` (a new conversation or a reopen)."""
    by_contact: dict[tuple[str | None, str | None], list[Round]] = {}
    for r in sorted(rounds, key=lambda r: r.opened_at):
        if r.contact_id is not None:
            by_contact.setdefault((r.contact_id, r.category), []).append(r)
    closed = repeated = 0
    for series in by_contact.values():
        for this, following in zip(series, [*series[1:], None], strict=True):
            if this.resolved_at is None:
                continue
            closed += 1
            repeated += following is not None and following.opened_at - this.resolved_at <= within
    return share(repeated, closed)


def satisfaction(rounds: Sequence[Round]) -> float | None:
    """The mean rating on the report's 100-point scale over the rounds the citizen rated;
    None when nobody rated."""
    rated = [r.satisfaction for r in rounds if r.satisfaction is not None]
    return sum(rated) / len(rated) if rated else None


def abuse_incidents(rounds: Sequence[Round]) -> int:
    """Abuse incidents (악성민원): rounds with any abuse step — detected, flagged, warned, ended
    under the protection protocol, blocked or lifted — each counted once."""
    return sum(r.abuse for r in rounds)


def contacts_by(rounds: Sequence[Round], key: Callable[[Round], str | None]) -> dict[str, int]:
    """Rounds counted by a field (channel, category, language, queue…); none as `unknown`."""
    return dict(Counter(key(r) or "unknown" for r in rounds))
