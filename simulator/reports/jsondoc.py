"""The `--json` document of `run`, `replay` and `contract`: one versioned JSON object for machines,
with every figure a number, never inside a sentence.

One model (`ResultDocument`, pydantic) gives both the document and its JSON Schema
(`result_json_schema`, published as `scenarios/result.schema.json` and printed by
`marketo-sim schema --result`; a test keeps the file current). `SCHEMA_VERSION` changes only when a
field changes meaning or goes away; new fields may appear within a version.

`Latencies` is an observer that keeps each subscription's acknowledged answer times in a fixed set
of logarithmic buckets (5 % wide), so its percentiles cost the same memory for ten attempts or ten
million: a percentile is the upper edge of its bucket, at most 5 % above the true value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel

from simulator import __version__
from simulator.core.ledger import LEDGER_FIELDS, Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.recording import Recording, Verdict, VerdictStatus
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.timefmt import iso

SCHEMA_VERSION = 1
TOOL = "marketo-stream-simulator"
# Latency buckets: edges FLOOR * GROWTH**k seconds; below FLOOR counts as FLOOR.
FLOOR = 0.0001
GROWTH = 1.05
PERCENTILES = (50, 90, 99)


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )


class Tool(_Model):
    name: str = TOOL
    version: str = __version__


class Latency(_Model):
    """Answer times of the acknowledged attempts, in seconds (None when there were none)."""

    count: int = Field(description="acknowledged attempts measured")
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None
    buckets: dict[int, int] = Field(
        default_factory=dict,
        description="acknowledged attempts by log bucket k (answered within 0.0001 * 1.05**k s): "
        "documents of several shards merge exactly by adding these",
    )


class _LedgerCounts(_Model):
    """What the document's ledger model has besides its fields (`LedgerTotals` below)."""

    if TYPE_CHECKING:  # made by `create_model` below, after the counts (the document's order)
        balanced: bool

    def counts(self) -> Ledger:
        """The counts as the core's `Ledger`, typed."""
        return Ledger(**{name: getattr(self, name) for name in LEDGER_FIELDS})


# The ledger in the document: its counts are the core's one list (`LEDGER_FIELDS`), never a copy.
if TYPE_CHECKING:
    LedgerTotals = _LedgerCounts
else:
    LedgerTotals = create_model(
        "LedgerTotals",
        __base__=_LedgerCounts,
        __module__=__name__,
        __doc__="Events by where they ended: produced = acknowledged + expired + discarded + "
        "dropped +\nqueued + inFlight when the ledger balances.",
        **{name: (int, ...) for name in LEDGER_FIELDS},
        balanced=(bool, ...),
    )


class SubscriptionResult(_Model):
    name: str
    endpoint: str = Field(description='"embedded" for the built-in dev endpoint, else its URL')
    state: str = Field(description="the state when the run ended")
    ledger: LedgerTotals
    attempts: int
    outcomes: dict[str, int] = Field(description="attempts by outcome")
    latency: Latency
    produced_per_second: float = Field(description="events produced per simulated second")
    acknowledged_per_second: float = Field(description="events acknowledged per simulated second")


class VerdictResult(_Model):
    """A judged expectation; "error" when the run was interrupted before it could be judged."""

    name: str
    status: Literal["passed", "failed", "error"]
    expected: str
    observed: str
    at: float | None = Field(description="simulated seconds it concerns; null: the end")
    subscription: str | None
    skipped: str | None = Field(
        default=None, description='why it was not judged (status "passed": it fails nothing)'
    )

    @property
    def verdict_status(self) -> VerdictStatus:
        return VerdictStatus.SKIPPED if self.skipped is not None else VerdictStatus(self.status)


class CheckResultDoc(_Model):
    """A contract check: "skipped" and "error" (interrupted) are never a pass."""

    name: str
    status: Literal["passed", "failed", "skipped", "error"]
    evidence: str
    duration: float = Field(description="seconds")
    metrics: dict[str, float] = Field(
        default_factory=dict, description="the check's figures: latency p50/p99 (s), rates (1/s)"
    )


class Totals(_Model):
    subscriptions: int
    ledger: LedgerTotals
    attempts: int
    outcomes: dict[str, int]
    latency: Latency | None = Field(
        default=None, description="every subscription's acknowledged answer times together"
    )


class ResultDocument(_Model):
    """What `--json FILE` writes for `run`, `replay` and `contract`."""

    schema_version: Literal[1] = 1  # SCHEMA_VERSION
    tool: Tool = Field(default_factory=Tool)
    command: Literal["run", "replay", "contract"]
    file: str | None = Field(description="the run or scenario file; null for contract")
    endpoint: str | None = Field(
        description='the endpoint every subscription pushed to ("embedded", a URL), or null '
        "when they differ"
    )
    profile: str | None = Field(default=None, description="contract: marketo-legacy or adobe-io")
    stream: str | None = Field(default=None, description="contract: the data stream checked")
    seed: int
    shard: str | None = Field(
        default=None, description='"I/N" when the run played one shard (--shard), else null'
    )
    simulated_start: str | None = Field(description="simulated wall time of t=0, ISO 8601")
    simulated_seconds: float
    elapsed_seconds: float = Field(description="real seconds the command took")
    interrupted: str | None = Field(description='the signal that stopped it early ("SIGTERM")')
    exit_code: int
    passed: bool = Field(description="every verdict or check passed and every ledger balanced")
    totals: Totals | None
    subscriptions: list[SubscriptionResult] = Field(default_factory=list)
    verdicts: list[VerdictResult] = Field(default_factory=list)
    checks: list[CheckResultDoc] = Field(default_factory=list)
    dev_endpoint: dict[str, int] | None = Field(
        default=None, description="the built-in dev endpoint's counters"
    )

    def dumps(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", by_alias=True), option=orjson.OPT_INDENT_2)


def result_json_schema() -> dict[str, object]:
    """The JSON Schema of the `--json` document."""
    schema = ResultDocument.model_json_schema(by_alias=True, mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "marketo-stream-simulator --json result",
    }


# ---- latency ------------------------------------------------------------------------------------


class Latencies:
    """An observer: each subscription's acknowledged answer times, bucketed (module docstring)."""

    def __init__(self) -> None:
        self._buckets: dict[str, Counter[int]] = {}
        self._max: dict[str, float] = {}

    def attempt(self, record: AttemptRecord) -> None:
        if record.outcome is not OutcomeKind.SUCCESS or record.kind == "duplicate":
            return
        name = record.subscription
        self._buckets.setdefault(name, Counter())[_bucket(record.latency)] += 1
        self._max[name] = max(self._max.get(name, 0.0), record.latency)

    def state_changed(self, change: StateChange) -> None:
        return None

    def of(self, name: str) -> Latency:
        buckets = self._buckets.get(name, Counter())
        return latency_of(buckets, self._max.get(name, 0.0))


def latency_of(buckets: Mapping[int, int], top: float) -> Latency:
    """The summary of acknowledged answer times kept in `buckets`, the longest being `top`."""
    count = sum(buckets.values())
    if not count:
        return Latency(count=0, p50=None, p90=None, p99=None, max=None)
    p50, p90, p99 = (min(top, _percentile(buckets, count, p)) for p in PERCENTILES)
    return Latency(
        count=count,
        p50=p50,
        p90=p90,
        p99=p99,
        max=round(top, 6),
        buckets=dict(sorted(buckets.items())),
    )


def combined_latency(latencies: Iterable[Latency]) -> Latency:
    """The summary of several summaries' answer times: exact, since their buckets add up (the
    longest is the longest of their `max`)."""
    buckets: Counter[int] = Counter()
    top = 0.0
    for latency in latencies:
        buckets.update(latency.buckets)
        top = max(top, latency.max or 0.0)
    return latency_of(buckets, top)


def _bucket(seconds: float) -> int:
    return max(0, math.ceil(math.log(max(seconds, FLOOR) / FLOOR, GROWTH) - 1e-9))


def _percentile(buckets: Mapping[int, int], count: int, p: int) -> float:
    rank = math.ceil(count * p / 100)
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= rank:
            return round(FLOOR * GROWTH**bucket, 6)
    raise AssertionError("unreachable: the ranks add up to count")


# ---- building the document ----------------------------------------------------------------------


def ledger_totals(ledgers: Iterable[Ledger]) -> LedgerTotals:
    """The sum of `ledgers`, balanced when each of them is."""
    books = list(ledgers)
    return totals_of(Ledger.total(books), balanced=all(ledger.balanced for ledger in books))


def totals_of(ledger: Ledger, *, balanced: bool) -> LedgerTotals:
    """`ledger` in the document, `balanced` as the caller judged it."""
    return LedgerTotals.model_validate({**ledger.as_dict(), "balanced": balanced})


# A skipped check fails nothing: "passed" in the document, with the reason in `skipped`.
_SHOWN: dict[VerdictStatus, Literal["passed", "failed", "error"]] = {
    VerdictStatus.PASSED: "passed",
    VerdictStatus.FAILED: "failed",
    VerdictStatus.SKIPPED: "passed",
    VerdictStatus.ERROR: "error",
}


def verdict_result(verdict: Verdict) -> VerdictResult:
    return VerdictResult(
        name=verdict.name,
        status=_SHOWN[verdict.status],
        expected=verdict.expected,
        observed=verdict.observed,
        at=verdict.at,
        subscription=verdict.subscription,
        skipped=verdict.skipped,
    )


def run_document(
    recording: Recording,
    *,
    command: Literal["run", "replay"],
    states: Mapping[str, str],
    endpoints: Mapping[str, str],
    latencies: Latencies,
    elapsed: float,
    exit_code: int,
    shard: str | None = None,
) -> ResultDocument:
    """The document of a played run file or scenario (`shard`: the --shard it played)."""
    span = recording.ended_at
    subscriptions = []
    for name in recording.subscriptions:
        ledger = recording.ledgers[name]
        tally = recording.tracks.view(name).tally
        subscriptions.append(
            SubscriptionResult(
                name=name,
                endpoint=endpoints.get(name, ""),
                state=states.get(name, ""),
                ledger=ledger_totals([ledger]),
                attempts=tally.attempts,
                outcomes=dict(tally.by_outcome),
                latency=latencies.of(name),
                produced_per_second=_rate(ledger.produced, span),
                acknowledged_per_second=_rate(ledger.acknowledged, span),
            )
        )
    outcomes: Counter[str] = Counter()
    for sub in subscriptions:
        outcomes.update(sub.outcomes)
    distinct = set(endpoints.values())
    balanced = all(ledger.balanced for ledger in recording.ledgers.values())
    return ResultDocument(
        command=command,
        file=recording.title,
        endpoint=distinct.pop() if len(distinct) == 1 else None,
        seed=recording.seed,
        shard=shard,
        simulated_start=iso(recording.start_wall),
        simulated_seconds=round(span, 6),
        elapsed_seconds=round(elapsed, 3),
        interrupted=recording.interrupted or None,
        exit_code=exit_code,
        passed=recording.passed and balanced and not recording.interrupted,
        totals=Totals(
            subscriptions=len(subscriptions),
            ledger=ledger_totals(recording.ledgers.values()),
            attempts=sum(sub.attempts for sub in subscriptions),
            outcomes=dict(outcomes),
            latency=combined_latency(sub.latency for sub in subscriptions),
        ),
        subscriptions=subscriptions,
        verdicts=[verdict_result(v) for v in recording.verdicts],
        dev_endpoint=recording.endpoint,
    )


def _rate(events: int, seconds: float) -> float:
    return round(events / seconds, 6) if seconds > 0 else 0.0
