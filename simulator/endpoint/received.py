"""What the dev endpoint keeps of what it was sent: accepted batches, seen ids and counters.

A test or a run report asks the consumer afterwards what arrived: the accepted batches with their
arrival time and headers (`ReceivedBatch`, kept only when the receiver records, and then only the
last `KEEP_BATCHES`: `KeptBatches`), how many ids were seen before (`SeenIds`, legacy
marketoGUIDs and I/O event ids kept apart) and the counters of everything it saw (`Stats`, also
served as JSON on `GET /_sim/stats`). The receiver, its identity provider and its I/O checks all
count into the same `Stats`.

Nothing here grows with the events: a kept batch is its body as it came (decoded when read), at
most `KEEP_BATCHES` of them; the simulator's own ids are counted exactly as runs of sequence
numbers per stream (`IntervalSet`), and any other id in a bounded window (`RecentIds`).

Pure: no asyncio, no aiohttp.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from simulator.core.intervals import IntervalSet
from simulator.endpoint.bodies import Parsed, load
from simulator.errors import ConfigError
from simulator.payloads.draws import own_id

__all__ = [
    "FOREIGN_IDS",
    "KEEP_BATCHES",
    "STREAMS",
    "KeptBatches",
    "ReceivedBatch",
    "RecentIds",
    "SeenIds",
    "Stats",
    "recorded_headers",
]

KEEP_BATCHES = 1_000  # accepted batches kept when recording: the last ones
FOREIGN_IDS = 100_000  # ids not laid out like the simulator's own remembered per id space
STREAMS = 16_384  # stream prefixes counted as runs per id space; the ids of more are foreign

_RECORDED_HEADERS = ("content-type",)  # plus every x-adobe-* header


@dataclass(slots=True)
class ReceivedBatch:
    """One accepted batch, kept only when the receiver records.

    `kind` is "legacy" or "io". For a legacy batch `message_id` is the wrapper's `messageId` and
    `events` is `activities`; for an I/O delivery `message_id` is the `x-adobe-delivery-id` header
    ("" if absent), `activities` is empty and `events` holds the delivered envelopes (one for a
    single delivery). `count` is the number of events. `headers` keeps the x-adobe-* headers and
    the content type, names in lower case (never Authorization). `signature` is "ok", "BAD" or
    "-" (not checked).

    The batch is kept as the `body` it came in, a quarter of the memory of its decoded objects:
    `events` and `activities` decode it on each read.
    """

    at: float
    message_id: str
    duplicates: int
    kind: str
    count: int
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict)
    signature: str = "-"

    @classmethod
    def of(
        cls,
        parsed: Parsed,
        body: bytes,
        headers: Mapping[str, str],
        duplicates: int,
        verdict: str,
        at: float,
    ) -> ReceivedBatch:
        """The record of an accepted legacy batch or I/O delivery, its `body` and request
        `headers`."""
        kept = recorded_headers(headers)
        count = len(parsed.ids)
        if parsed.kind == "legacy":
            return cls(at, parsed.message_id, duplicates, "legacy", count, body, kept)
        message_id = headers.get("x-adobe-delivery-id", "")
        return cls(at, message_id, duplicates, "io", count, body, kept, verdict)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The activities of a legacy batch, the envelopes of an I/O delivery (decoded now)."""
        return load(self.body, self.kind)

    @property
    def activities(self) -> list[dict[str, Any]]:
        """The activities of a legacy batch (decoded now); empty for an I/O delivery."""
        return self.events if self.kind == "legacy" else []


def recorded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The x-adobe-* headers and the content type, names in lower case."""
    kept = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("x-adobe-") or lower in _RECORDED_HEADERS:
            kept[lower] = value
    return kept


def _at_least(name: str, value: int, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigError(f"{name}: must be an integer >= {least} (got {value!r})")
    return value


class KeptBatches:
    """The last `limit` accepted batches, oldest first: a ring that drops the oldest batch to
    take a new one once full, and counts what it dropped (`dropped`)."""

    def __init__(self, limit: int = KEEP_BATCHES) -> None:
        self._ring: deque[ReceivedBatch] = deque(maxlen=_at_least("keep_batches", limit, 1))
        self.dropped = 0

    @property
    def limit(self) -> int:
        assert self._ring.maxlen is not None
        return self._ring.maxlen

    @limit.setter
    def limit(self, limit: int) -> None:
        """A new bound; when smaller than what is kept, the oldest batches are dropped."""
        limit = _at_least("keep_batches", limit, 1)
        self.dropped += max(0, len(self._ring) - limit)
        self._ring = deque(self._ring, maxlen=limit)

    def append(self, batch: ReceivedBatch) -> None:
        if len(self._ring) == self.limit:
            self.dropped += 1
        self._ring.append(batch)

    def batches(self) -> list[ReceivedBatch]:
        """The batches kept, oldest first (a copy)."""
        return list(self._ring)


class RecentIds:
    """An exact set of the last `limit` distinct ids first seen, the oldest forgotten to take a
    new one once full (`forgotten` counts them). A repeat of a forgotten id is taken as new: past
    the bound, duplicates can be under-counted, never over-counted."""

    def __init__(self, limit: int) -> None:
        self.limit = _at_least("foreign_ids", limit, 0)
        self.forgotten = 0
        self._members: set[str] = set()
        self._order: deque[str] = deque()

    def add(self, key: str) -> bool:
        """Remember `key`; True when it is not remembered already."""
        if key in self._members:
            return False
        self._members.add(key)
        self._order.append(key)
        if len(self._order) > self.limit:
            self._members.discard(self._order.popleft())
            self.forgotten += 1
        return True

    def __len__(self) -> int:
        return len(self._order)


class IdSpace:
    """The ids of one id space seen so far. Ids laid out like the simulator's own (stream prefix
    and sequence number, `own_id`) are kept as runs of sequence numbers per stream: exact, in
    memory proportional to the gaps. Any other id, and the ids of streams past the first
    `streams`, go to a `RecentIds` window of `foreign` ids."""

    def __init__(self, *, foreign: int = FOREIGN_IDS, streams: int = STREAMS) -> None:
        self._streams: dict[str, IntervalSet] = {}
        self._limit = streams
        self.foreign = RecentIds(foreign)

    def count_duplicates(self, ids: list[str]) -> int:
        """How many of `ids` were seen before; remembers the new ones."""
        run = _run_of(ids)
        if run is not None:
            stream = self._stream(run[0])
            if stream is not None:
                return len(ids) - stream.add_range(run[1], run[1] + len(ids))
        return sum(not self._add(key) for key in ids)

    def _add(self, key: str) -> bool:
        own = own_id(key)
        if own is not None:
            stream = self._stream(own[0])
            if stream is not None:
                return stream.add(own[1])
        return self.foreign.add(key)

    def _stream(self, prefix: str) -> IntervalSet | None:
        """The stream's runs; None once `streams` streams are known and this is a new one."""
        stream = self._streams.get(prefix)
        if stream is None and len(self._streams) < self._limit:
            stream = self._streams[prefix] = IntervalSet()
        return stream

    @property
    def runs(self) -> int:
        """How many runs of sequence numbers are kept, over every stream."""
        return sum(len(stream) for stream in self._streams.values())


def _run_of(ids: list[str]) -> tuple[str, int] | None:
    """(prefix, first seq) when `ids` are own ids of one stream with consecutive sequence numbers
    (a batch as the simulator sends it), else None. Checked by building the ids such a run
    would have, which is cheaper than taking every id apart."""
    if not ids:
        return None
    first = own_id(ids[0])
    if first is None:
        return None
    prefix, start = first
    spell = (prefix + "%012x").__mod__  # how the simulator spells the id of a seq
    last = start + len(ids) - 1
    if ids[-1] != spell(last) or ids != list(map(spell, range(start, last + 1))):
        return None
    return first


class SeenIds:
    """The ids seen so far, legacy marketoGUIDs and I/O event ids kept apart (two id spaces),
    each an `IdSpace` with a window of `foreign` ids."""

    def __init__(self, *, foreign: int = FOREIGN_IDS, streams: int = STREAMS) -> None:
        self.legacy = IdSpace(foreign=foreign, streams=streams)
        self.io = IdSpace(foreign=foreign, streams=streams)

    def count_duplicates(self, parsed: Parsed) -> int:
        """How many of `parsed.ids` were seen before; remembers the new ones."""
        space = self.io if parsed.kind == "io" else self.legacy
        return space.count_duplicates(parsed.ids)

    @property
    def forgotten(self) -> int:
        """Foreign ids forgotten to keep the bound, in both spaces."""
        return self.legacy.foreign.forgotten + self.io.foreign.forgotten


@dataclass(slots=True)
class Stats:
    """Counters of everything the receiver saw.

    `requests` counts POSTs on consumer paths (deliveries and validationUrl POSTs) and `probes`
    GETs, `challenges` the GETs that carried a `challenge`. `injected_failures` counts the
    requests the Behaviour made fail: an outage window, hang, reset, failure_rate, or a non-2xx
    fixed status. `refused`, `resets` and `hangs` count requests left unanswered. `statuses`
    counts the statuses sent to deliveries and probes, not the token endpoint's.

    `batches`, `events` and `duplicates` count legacy and I/O deliveries alike; `io_batches` is
    the I/O share of `batches`. `validation_requests` counts accepted validationUrl POSTs,
    `validations_confirmed` the confirmation GETs answered 2xx, `validation_errors` those that
    failed or were not made. `signatures_valid`/`_invalid` count I/O deliveries by their digital
    signatures, `hmac_valid`/`_invalid` by `x-adobe-signature`; `key_fetches` counts public-key
    GETs and `key_fetch_failures` those that gave no key.

    What the bounds left out: `received_dropped` counts the batches dropped from the kept ones
    (only when recording, past `keep_batches`), `foreign_forgotten` the ids outside the
    simulator's own layout forgotten past `foreign_ids` (a repeat of one is not a duplicate).
    """

    requests: int = 0
    batches: int = 0
    events: int = 0
    duplicates: int = 0
    unauthorized: int = 0
    injected_failures: int = 0
    bad_requests: int = 0
    too_large: int = 0
    refused: int = 0
    resets: int = 0
    hangs: int = 0
    probes: int = 0
    token_requests: int = 0
    tokens_issued: int = 0
    token_failures: int = 0
    challenges: int = 0
    validation_requests: int = 0
    validations_confirmed: int = 0
    validation_errors: int = 0
    io_batches: int = 0
    signatures_valid: int = 0
    signatures_invalid: int = 0
    hmac_valid: int = 0
    hmac_invalid: int = 0
    key_fetches: int = 0
    key_fetch_failures: int = 0
    received_dropped: int = 0
    foreign_forgotten: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(dataclasses.asdict(self), option=orjson.OPT_NON_STR_KEYS)

    def summary(self) -> str:
        """One line for the end of a run."""
        fields = dataclasses.asdict(self)
        statuses = fields.pop("statuses")
        parts = [f"{name}={value}" for name, value in fields.items()]
        parts.append("statuses=" + ",".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
        return "stats: " + " ".join(parts)
