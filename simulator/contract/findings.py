"""How a check ends and how its evidence reads: `CheckStatus`, `Finding`, and the phrases the
checks build their evidence from (answers counted, latency percentiles, ids, plurals).

A finding is truthful: passed or failed with what was seen and what was expected, or skipped
with the reason the check could not run, which is never a pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from simulator.contract.rate import percentile
from simulator.core.outcome import Outcome
from simulator.shell.iolane import describe_outcome


class CheckStatus(StrEnum):
    """How a check ended: passed, failed, skipped (it could not run, which is no pass), or in
    error (a signal interrupted it: it did not finish, which is no pass either)."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    """What a check found: how it ended and the evidence, or the reason it was skipped."""

    status: CheckStatus
    evidence: str
    # The figures behind the evidence, for the --json document: latencyP50/latencyP99 in
    # seconds, ratePerSecond and the like in events per second.
    metrics: Mapping[str, float] = field(default_factory=dict)


def with_metrics(finding: Finding, metrics: Mapping[str, float]) -> Finding:
    return replace(finding, metrics={**finding.metrics, **metrics})


def latency_metrics(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """`latency`'s figures as numbers (seconds)."""
    values = [o.latency for o in outcomes]
    if not values:
        return {}
    return {"latencyP50": percentile(values, 50), "latencyP99": percentile(values, 99)}


def passed(evidence: str, metrics: Mapping[str, float] | None = None) -> Finding:
    return Finding(CheckStatus.PASSED, evidence, metrics or {})


def failed(evidence: str, metrics: Mapping[str, float] | None = None) -> Finding:
    return Finding(CheckStatus.FAILED, evidence, metrics or {})


def skipped(reason: str) -> Finding:
    return Finding(CheckStatus.SKIPPED, reason)


def judged(ok: bool, evidence: str) -> Finding:
    """Passed when `ok`, failed otherwise, with the same evidence."""
    return passed(evidence) if ok else failed(evidence)


def latency(outcomes: Sequence[Outcome], limit: float) -> str:
    """The p50 and p99 answer times next to the limit: `latency p50 0.012s, p99 0.040s of ...`."""
    values = [o.latency for o in outcomes]
    p50, p99 = percentile(values, 50), percentile(values, 99)
    return f"latency p50 {p50:.3f}s, p99 {p99:.3f}s of the {limit:g}s limit"


def answers(outcomes: Sequence[Outcome]) -> str:
    """How often each answer came, in order of first appearance: `3 x HTTP 200, 1 x HTTP 500`."""
    counts = Counter(describe_outcome(o) for o in outcomes)
    return ", ".join(f"{n} x {what}" for what, n in counts.items())


def ids_text(ids: Sequence[str], limit: int = 5) -> str:
    """The first `limit` ids, and how many more there are."""
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def plural(count: int, noun: str, nouns: str = "") -> str:
    """`1 delivery`, `2 deliveries`: the count and the noun that fits it."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"
