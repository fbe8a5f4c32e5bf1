"""A Marketo Engage Data Streams consumer done wrong, in the ways real teams get it wrong.

It looks like `good_consumer.py` from the outside (same `create_app(...)`, same routes, same
command line) and takes the same bodies, but it has these flaws, each marked `FLAW:` in the code
with what the right behaviour is:
1. it never checks the Authorization header (a missing or wrong token is accepted);
2. it processes synchronously before answering, and slowly (`WORK_SECONDS` per event): a full
   legacy batch of 500 takes 25 s, past the legacy producer's 20 s timeout (20 I/O events take
   1 s, well within I/O's 10 s);
3. it answers 500 to an activity of a type it does not know (custom activities included) and to
   one with a top-level field it does not expect;
4. it does not deduplicate: a redelivered batch is processed again;
5. it answers I/O's challenge with "ok" instead of the challenge value;
6. with `verify_signatures` it only checks that a signature header is there, never the
   signature: a tampered body is accepted;
7. it assumes in-order delivery: a legacy batch whose smallest `activityLogItemId` is lower than
   the highest it has seen in earlier batches is refused with 409.

Otherwise it behaves: garbage is refused with 400, `{"validationUrl": ...}` is answered 200,
`GET /` without a challenge is 200, and `GET /processed` answers `{"processed": [ids]}` (an id
appears as many times as it was processed).

Run: `python examples/bad_consumer.py --port 3000 [--token-env NAME]
[--key-base-url URL --verify-signatures]` (127.0.0.1 only; the token comes from the environment
variable NAME and is never printed... nor used).

Standalone on purpose: aiohttp, cryptography and the standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

__all__ = ["CONSUMER", "BadConsumer", "create_app", "main"]

log = logging.getLogger("bad_consumer")

HOST = "127.0.0.1"
MAX_BODY_BYTES = 4 * 1024 * 1024
WORK_SECONDS = 0.05  # what "processing" one event costs, before the answer (flaw 2)

# FLAW 3: the activity types the team had seen when they wrote the parser. Right: Marketo adds
# types, every subscription may add custom activities (IDs 100000+, I/O type
# "com.adobe.platform.marketo.activity.custom"), so an unknown type is stored or skipped and
# acknowledged with 2xx, never refused. A 500 makes the producer retry the whole batch forever:
# the legacy stream pauses, I/O Events retries for 24 h and then drops the events.
KNOWN_TYPES = frozenset(
    {
        "Visit Webpage",
        "Fill Out Form",
        "Click Link",
        "Open Email",
        "Click Email",
        "New Lead",
        "Change Data Value",
    }
)
KNOWN_IO_TYPES = frozenset(
    "com.adobe.platform.marketo.activity.standard." + name.lower().replace(" ", "")
    for name in KNOWN_TYPES
)
# FLAW 3 again: the top-level fields of the documented examples, as a closed set (a schema with
# "additionalProperties: false"). Right: ignore fields you do not know; documents gain fields.
LEGACY_FIELDS = frozenset(
    {
        "marketoGUID",
        "leadId",
        "activityDate",
        "activityTypeId",
        "activityType",
        "activityLogItemId",
        "primaryAttributeValueId",
        "primaryAttributeValue",
        "campaignId",
        "campaignName",
        "attributes",
    }
)
IO_FIELDS = frozenset(
    {
        "eventid",
        "specversion",
        "type",
        "source",
        "id",
        "time",
        "datacontenttype",
        "data",
        "recipientclientid",
        "event_id",
        "recipient_client_id",
    }
)
IO_MARKERS = ("eventid", "event_id", "specversion")
IO_ID_KEYS = ("eventid", "event_id", "id")
SIGNATURE_HEADERS = ("x-adobe-digital-signature-1", "x-adobe-digital-signature-2")


class BadRequest(ValueError):
    """A body this consumer cannot read at all (answered 400)."""


class Unsupported(Exception):
    """An event this consumer's strict parser refuses (answered 500: flaw 3)."""


def load(body: bytes) -> tuple[str, Any]:
    """("legacy" | "io" | "validation", the parsed body), or BadRequest."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("body is not JSON") from None
    if isinstance(doc, list):
        return "io", doc
    if not isinstance(doc, dict):
        raise BadRequest("body is neither a JSON object nor an array of events")
    if "validationUrl" in doc:
        if not isinstance(doc["validationUrl"], str) or not doc["validationUrl"]:
            raise BadRequest("validationUrl: not a string")
        return "validation", doc
    if "activities" not in doc and any(key in doc for key in IO_MARKERS):
        return "io", [doc]
    return "legacy", doc


def legacy_events(batch: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(marketoGUID, activity) for each activity of a legacy batch, or BadRequest."""
    activities = batch.get("activities")
    if not isinstance(activities, list):
        raise BadRequest("activities: missing or not a list")
    events = []
    for i, activity in enumerate(activities):
        guid = activity.get("marketoGUID") if isinstance(activity, dict) else None
        if not isinstance(guid, str) or not guid:
            raise BadRequest(f"activities[{i}].marketoGUID: missing or not a string")
        events.append((guid, activity))
    return events


def io_events(envelopes: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(event id, envelope) for each I/O envelope, or BadRequest."""
    if not envelopes:
        raise BadRequest("an empty array is no batch of events")
    events = []
    for i, envelope in enumerate(envelopes):
        ids = [envelope.get(key) for key in IO_ID_KEYS] if isinstance(envelope, dict) else []
        found = next((v for v in ids if isinstance(v, str) and v), None)
        if found is None:
            raise BadRequest(f"events[{i}]: not an object with an eventid, event_id or id")
        events.append((found, envelope))
    return events


def check_legacy(activity: dict[str, Any]) -> None:
    """FLAW 3: Unsupported for an unknown type or an unexpected top-level field."""
    extra = sorted(set(activity) - LEGACY_FIELDS)
    if extra:
        raise Unsupported(f"unexpected field {extra[0]!r} in activity {activity['marketoGUID']}")
    if activity.get("activityType") not in KNOWN_TYPES:
        raise Unsupported(f"unknown activity type {activity.get('activityType')!r}")


def check_io(envelope: dict[str, Any]) -> None:
    """FLAW 3: Unsupported for an unknown event `type` or an unexpected top-level field."""
    extra = sorted(set(envelope) - IO_FIELDS)
    if extra:
        raise Unsupported(f"unexpected field {extra[0]!r} in an I/O event")
    if envelope.get("type") not in KNOWN_IO_TYPES:
        raise Unsupported(f"unknown event type {envelope.get('type')!r}")


def log_item_ids(events: list[tuple[str, dict[str, Any]]]) -> list[int]:
    """The integer `activityLogItemId`s of a legacy batch's activities."""
    ids = [activity.get("activityLogItemId") for _, activity in events]
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]


class BadConsumer:
    """The state and the handlers of one bad consumer app (see the module docstring)."""

    def __init__(self, *, token: str | None, verify_signatures: bool) -> None:
        # FLAW 1: the token is kept (the configuration "has auth") but nothing ever compares the
        # Authorization header with it. Right: refuse a legacy push without
        # `Authorization: Bearer <token>` (compared in constant time) with 401.
        self._token = token
        self.verify_signatures = verify_signatures
        # FLAW 4: a plain list of everything processed, and nothing remembers ids to skip.
        # Right: delivery is at-least-once; skip an id (marketoGUID, eventid) already processed,
        # keeping a bounded window of recent ids.
        self.processed: list[str] = []
        # FLAW 7's state: the high-water mark of activityLogItemId over the batches processed,
        # and the mark before the last batch (the last batch's own retry is let through, so
        # flaw 4 shows: Marketo resends a batch whole, with the same messageId).
        self.highest: int | None = None
        self.before_last: int | None = None
        self.last_message_id: object = None

    async def get_root(self, request: web.Request) -> web.Response:
        # FLAW 5: "ok" whatever the challenge, copied from a health check. Right: answer the
        # `challenge` query value itself (text/plain, or JSON {"challenge": ...}); otherwise
        # I/O Events falls back to asynchronous validation and a human has to click a URL.
        return web.Response(text="ok")

    async def post_root(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            kind, doc = load(body)
            if kind == "validation":
                return web.Response(text="ok")
            events = legacy_events(doc) if kind == "legacy" else io_events(doc)
        except BadRequest as exc:
            return web.Response(status=400, text=f"Bad Request: {exc}")
        if kind == "io" and self.verify_signatures and not self._looks_signed(request.headers):
            return web.Response(status=401, text="Unauthorized: not signed")
        check = check_legacy if kind == "legacy" else check_io
        try:
            for _, event in events:
                check(event)
        except Unsupported as exc:
            return web.Response(status=500, text=f"Internal Server Error: {exc}")
        if kind == "legacy" and self._out_of_order(doc.get("messageId"), events):
            return web.Response(status=409, text="Conflict: batch out of order")
        await self._process(events)
        if kind == "legacy":
            self._advance(doc.get("messageId"), events)
        return web.Response(text="ok")

    async def get_processed(self, request: web.Request) -> web.Response:
        return web.json_response({"processed": list(self.processed)})

    def _looks_signed(self, headers: Mapping[str, str]) -> bool:
        # FLAW 6: "verification" is a check that a signature header is present. Right: fetch
        # the public keys from key_base_url + x-adobe-public-keyN-path (cached, at most 24 h),
        # verify RSA-SHA256 over the raw body bytes, accept if either signature verifies and
        # answer 401 otherwise.
        return any(headers.get(name) for name in SIGNATURE_HEADERS)

    async def _process(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        # FLAW 2: the work happens before the answer, one event after the other. Right:
        # acknowledge at once (put the events on a durable queue) and process afterwards; the
        # legacy producer gives up after 20 s, I/O Events after 10 s, and then resends it all.
        for key, _ in events:
            await asyncio.sleep(WORK_SECONDS)
            # FLAW 4: appended whether or not this id was processed before. Right: skip it.
            self.processed.append(key)

    def _out_of_order(self, message_id: object, events: list[tuple[str, dict[str, Any]]]) -> bool:
        # FLAW 7: assumes batches arrive in activityLogItemId order and refuses one that starts
        # below the high-water mark. Right: neither stream promises order (I/O: "Events may
        # arrive out of order"); take batches in any order and sort by activityDate or
        # activityLogItemId afterwards if the business needs it. A 409 is never retried by
        # I/O Events and makes the legacy stream retry, then pause.
        ids = log_item_ids(events)
        mark = self.before_last if message_id == self.last_message_id else self.highest
        return bool(ids) and mark is not None and min(ids) < mark

    def _advance(self, message_id: object, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Move the high-water mark past a processed batch."""
        if message_id != self.last_message_id:
            self.before_last, self.last_message_id = self.highest, message_id
        ids = log_item_ids(events)
        if ids:
            self.highest = max(ids) if self.highest is None else max(self.highest, *ids)


CONSUMER = web.AppKey("consumer", BadConsumer)


def create_app(
    *,
    token: str | None = None,
    key_base_url: str | None = None,
    verify_signatures: bool = False,
) -> web.Application:
    """The bad consumer as an aiohttp app: `GET /`, `POST /` and `GET /processed`, as
    `good_consumer.create_app`. `key_base_url` is required with `verify_signatures` and then
    never used (flaw 6)."""
    if verify_signatures and not key_base_url:
        raise ValueError("verify_signatures needs key_base_url (where the public keys are)")
    consumer = BadConsumer(token=token, verify_signatures=verify_signatures)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[CONSUMER] = consumer
    app.router.add_get("/", consumer.get_root)
    app.router.add_post("/", consumer.post_root)
    app.router.add_get("/processed", consumer.get_processed)
    return app


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, str | None]:
    """The options and the token (read from the environment variable --token-env names)."""
    parser = argparse.ArgumentParser(
        prog="bad_consumer.py", description="A Marketo Data Streams consumer done wrong."
    )
    parser.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (3000)")
    parser.add_argument("--token-env", metavar="NAME", help="environment variable with the token")
    parser.add_argument("--key-base-url", metavar="URL", help="where I/O public keys are served")
    parser.add_argument("--verify-signatures", action="store_true", help="claim to verify")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port}: not a TCP port")
    if args.verify_signatures and not args.key_base_url:
        parser.error("--verify-signatures needs --key-base-url")
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            parser.error(f"environment variable {args.token_env} is not set or empty")
    return args, token


def main(argv: Sequence[str] | None = None) -> int:
    args, token = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(
        token=token, key_base_url=args.key_base_url, verify_signatures=args.verify_signatures
    )
    web.run_app(app, host=HOST, port=args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
