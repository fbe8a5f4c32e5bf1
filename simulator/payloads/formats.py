"""The wire formats: the legacy Lead Activity batch wrapper (§1b) and the Adobe I/O Events
envelopes around CloudEvents (§1c, §3, §4.7), with the `time` styles the docs show (§5).

Each format is described once, as the dict it serialises. The fast paths write text around
pre-encoded activities; they get that text from the same functions, by serialising a document
whose variable parts are `slot` placeholders and cutting the JSON there (`cut`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

import orjson

from simulator.errors import ConfigError

# Not documented for the legacy stream (§7); the consumer example parses it with express.json().
CONTENT_TYPE = "application/json"
# What real I/O deliveries of CloudEvents carry (§4.2, AEM capture); the docs show application/json.
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"

# `time` styles: strftime pattern of the whole second, and whether milliseconds follow it.
#   iso       2024-12-17T18:39:33Z      LADS (§1c) and Notification (§3b) examples
#   iso-ms    2024-07-11T13:20:42.755Z  RFC 3339 with milliseconds, what CloudEvents SDKs expect
#   space-ms  2024-07-11 13:20:42.755   the UADS examples (§3a, §5): no "T", no zone (UTC assumed)
TIME_STYLES: dict[str, tuple[str, bool]] = {
    "iso": ("%Y-%m-%dT%H:%M:%SZ", False),
    "iso-ms": ("%Y-%m-%dT%H:%M:%S.{ms:03d}Z", True),
    "space-ms": ("%Y-%m-%d %H:%M:%S.{ms:03d}", True),
}


def format_timestamp(at: float) -> str:
    """Epoch seconds as LADS writes dates: UTC, whole seconds, "Z" (2026-04-20T18:43:56Z)."""
    return datetime.fromtimestamp(math.floor(at), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_formatter(style: str) -> Callable[[float], str]:
    """A function from epoch seconds to text in `style` (a key of TIME_STYLES).

    Whole-second styles drop the fraction, as `format_timestamp` does; millisecond styles round
    to the nearest millisecond. The text of the last second is cached: events come in time order.
    """
    if style not in TIME_STYLES:
        raise ConfigError(f"unknown time format {style!r}; use one of: {', '.join(TIME_STYLES)}")
    pattern, millis = TIME_STYLES[style]
    cached: tuple[int | None, str] = (None, "")

    def format_time(at: float) -> str:
        nonlocal cached
        second, ms = divmod(round(at * 1000), 1000) if millis else (math.floor(at), 0)
        if cached[0] != second:  # one tuple, swapped whole: never a second with another's text
            cached = (second, datetime.fromtimestamp(second, tz=UTC).strftime(pattern))
        return cached[1].format(ms=ms) if millis else cached[1]

    return format_time


_SLOT = re.compile(r'"@@([a-z_]+)@@"')


def slot(name: str) -> str:
    """A placeholder value (lowercase name): `cut` splits a document's JSON where it stands."""
    return f"@@{name}@@"


def cut(document: Any) -> list[str]:
    """The JSON text of `document` split at its `slot` values: [text, name, text, ..., text].

    A slot is a whole JSON string value, so a string that merely contains the marker (escaped
    quotes around it) is never cut.
    """
    return _SLOT.split(orjson.dumps(document).decode())


def _legacy_document(
    munchkin_id: str, message_id: str, created_at: float, activities: Sequence[object]
) -> dict[str, Any]:
    return {
        "sourceApplication": "Marketo",
        "munchkinId": munchkin_id,
        # §1b: messageId is a JSON string even though it looks numeric.
        "messageId": str(message_id),
        "messageCreatedDate": format_timestamp(created_at),
        "activities": activities,
    }


def legacy_batch(
    *, munchkin_id: str, message_id: str, created_at: float, activities: list[dict[str, Any]]
) -> bytes:
    """The JSON body of one legacy push: the §1b wrapper around `activities`, keys in its order."""
    return orjson.dumps(_legacy_document(munchkin_id, message_id, created_at, activities))


def legacy_wrapper(*, munchkin_id: str, message_id: str, created_at: float) -> tuple[str, str]:
    """The JSON text of a legacy body before its first activity and after its last: the
    activities, as JSON texts joined by commas, go between (`events.encode_legacy_batch`)."""
    document = _legacy_document(munchkin_id, message_id, created_at, [slot("activities")])
    before, name, after = cut(document)
    assert name == "activities"
    return before, after


# ---- Adobe I/O Events -------------------------------------------------------------------------


# §4.7: I/O sends the deprecated `event_id`/`recipient_client_id` pair too, with the same values,
# until the end of 2026; `deprecated_fields=False` drops it. Where the pair sits is not documented;
# the FAQ names it after the new pair, so it comes last.


@dataclass(frozen=True, slots=True)
class IoEvent:
    """One event as Adobe I/O delivers it: the envelope, and the two values its headers repeat."""

    event_id: str  # `eventid`, the same on every delivery attempt: the x-adobe-event-id header
    type: str  # the CloudEvent `type`: the x-adobe-event-code header
    envelope: dict[str, Any]  # exactly what is serialised for this event


class EncodedEvents(Sequence[IoEvent]):
    """I/O events held as their envelopes' JSON texts, each parsed when read: a delivery made
    from text reads its first event only, for the headers."""

    def __init__(self, envelopes: Sequence[str]) -> None:
        self._envelopes = envelopes

    def __len__(self) -> int:
        return len(self._envelopes)

    @overload
    def __getitem__(self, index: int) -> IoEvent: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[IoEvent]: ...

    def __getitem__(self, index: int | slice) -> IoEvent | Sequence[IoEvent]:
        if isinstance(index, slice):
            return EncodedEvents(self._envelopes[index])
        envelope: dict[str, Any] = orjson.loads(self._envelopes[index])
        return IoEvent(envelope["eventid"], _cloudevent_of(envelope)["type"], envelope)


def _cloudevent_of(envelope: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvent of an envelope, flat or nested in `event` (with or without `body`)."""
    event = envelope.get("event")
    if not isinstance(event, dict):
        return envelope
    body = event.get("body")
    return body if isinstance(body, dict) else event


def flat_envelope(
    cloudevent: dict[str, Any],
    *,
    event_id: str,
    recipient_client_id: str,
    deprecated_fields: bool = True,
) -> IoEvent:
    """Lead Activity (§1c): the CloudEvent's own attributes at the top, `eventid` first and
    `recipientclientid` last, as in the examples."""
    envelope = {"eventid": event_id, **cloudevent, "recipientclientid": recipient_client_id}
    if deprecated_fields:
        envelope["event_id"], envelope["recipient_client_id"] = event_id, recipient_client_id
    return IoEvent(event_id, cloudevent["type"], envelope)


def nested_envelope(
    cloudevent: dict[str, Any],
    *,
    event_id: str,
    recipient_client_id: str,
    deprecated_fields: bool = True,
    body: bool = True,
) -> IoEvent:
    """User Audit and Notification (§3a): `{eventid, event: {body: CloudEvent}, recipientclientid}`.

    `body=False` gives the UADS V1.0 shape, where `event` is the CloudEvent itself. The single
    UADS example puts `recipientclientid` inside `event`; every batch example and the other
    streams put it at the top, and so do we (§3a, inferred).
    """
    envelope = {
        "eventid": event_id,
        "event": {"body": cloudevent} if body else cloudevent,
        "recipientclientid": recipient_client_id,
    }
    if deprecated_fields:
        envelope["event_id"], envelope["recipient_client_id"] = event_id, recipient_client_id
    return IoEvent(event_id, cloudevent["type"], envelope)


def io_body(events: Sequence[IoEvent], *, batch: bool) -> bytes:
    """The JSON body of one I/O delivery: a single event's envelope, or a batch's array (§4.4)."""
    _check_single(len(events), batch)
    if batch:
        return orjson.dumps([event.envelope for event in events])
    return orjson.dumps(events[0].envelope)


def io_body_text(envelopes: Sequence[str], *, batch: bool) -> bytes:
    """`io_body` of events whose envelopes are already JSON texts."""
    _check_single(len(envelopes), batch)
    if not batch:
        return envelopes[0].encode()
    before, _, after = cut([slot("events")])  # the array's brackets
    return f"{before}{','.join(envelopes)}{after}".encode()


def _check_single(count: int, batch: bool) -> None:
    if not batch and count != 1:
        raise ValueError(f"a single delivery carries exactly one event, got {count}")
