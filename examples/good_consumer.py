"""A Marketo Engage Data Streams consumer done right: what a customer's webhook should do.

It takes both delivery paths on one URL, told apart by the shape of the body (never by the
content type: `application/json` and `application/cloudevents+json` are read alike):
- legacy Lead Activity pushes, `{"sourceApplication", "munchkinId", ..., "activities": [...]}`,
  authenticated by `Authorization: Bearer <token>` when a token is configured;
- Adobe I/O Events deliveries: one envelope object or a JSON array of them (a batch), checked
  against I/O's two RSA-SHA256 digital signatures when `verify_signatures` is on;
- I/O's asynchronous validation, `{"validationUrl": ...}`, answered 200 (and logged for a human);
- I/O's challenge, `GET /?challenge=X`, answered `X` as text/plain.

What makes it "right":
- It acknowledges fast: a delivery is checked, put on an `asyncio.Queue` and answered 200 at
  once; a background worker processes it afterwards. Marketo gives a legacy push 20 s and I/O
  Events 10 s, connection set-up included, so nothing slow may happen before the answer.
- It deduplicates: delivery is at-least-once, so every event is processed at most once by its id
  (legacy `marketoGUID`; I/O `eventid`, else the deprecated `event_id`, else the CloudEvents `id`),
  remembered in a bounded window of the most recent ids.
- It does not care about order: events are processed as they arrive, never refused for it.
- It is strict about what it needs (an id per event; 400 otherwise) and tolerant of everything
  else: unknown activity types, custom activities, unknown fields are processed, not refused.
- Signatures are checked over the raw body bytes, with the public keys fetched from the key host
  and cached (at most 24 h, as Adobe asks); either signature verifying is enough.
- Only a full queue is refused, with a 503 that both producers retry.

Production notes: an in-memory queue loses acknowledged events if the process dies, so a real
consumer writes them to something durable (a database table, SQS, Kafka) before answering 200;
its dedupe window belongs there too. Bind behind HTTPS; I/O Events only calls public https URLs.

Run: `python examples/good_consumer.py --port 3000 [--token-env NAME]
[--key-base-url URL --verify-signatures]`. It binds 127.0.0.1; the token is read from the
environment variable NAME and never printed. `GET /processed` answers `{"processed": [ids]}`,
the ids in processing order, once the queue has drained (waiting at most `DRAIN_SECONDS`).

Standalone on purpose: aiohttp, cryptography and the standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hmac
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["CONSUMER", "GoodConsumer", "RecentIds", "create_app", "main"]

log = logging.getLogger("good_consumer")

HOST = "127.0.0.1"
MAX_BODY_BYTES = 4 * 1024 * 1024  # an I/O batch is at most 2 MB; a legacy batch of 500 is less
QUEUE_LIMIT = 10_000  # events acknowledged but not processed yet; past it, 503 (retried later)
RECENT_IDS = 100_000  # the dedupe window: this many most recently processed ids are remembered
DRAIN_SECONDS = 5.0  # how long GET /processed (and shutdown) waits for the queue to empty
KEY_FETCH_SECONDS = 5.0  # one public-key GET; I/O Events gives the whole delivery 10 s
KEY_CACHE_SECONDS = 24 * 3600.0  # Adobe: cache a public key "not more than 24h"
MAX_KEY_BYTES = 16 * 1024  # an RSA-4096 public key PEM is ~800 bytes
MAX_CACHED_KEYS = 16

# (signature header, public-key path header), in the order I/O Events numbers them.
SIGNATURES = (
    ("x-adobe-digital-signature-1", "x-adobe-public-key1-path"),
    ("x-adobe-digital-signature-2", "x-adobe-public-key2-path"),
)
# Only paths of the documented shape are ever appended to the key host's URL, so a forged header
# cannot steer the key fetch anywhere else.
KEY_PATH = re.compile(r"/prod/keys/pub-key-[A-Za-z0-9-]{1,64}\.pem")
IO_MARKERS = ("eventid", "event_id", "specversion")
IO_ID_KEYS = ("eventid", "event_id", "id")


# --- the bodies --------------------------------------------------------------------------------


class BadRequest(ValueError):
    """A body this consumer cannot take; the message says why (answered 400)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A POST body told apart by shape: kind "legacy", "io" or "validation"; `events` pairs each
    event's dedupe id with the event (a legacy activity or an I/O envelope)."""

    kind: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    validation_url: str = ""


def load_json(body: bytes) -> Any:
    """The parsed body, or BadRequest (not JSON, not UTF-8, or nested too deep to parse)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("body is not JSON") from None


def kind_of(doc: Any) -> str:
    """ "legacy", "io" or "validation" for a parsed body, or BadRequest for any other shape."""
    if isinstance(doc, list):
        return "io"
    if not isinstance(doc, dict):
        raise BadRequest("body is neither a JSON object nor an array of events")
    if "validationUrl" in doc:
        return "validation"
    if "activities" not in doc and any(key in doc for key in IO_MARKERS):
        return "io"
    return "legacy"  # an object of no known shape is refused by legacy_events


def legacy_events(batch: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(marketoGUID, activity) for each activity of a legacy batch. Only what processing needs is
    required; unknown types, custom activities and extra fields are fine."""
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


def io_event_id(event: dict[str, Any]) -> str | None:
    """What an I/O event is deduplicated by: `eventid`, else the deprecated `event_id`, else the
    CloudEvents `id` (flat events that carry nothing else); None if none is a string."""
    for key in IO_ID_KEYS:
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def io_events(doc: dict[str, Any] | list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(event id, envelope) for one I/O envelope or each of a batch; flat (Lead Activity) and
    nested `event.body` (User Audit, Notification) envelopes alike."""
    envelopes = doc if isinstance(doc, list) else [doc]
    if not envelopes:
        raise BadRequest("an empty array is no batch of events")
    events = []
    for i, envelope in enumerate(envelopes):
        found = io_event_id(envelope) if isinstance(envelope, dict) else None
        if found is None:
            raise BadRequest(f"events[{i}]: not an object with an eventid, event_id or id")
        events.append((found, envelope))
    return events


def parse_delivery(body: bytes) -> Delivery:
    """Any POST body this consumer takes, or BadRequest naming the first problem."""
    doc = load_json(body)
    kind = kind_of(doc)
    if kind == "validation":
        url = doc["validationUrl"]
        if not isinstance(url, str) or not url:
            raise BadRequest("validationUrl: not a string")
        return Delivery("validation", validation_url=url)
    if kind == "io":
        return Delivery("io", io_events(doc))
    return Delivery("legacy", legacy_events(doc))


# --- signatures --------------------------------------------------------------------------------


def rsa_sha256_ok(public_key: rsa.RSAPublicKey, signature_b64: str, body: bytes) -> bool:
    """Whether `signature_b64` is a base64 RSA PKCS#1 v1.5 SHA-256 signature of the raw body."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The response body, or ValueError once it grows past `limit` bytes."""
    data = bytearray()
    async for chunk in response.content.iter_chunked(4096):
        data += chunk
        if len(data) > limit:
            raise ValueError(f"body over {limit} bytes")
    return bytes(data)


class SignatureChecker:
    """I/O Events' digital signatures: keys fetched from `key_base_url` + the path a header
    names, cached per path for `KEY_CACHE_SECONDS` of loop time; valid if either signature
    verifies over the raw body. Needs `session` set (by the app's startup) before `check`."""

    def __init__(self, key_base_url: str) -> None:
        self.key_base_url = key_base_url.rstrip("/")
        self.session: aiohttp.ClientSession | None = None
        self._keys: dict[str, tuple[rsa.RSAPublicKey, float]] = {}  # path -> (key, fetched at)
        self._lock = asyncio.Lock()  # one fetch at a time: a burst of deliveries fetches once

    async def check(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether either `x-adobe-digital-signature-N` verifies with the key at
        `x-adobe-publicN-path` (the second key is fetched only if the first does not verify)."""
        for signature_header, path_header in SIGNATURES:
            signature, path = headers.get(signature_header), headers.get(path_header)
            if not signature or not path:
                continue
            key = await self._public_key(path)
            if key is not None and rsa_sha256_ok(key, signature, body):
                return True
        return False

    async def _public_key(self, path: str) -> rsa.RSAPublicKey | None:
        """The key at `path`, from the cache or the key host; None (not cached) on any failure."""
        if KEY_PATH.fullmatch(path) is None:
            return None
        now = asyncio.get_running_loop().time()
        async with self._lock:
            cached = self._keys.get(path)
            if cached is not None and now - cached[1] < KEY_CACHE_SECONDS:
                return cached[0]
            key = await self._fetch(path)
            if key is not None:
                if len(self._keys) >= MAX_CACHED_KEYS:
                    del self._keys[next(iter(self._keys))]  # forget the oldest
                self._keys[path] = (key, now)
            return key

    async def _fetch(self, path: str) -> rsa.RSAPublicKey | None:
        assert self.session is not None, "the app's startup sets the session"
        timeout = aiohttp.ClientTimeout(total=KEY_FETCH_SECONDS)
        try:
            async with self.session.get(
                self.key_base_url + path, allow_redirects=False, timeout=timeout
            ) as response:
                if response.status != 200:
                    log.warning("public key %s: HTTP %s", path, response.status)
                    return None
                pem = await read_bounded(response, MAX_KEY_BYTES)
            key = serialization.load_pem_public_key(pem)
        except (aiohttp.ClientError, TimeoutError, ValueError, UnsupportedAlgorithm) as exc:
            log.warning("public key %s: %s", path, type(exc).__name__)
            return None
        return key if isinstance(key, rsa.RSAPublicKey) else None


# --- the consumer ------------------------------------------------------------------------------


class RecentIds:
    """The ids processed most recently, in processing order; remembers at most `capacity` (the
    oldest is forgotten first). It is both the dedupe memory and the record `/processed` reads,
    so the record never lists an id twice."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._ids: dict[str, None] = {}  # a dict keeps insertion order: an ordered set

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, key: str) -> bool:
        """Remember `key`; False (and nothing changes) if it is remembered already."""
        if key in self._ids:
            return False
        if len(self._ids) >= self.capacity:
            del self._ids[next(iter(self._ids))]
        self._ids[key] = None
        return True


class GoodConsumer:
    """The state and the handlers of one consumer app (see the module docstring)."""

    def __init__(self, *, tokens: tuple[str, ...], checker: SignatureChecker | None) -> None:
        self._tokens = tokens  # never logged, printed or echoed
        self.checker = checker
        self.recent = RecentIds(RECENT_IDS)
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(QUEUE_LIMIT)

    # --- routes --------------------------------------------------------------------------------

    async def get_root(self, request: web.Request) -> web.Response:
        """I/O Events' challenge: echo `challenge` as text/plain; without one, just 200."""
        challenge = request.query.get("challenge")
        return web.Response(text="ok" if challenge is None else challenge)

    async def post_root(self, request: web.Request) -> web.Response:
        """A delivery: checked, queued and acknowledged; processed afterwards by the worker."""
        body = await request.read()
        try:
            delivery = parse_delivery(body)
        except BadRequest as exc:
            return web.Response(status=400, text=f"Bad Request: {exc}")
        if delivery.kind == "validation":
            # I/O Events waits for a GET on this URL within 5 minutes: a human opens it.
            log.info("I/O Events asks to validate this webhook: open %r", delivery.validation_url)
            return web.Response(text="ok")
        refusal = await self._refusal(request, delivery, body)
        if refusal is not None:
            return refusal
        return self._enqueue(delivery.events)

    async def get_processed(self, request: web.Request) -> web.Response:
        """`{"processed": [ids]}` in processing order, once the queue has drained (bounded)."""
        await self.drain()
        return web.json_response({"processed": list(self.recent)})

    # --- the parts -----------------------------------------------------------------------------

    async def _refusal(
        self, request: web.Request, delivery: Delivery, body: bytes
    ) -> web.Response | None:
        """401 for a delivery that fails its authentication, else None."""
        if delivery.kind == "io":
            if self.checker is not None and not await self.checker.check(request.headers, body):
                return web.Response(status=401, text="Unauthorized: no valid signature")
        elif not self._authorized(request.headers.get("Authorization", "")):
            return web.Response(
                status=401, text="Unauthorized", headers={"WWW-Authenticate": "Bearer"}
            )
        return None

    def _authorized(self, header: str) -> bool:
        """Whether a legacy push's Authorization header is `Bearer <token>` (always, when no
        token is configured); compared in constant time."""
        if not self._tokens:
            return True
        scheme, _, value = header.strip().partition(" ")
        given = value.strip().encode()
        # Several tokens are valid at once while one replaces another: a token change must not
        # reject the producer's pushes. Every candidate is compared, in constant time.
        matches = [hmac.compare_digest(given, token.encode()) for token in self._tokens]
        return scheme.lower() == "bearer" and any(matches)

    def _enqueue(self, events: list[tuple[str, dict[str, Any]]]) -> web.Response:
        """Queue every event and answer 200, or queue none and answer 503 when they do not fit
        (both producers retry a 503; the events are not lost)."""
        if self.queue.qsize() + len(events) > QUEUE_LIMIT:
            log.warning("queue full: %d events refused with 503", len(events))
            return web.Response(status=503, text="Busy, retry later", headers={"Retry-After": "5"})
        for event in events:
            self.queue.put_nowait(event)
        return web.Response(text="ok")

    async def work(self) -> None:
        """The background worker: takes events off the queue and processes each id once."""
        while True:
            key, event = await self.queue.get()
            try:
                if self.recent.add(key):
                    self.process(key, event)
                else:
                    log.debug("duplicate %s skipped", key)
            except Exception:
                log.exception("processing %s failed", key)
            finally:
                self.queue.task_done()

    def process(self, key: str, event: dict[str, Any]) -> None:
        """What the business does with an event (store it, route it...). Here: a log line."""
        log.debug("processed %s", key)

    async def drain(self) -> None:
        """Wait until every queued event is processed, for at most `DRAIN_SECONDS`."""
        try:
            async with asyncio.timeout(DRAIN_SECONDS):
                await self.queue.join()
        except TimeoutError:
            log.warning("%d events still queued after %.0f s", self.queue.qsize(), DRAIN_SECONDS)


CONSUMER = web.AppKey("consumer", GoodConsumer)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Start the worker (and the key fetcher's HTTP client); on shutdown, drain, then stop."""
    consumer = app[CONSUMER]
    checker = consumer.checker
    if checker is not None:
        checker.session = aiohttp.ClientSession()
    worker = asyncio.create_task(consumer.work())
    try:
        yield
    finally:
        await consumer.drain()
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        if checker is not None and checker.session is not None:
            await checker.session.close()


def create_app(
    *,
    token: str | Sequence[str] | None = None,
    key_base_url: str | None = None,
    verify_signatures: bool = False,
) -> web.Application:
    """The consumer as an aiohttp app: `GET /` (challenge), `POST /` (deliveries) and
    `GET /processed`. `token`: legacy pushes must carry `Authorization: Bearer <token>` (a list:
    any of them, as during a token change).
    `verify_signatures`: I/O deliveries must carry a valid digital signature, the public keys
    coming from `key_base_url` + the path in the headers."""
    tokens = (token,) if isinstance(token, str) else tuple(token or ())
    if token is not None and (not tokens or not all(tokens)):
        raise ValueError("token must not be empty")
    if verify_signatures and not key_base_url:
        raise ValueError("verify_signatures needs key_base_url (where the public keys are)")
    checker = SignatureChecker(key_base_url) if verify_signatures and key_base_url else None
    consumer = GoodConsumer(tokens=tokens, checker=checker)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[CONSUMER] = consumer
    app.cleanup_ctx.append(_lifecycle)
    app.router.add_get("/", consumer.get_root)
    app.router.add_post("/", consumer.post_root)
    app.router.add_get("/processed", consumer.get_processed)
    return app


# --- command line ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, list[str] | None]:
    """The options and the tokens (read from the environment variables --token-env names)."""
    parser = argparse.ArgumentParser(
        prog="good_consumer.py", description="A Marketo Data Streams consumer done right."
    )
    parser.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (3000)")
    parser.add_argument(
        "--token-env",
        metavar="NAME",
        action="append",
        help="environment variable holding an API token legacy pushes may carry (repeatable)",
    )
    parser.add_argument(
        "--key-base-url",
        metavar="URL",
        help="where I/O Events public keys are served (https://static.adobeioevents.com)",
    )
    parser.add_argument(
        "--verify-signatures", action="store_true", help="refuse I/O deliveries not signed"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port}: not a TCP port")
    if args.verify_signatures and not args.key_base_url:
        parser.error("--verify-signatures needs --key-base-url")
    tokens = None
    for name in args.token_env or ():
        token = os.environ.get(name)
        if not token:
            parser.error(f"environment variable {name} is not set or empty")
        tokens = [*(tokens or []), token]
    return args, tokens


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
