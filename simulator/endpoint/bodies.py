"""The bodies a consumer is POSTed, told apart by shape, checked and parsed.

The dev endpoint takes Marketo's legacy batches and Adobe I/O Events deliveries on the same
paths, so it tells them apart by the body, never by the content type (`application/cloudevents+json`
is read like `application/json`, reference §4):
- an object with `activities` is a legacy batch (the wrapper strings and each activity's
  `marketoGUID` are required);
- an array, or an object with `eventid`/`event_id`/`specversion`, is an I/O delivery (a batch or
  one event);
- an object with `validationUrl` is I/O's asynchronous challenge;
- any other object is checked (and refused) as a legacy batch.

Duplicates are counted by id: I/O events by `eventid`, else `event_id`, else the CloudEvents `id`
(flat Observability events carry only `id`); legacy activities by `marketoGUID`.

The endpoint reads only what it counts by: the ids, the legacy `messageId`, the validation URL.
A body of the usual shapes (a legacy batch, an array of envelopes that all carry `eventid`) is
read by msgspec against those few fields, which checks the whole text is JSON without making a
Python object of anything else (a few times faster than decoding it all); any other body, and
any body that read fails, is decoded whole by orjson and checked field by field, which names the
problem. The whole document is decoded only when someone asks for it (`load`): the kept batches
and the `--bodies` lines of a body that spans several lines.

Pure: no asyncio, no aiohttp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import orjson

__all__ = ["Parsed", "body_line", "event_id", "load", "parse_batch", "parse_delivery"]

_WRAPPER_STRINGS = ("sourceApplication", "munchkinId", "messageId", "messageCreatedDate")
_IO_MARKERS = ("eventid", "event_id", "specversion")


def _load_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None


def parse_batch(body: bytes) -> dict[str, Any]:
    """The legacy batch wrapper, parsed; raises ValueError naming the first problem."""
    batch = _load_json(body)
    if not isinstance(batch, dict):
        raise ValueError("not a JSON object")
    return _check_legacy(batch)


def _check_legacy(batch: dict[str, Any]) -> dict[str, Any]:
    for key in _WRAPPER_STRINGS:
        if not isinstance(batch.get(key), str):
            raise ValueError(f"{key}: missing or not a string")
    activities = batch.get("activities")
    if not isinstance(activities, list):
        raise ValueError("activities: missing or not a list")
    for i, activity in enumerate(activities):
        if not isinstance(activity, dict) or not isinstance(activity.get("marketoGUID"), str):
            raise ValueError(f"activities[{i}].marketoGUID: missing or not a string")
    return batch


def event_id(event: dict[str, Any]) -> str | None:
    """The id an I/O event is de-duplicated by: `eventid`, else the deprecated `event_id`, else
    the CloudEvents `id`; None when none is a non-empty string."""
    for key in ("eventid", "event_id", "id"):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    """A POST body told apart by shape: kind "legacy", "io" or "validation" (`validation_url`).
    `ids` are what duplicates are counted by, in order: the marketoGUIDs or the event ids, one
    per event. `message_id` is a legacy batch's `messageId`."""

    kind: str
    ids: list[str]
    message_id: str = ""
    validation_url: str = ""


# The fast read: only the fields the endpoint counts by, as msgspec Structs; every other field is
# checked to be JSON and skipped. A body these refuse is read again the slow way (_parse_slowly).
# gc=False: they hold no cycles, so the garbage collector need not track (and count) each one.
_NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class _Activity(msgspec.Struct, gc=False):
    marketoGUID: str  # the wire names, camelCase


class _LegacyBatch(msgspec.Struct, gc=False):
    sourceApplication: str
    munchkinId: str
    messageId: str
    messageCreatedDate: str
    activities: list[_Activity]
    # A body with a validationUrl is a validation POST whatever else it holds: left to the slow
    # read, like every shape this fast one does not settle.
    validationUrl: Any = msgspec.UNSET


class _Envelope(msgspec.Struct, gc=False):
    eventid: _NonEmpty


_LEGACY = msgspec.json.Decoder(_LegacyBatch)
_ENVELOPES = msgspec.json.Decoder(list[_Envelope])


def _check_io(events: list[Any]) -> Parsed:
    if not events:
        raise ValueError("not a JSON object, and an empty array is no batch of events")
    ids = []
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise ValueError(f"events[{i}]: not a JSON object")
        found = event_id(event)
        if found is None:
            raise ValueError(f"events[{i}]: no eventid, event_id or id string")
        ids.append(found)
    return Parsed(kind="io", ids=ids)


def parse_delivery(body: bytes) -> Parsed:
    """Any POST body the consumer accepts, told apart by shape (see the module docstring);
    raises ValueError naming the first problem."""
    first = body.lstrip()[:1]
    try:
        if first == b"{":
            batch = _LEGACY.decode(body)
            if batch.validationUrl is msgspec.UNSET:
                guids = [activity.marketoGUID for activity in batch.activities]
                return Parsed(kind="legacy", ids=guids, message_id=batch.messageId)
        elif first == b"[":
            envelopes = _ENVELOPES.decode(body)
            if envelopes:
                return Parsed(kind="io", ids=[envelope.eventid for envelope in envelopes])
    except msgspec.MsgspecError:
        pass  # not the usual shape, or not JSON: the slow read says which
    return _parse_slowly(body)


def _parse_slowly(body: bytes) -> Parsed:
    """`parse_delivery` by decoding the whole body and checking it field by field."""
    doc = _load_json(body)
    if isinstance(doc, list):
        return _check_io(doc)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object (nor an array of events)")
    if "validationUrl" in doc:
        url = doc["validationUrl"]
        if not isinstance(url, str) or not url:
            raise ValueError("validationUrl: not a string")
        return Parsed(kind="validation", ids=[], validation_url=url)
    if "activities" not in doc and any(key in doc for key in _IO_MARKERS):
        return _check_io([doc])
    batch = _check_legacy(doc)
    guids = [activity["marketoGUID"] for activity in batch["activities"]]
    return Parsed(kind="legacy", ids=guids, message_id=batch["messageId"])


def load(body: bytes, kind: str) -> list[dict[str, Any]]:
    """The events of a body `parse_delivery` accepted as `kind`, decoded whole: a legacy
    batch's activities, or an I/O delivery's envelopes (one for a single delivery)."""
    doc = orjson.loads(body)
    if kind == "legacy":
        activities: list[dict[str, Any]] = doc["activities"]
        return activities
    return doc if isinstance(doc, list) else [doc]


def body_line(body: bytes) -> str:
    """The body as one JSON line: verbatim when it is one line already, else re-serialized."""
    if b"\n" in body or b"\r" in body:
        return orjson.dumps(orjson.loads(body)).decode()
    return body.decode()
