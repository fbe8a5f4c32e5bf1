"""What the dev endpoint keeps of what it was sent: accepted batches, seen ids and counters.

A test or a run report asks the consumer afterwards what arrived: the accepted batches with their
arrival time and headers (`ReceivedBatch`, kept only when the receiver records), how many ids
were seen before (`SeenIds`, legacy marketoGUIDs and I/O event ids kept apart) and the counters
of everything it saw (`Stats`, also served as JSON on `GET /_sim/stats`). The receiver, its
identity provider and its I/O checks all count into the same `Stats`.

Pure: no asyncio, no aiohttp.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from simulator.endpoint.bodies import Parsed

__all__ = ["ReceivedBatch", "SeenIds", "Stats", "recorded_headers"]

_RECORDED_HEADERS = ("content-type",)  # plus every x-adobe-* header


@dataclass(slots=True)
class ReceivedBatch:
    """One accepted batch, kept only when the receiver records.

    `kind` is "legacy" or "io". For a legacy batch `message_id` is the wrapper's `messageId` and
    `events` is `activities`; for an I/O delivery `message_id` is the `x-adobe-delivery-id` header
    ("" if absent), `activities` is empty and `events` holds the delivered envelopes (one for a
    single delivery). `headers` keeps the x-adobe-* headers and the content type, names in lower
    case (never Authorization). `signature` is "ok", "BAD" or "-" (not checked).
    """

    at: float
    message_id: str
    activities: list[dict[str, Any]]
    duplicates: int
    kind: str = "legacy"
    events: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    signature: str = "-"

    @classmethod
    def of(
        cls, parsed: Parsed, headers: Mapping[str, str], duplicates: int, verdict: str, at: float
    ) -> ReceivedBatch:
        """The record of an accepted legacy batch or I/O delivery and its request `headers`."""
        kept = recorded_headers(headers)
        if parsed.batch is not None:
            activities = parsed.batch["activities"]
            message_id = parsed.batch["messageId"]
            return cls(at, message_id, activities, duplicates, "legacy", activities, kept)
        message_id = headers.get("x-adobe-delivery-id", "")
        return cls(at, message_id, [], duplicates, "io", parsed.events, kept, verdict)


def recorded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The x-adobe-* headers and the content type, names in lower case."""
    kept = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("x-adobe-") or lower in _RECORDED_HEADERS:
            kept[lower] = value
    return kept


class SeenIds:
    """The ids seen so far, legacy marketoGUIDs and I/O event ids kept apart (two id spaces)."""

    def __init__(self) -> None:
        self._legacy: set[str] = set()
        self._io: set[str] = set()

    def count_duplicates(self, parsed: Parsed) -> int:
        """How many of `parsed.ids` were seen before; remembers the new ones."""
        seen = self._io if parsed.kind == "io" else self._legacy
        duplicates = 0
        for key in parsed.ids:
            if key in seen:
                duplicates += 1
            else:
                seen.add(key)
        return duplicates


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
