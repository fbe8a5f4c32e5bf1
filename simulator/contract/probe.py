"""What the contract's checks use to talk to a consumer under test (`simulator.contract.checks`).

- `Stock`: fresh events of every subscribed kind (activity type, audit component and action,
  notification kind). Every kind's stream shares one stream identity, so seq n has the same
  marketoGUID, activityLogItemId and eventid whatever its kind: one counter hands out seqs and ids
  grow through the run, as Marketo's do, unless a check reserves older ones on purpose.
- `Probe`: deliveries built the way the real producer builds them (the legacy batch wrapper or the
  Adobe I/O body and headers, signed with the key host's keys), sent through `HttpTransport` with
  the profile's exact timeout, and the consumer's own account of what it processed
  (`simulator.contract.processed`).
- `KeyHost`: the contract's stand-in for static.adobeioevents.com on 127.0.0.1, so a consumer
  that verifies signatures can be pointed at it (`--key-base-url`).

Time is the running loop's (`loop.time()`, `asyncio.sleep`); a looptime loop plays it virtually.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from simulator.contract.processed import ProbeError, ProcessedSource
from simulator.core.outcome import Outcome
from simulator.core.registration import IoPolicy
from simulator.errors import ConfigError
from simulator.payloads.catalog import (
    ACTIVITY_TYPES,
    ActivityType,
    AuditComponent,
    NotificationKind,
    select_audit_components,
    select_notification_kinds,
)
from simulator.payloads.events import ActivityStream
from simulator.payloads.formats import CONTENT_TYPE, IoEvent, io_body, legacy_batch
from simulator.payloads.iostreams import CloudActivityStream, NotificationStream, UserAuditStream
from simulator.payloads.signing import KeyRing
from simulator.payloads.unknowns import cloudevent
from simulator.payloads.world import World
from simulator.producer import PROVIDERS
from simulator.shell.clock import LoopClock
from simulator.shell.engine import USER_AGENT
from simulator.shell.iolane import IoSettings, io_headers
from simulator.shell.publisher import Publisher
from simulator.shell.transport import HttpTransport

LEGACY = "marketo-legacy"
ADOBE_IO = "adobe-io"
# The producers' limits: a legacy push gets 20 s and carries up to 500 activities; an I/O
# delivery gets 10 s and carries up to 20 events.
TIMEOUTS = {LEGACY: 20.0, ADOBE_IO: IoSettings(provider="").timeout}
FULL_BATCH = {LEGACY: 500, ADOBE_IO: IoPolicy().max_events}
MUNCHKIN_ID = "123-ABC-456"
RECIPIENT = "marketo-sim-contract"
_STREAM = "contract"  # the one stream identity every kind shares
_IDS = uuid.UUID("6a1f4f0e-7c1b-4b8e-9d4e-2f3c5b7a9e10")


class Token(enum.Enum):
    """`Probe.delivery(token=Token.VALID)`: the target's valid token, whatever it is."""

    VALID = "the valid token"


@dataclass(frozen=True, slots=True)
class Item:
    """One event the contract sends: what it is, the ids a consumer may list it by, its payload
    (a legacy activity object, or an `IoEvent`)."""

    label: str
    ids: tuple[str, ...]
    payload: Any
    id_names: tuple[str, ...] = ()  # what each of `ids` is, e.g. "eventid" (for the eye)

    def named_ids(self) -> str:
        """`eventid 1f.., id 46.., activityLogItemId 10..`: each id after its name."""
        names = self.id_names or ("",) * len(self.ids)
        return ", ".join(f"{n} {i}".strip() for n, i in zip(names, self.ids, strict=True))


Source = Callable[[int, float], Item]  # (seq, wall time) -> the event of one kind


class Stock:
    """Fresh events of the subscribed kinds, each at the next seq (`take`), or at seqs reserved
    earlier (`make`)."""

    def __init__(self, kinds: Sequence[tuple[str, Source]], wall: Callable[[], float]) -> None:
        if not kinds:
            raise ValueError("a stock needs at least one kind of event")
        self.labels = tuple(label for label, _ in kinds)
        self._sources = tuple(source for _, source in kinds)
        self._wall = wall
        self._next_seq = 0
        self._turn = 0

    def take(self, count: int) -> list[Item]:
        """`count` new events, the kinds taken in turn."""
        kinds = [(self._turn + i) % len(self._sources) for i in range(count)]
        self._turn = (self._turn + count) % len(self._sources)
        return [self.make(seq, kind) for seq, kind in zip(self.reserve(count), kinds, strict=True)]

    def reserve(self, count: int) -> range:
        seqs = range(self._next_seq, self._next_seq + count)
        self._next_seq += count
        return seqs

    def make(self, seq: int, kind: int) -> Item:
        return self._sources[kind](seq, self._wall())


class _IoStream(Protocol):
    def io_events(self, items: Iterable[tuple[int, float]]) -> list[IoEvent]: ...


def build_stock(
    world: World,
    *,
    profile: str,
    stream: str,
    types: Sequence[ActivityType],
    seed: int,
    wall: Callable[[], float],
    ref: str | None = None,
) -> Stock:
    """The stock of one subscription: every subscribed activity type, every audit component and
    action (or those of the component `ref` names), or every notification kind (or the one `ref`
    names)."""
    if stream == "lead-activity":
        kinds = [(f"{t.id} {t.name}", _activity_source(world, t, profile, seed)) for t in types]
    else:
        nested = _nested_streams(world, stream, seed, ref)
        kinds = [(label, _io_source(source, label)) for label, source in nested]
    return Stock(kinds, wall)


def _nested_streams(
    world: World, stream: str, seed: int, ref: str | None
) -> list[tuple[str, _IoStream]]:
    if stream == "user-audit":
        return [
            (f"{c.name} {a}", _audit_stream(world, replace(c, actions=(a,)), seed))
            for c in select_audit_components(ref)
            for a in c.actions
        ]
    kinds = select_notification_kinds(ref)
    return [(k.name, _notification_stream(world, k, seed)) for k in kinds]


def _audit_stream(world: World, component: AuditComponent, seed: int) -> UserAuditStream:
    return UserAuditStream(
        world,
        (component,),
        seed=seed,
        stream=_STREAM,
        munchkin_id=MUNCHKIN_ID,
        recipient_client_id=RECIPIENT,
    )


def _notification_stream(world: World, kind: NotificationKind, seed: int) -> NotificationStream:
    return NotificationStream(
        world,
        (kind,),
        seed=seed,
        stream=_STREAM,
        munchkin_id=MUNCHKIN_ID,
        recipient_client_id=RECIPIENT,
    )


def _activity_source(world: World, kind: ActivityType, profile: str, seed: int) -> Source:
    activities = ActivityStream(world, (kind,), seed=seed, stream=_STREAM)
    label = f"{kind.id} {kind.name}"
    if profile == ADOBE_IO:
        cloud = CloudActivityStream(
            activities, munchkin_id=MUNCHKIN_ID, recipient_client_id=RECIPIENT
        )
        return _io_source(cloud, label)

    def make(seq: int, at: float) -> Item:
        activity = activities.activity(seq, at)
        ids = (activity["marketoGUID"], str(activity["activityLogItemId"]))
        return Item(label, ids, activity, ("marketoGUID", "activityLogItemId"))

    return make


def _io_source(stream: _IoStream, label: str) -> Source:
    def make(seq: int, at: float) -> Item:
        event = stream.io_events([(seq, at)])[0]
        named = io_ids(event)
        return Item(label, tuple(named.values()), event, tuple(named))

    return make


def io_ids(event: IoEvent) -> dict[str, str]:
    """Every id an I/O event carries, by name, the envelope's `eventid` first: the deprecated
    `event_id` when it differs, the CloudEvent `id` (Lead Activity's marketoGUID) and the
    activity's `activityLogItemId` when there are such. A consumer may list the event by any."""
    body = cloudevent(event)
    data = body.get("data")
    found = {
        "eventid": event.event_id,
        "event_id": event.envelope.get("event_id"),
        "id": body.get("id"),
        "activityLogItemId": data.get("activityLogItemId") if isinstance(data, dict) else None,
    }
    named: dict[str, str] = {}
    for name, value in found.items():
        if value is not None and value != "" and str(value) not in named.values():
            named[name] = str(value)
    return named


# Which ids a consumer may list an event by, as the evidence names them: (profile, stream).
ID_NAMES = {
    (LEGACY, "lead-activity"): "marketoGUID or activityLogItemId",
    (ADOBE_IO, "lead-activity"): "eventid, the CloudEvent id (the marketoGUID) or "
    "data.activityLogItemId",
    (ADOBE_IO, "user-audit"): "eventid",
    (ADOBE_IO, "notification"): "eventid",
}


def with_payload(item: Item, change: Callable[[Any], None]) -> Item:
    """A copy of `item` whose payload (a deep copy) `change` altered in place."""
    if isinstance(item.payload, IoEvent):
        event = item.payload
        payload: Any = IoEvent(event.event_id, event.type, copy.deepcopy(event.envelope))
    else:
        payload = copy.deepcopy(item.payload)
    change(payload)
    return replace(item, payload=payload)


@dataclass(frozen=True, slots=True)
class ProbeDelivery:
    """One request the contract makes: the body, its headers, and the events it carries."""

    body: bytes
    headers: dict[str, str]
    items: tuple[Item, ...]


# ---- the key host -------------------------------------------------------------------------------


class KeyHost:
    """The public keys the contract signs I/O deliveries with, served on 127.0.0.1 at
    `/prod/keys/pub-key-<id>.pem` (a consumer fetches `<key base URL>` + the header's path)."""

    def __init__(self, ring: KeyRing | None = None) -> None:
        self.ring = ring if ring is not None else KeyRing.generate()
        self._publisher = Publisher(keys=self.ring.public_keys)
        self.url: str | None = None

    async def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1:`port` (0: any free port); a port taken is a ConfigError that
        names the flag choosing it."""
        try:
            self.url = await self._publisher.start("127.0.0.1", port)
        except OSError as exc:
            message = f"--key-port {port}: cannot listen on 127.0.0.1: {exc.strerror}"
            raise ConfigError(message) from None
        return self.url

    async def stop(self) -> None:
        await self._publisher.stop()


# ---- the probe ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RatePlan:
    """The sustained-rate check: `subscriptions` pushing `events` every `period` seconds for
    `sustain` seconds, then a ramp doubling them up to `ramp_max` (`ramp_ticks` pushes a step)."""

    sustain: float = 30.0
    subscriptions: int = 1
    ramp_max: int = 4
    period: float = 2.0
    events: int = 500
    ramp_ticks: int = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """The consumer under test and what the contract knows about it."""

    endpoint: str
    profile: str = LEGACY
    stream: str = "lead-activity"
    activity_types: tuple[ActivityType, ...] = ACTIVITY_TYPES
    token: str | None = None
    next_token: str | None = None
    verifies_signatures: bool = False
    seed: int = 0  # of the events' ids and contents, and of the delivery ids
    ref: str | None = None  # user-audit, notification: the one component or kind (None: all)


class Probe:
    """Builds and sends deliveries to one consumer, and reads what it processed."""

    def __init__(
        self,
        target: Target,
        transport: HttpTransport,
        *,
        keys: KeyRing | None = None,
        processed: ProcessedSource | None = None,
        rate: RatePlan | None = None,
    ) -> None:
        self.target = target
        self.rate = rate if rate is not None else RatePlan()
        self.transport = transport
        self.keys = keys
        self.processed_source = processed
        self.timeout = TIMEOUTS[target.profile]
        self.full_batch = FULL_BATCH[target.profile]
        self.io = IoSettings(provider=PROVIDERS[target.stream])
        self._clock = LoopClock()
        self.stock = build_stock(
            World.build(target.seed),
            profile=target.profile,
            stream=target.stream,
            types=target.activity_types,
            seed=target.seed,
            wall=self._clock.wall,
            ref=target.ref,
        )
        self._ids = 0
        self._message_ids = 1_000_000
        self.refused_tokenless = 0  # 401s to legacy deliveries while no --token-env was given

    @property
    def is_io(self) -> bool:
        return self.target.profile == ADOBE_IO

    def now(self) -> float:
        return self._clock.now()

    def new_id(self, purpose: str) -> str:
        self._ids += 1
        return str(uuid.uuid5(_IDS, f"{self.target.seed}/{purpose}/{self._ids}"))

    # -- deliveries -----------------------------------------------------------------------------

    def delivery(
        self,
        items: Sequence[Item],
        *,
        token: str | Token | None = Token.VALID,
        signed: bool = True,
    ) -> ProbeDelivery:
        """A delivery of `items` as the producer sends it. I/O: a JSON array, or one envelope
        for one item, signed unless `signed=False`. Legacy: the batch wrapper with
        `Authorization: Bearer <token>`, none when `token` is None (I/O Events sends no token)."""
        items = tuple(items)
        if self.is_io:
            events = [item.payload for item in items]
            body = io_body(events, batch=len(items) > 1)
            headers = self._io_headers(events, body, signed)
        else:
            self._message_ids += 1
            body = legacy_batch(
                munchkin_id=MUNCHKIN_ID,
                # The seed leads, so no two runs share a messageId either.
                message_id=str(self.target.seed * 10_000_000 + self._message_ids),
                created_at=self._clock.wall(),
                activities=[item.payload for item in items],
            )
            headers = {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT}
            chosen = self.target.token if token is Token.VALID else token
            if chosen is not None:
                headers["Authorization"] = f"Bearer {chosen}"
        return ProbeDelivery(body, headers, items)

    def redelivery(self, delivery: ProbeDelivery) -> ProbeDelivery:
        """The same request again; an I/O redelivery gets a new delivery id, as Adobe's does."""
        if not self.is_io:
            return delivery
        return replace(
            delivery, headers=delivery.headers | {"x-adobe-delivery-id": self.new_id("d")}
        )

    def _io_headers(self, events: Sequence[IoEvent], body: bytes, signed: bool) -> dict[str, str]:
        headers = io_headers(self.io, events, self.new_id("delivery"))
        if signed and self.keys is not None:
            headers |= self.keys.headers(body)
        return headers

    async def send(self, delivery: ProbeDelivery) -> Outcome:
        outcome = await self.transport.post(
            self.target.endpoint, delivery.body, delivery.headers, timeout=self.timeout
        )
        if outcome.status == 401 and not self.is_io and self.target.token is None:
            self.refused_tokenless += 1
        return outcome

    async def exchange(self, delivery: ProbeDelivery) -> tuple[Outcome, bytes]:
        """POST `delivery`: the outcome and the first bytes of the answer's body."""
        return await self.transport.post_answer(
            self.target.endpoint, delivery.body, delivery.headers, timeout=self.timeout
        )

    async def get(self, url: str) -> tuple[Outcome, bytes]:
        return await self.transport.get(url, {}, timeout=self.timeout)

    # -- what the consumer processed ------------------------------------------------------------

    async def processed(self) -> list[str]:
        if self.processed_source is None:
            raise ProbeError("no processed-ids source")
        try:
            return await self.processed_source.read()
        except ProbeError as exc:
            raise ProbeError(f"cannot read the processed ids: {exc}") from None

    async def times_processed(
        self, before: list[str], items: Sequence[Item], *, wait: float = 10.0, grace: float = 1.0
    ) -> Processing:
        """How often each item was processed since `before` was read: polled until every item
        shows up or `wait` seconds pass, then read once more after `grace` seconds, so a late
        second processing is counted too."""
        deadline = self.now() + wait
        found = await self._counts(before, items)
        while min(found.counts) == 0 and self.now() < deadline:
            await asyncio.sleep(min(0.2, max(0.0, deadline - self.now())))
            found = await self._counts(before, items)
        await asyncio.sleep(grace)
        return await self._counts(before, items)

    async def _counts(self, before: list[str], items: Sequence[Item]) -> Processing:
        delta = Counter(await self.processed()) - Counter(before)
        # An event counts by whichever of its ids the consumer lists; listed under two of them
        # for one processing, it counts once.
        counts = tuple(max(delta[i] for i in item.ids) for item in items)
        ours = {i for item in items for i in item.ids}
        others = [i for i in delta if i not in ours]
        return Processing(counts, tuple(others[:SEEN_SHOWN]), len(others))


SEEN_SHOWN = 3  # ids the consumer listed that are none of the events', shown as evidence


@dataclass(frozen=True, slots=True)
class Processing:
    """What the consumer listed since a check began: how often each of its events was processed,
    and a few of the other ids it listed (`others` of them in all)."""

    counts: tuple[int, ...]
    seen: tuple[str, ...] = ()
    others: int = 0
