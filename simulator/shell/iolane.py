"""The Adobe I/O Events delivery shell: executes what a `registration.Registration` decides.

It answers for everything the pure machine cannot do: the challenge handshake (GET
`?challenge=`, then the POST `{"validationUrl": ...}` fallback), many deliveries in flight at
once, the I/O headers and both RSA signatures over the raw body, and the journal the producer
serves. Ids that must be random in the real service (challenges, delivery ids) are derived from
the registration name and a counter, so a virtual run is reproducible.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import orjson
from yarl import URL

from simulator.core.delivery import Batch
from simulator.core.journal import Journal, JournalEntry
from simulator.core.outcome import Outcome
from simulator.core.records import AttemptRecord
from simulator.core.registration import (
    IoDelivery,
    Registration,
    RegistrationState,
    RegistrationTransition,
)
from simulator.payloads import anomalies
from simulator.payloads.formats import CLOUDEVENTS_CONTENT_TYPE, IoEvent, io_body
from simulator.payloads.signing import HMAC_HEADER, KeyRing, hmac_signature
from simulator.shell.clock import Clock, StoppedClock
from simulator.shell.engine import Engine, Wake
from simulator.shell.transport import Transport

_IDS = uuid.UUID("0d7f4c8e-3a1b-4e52-9a6c-5b2e8f1d7c30")


class IoSource(Protocol):
    def io_events(self, items: Iterable[tuple[int, float]]) -> list[IoEvent]: ...


@runtime_checkable
class EncodingSource(Protocol):
    """A source that writes a delivery's body without building its events as dicts: the events
    it returns are parsed only when read (the headers read the first)."""

    def encode(
        self, items: Iterable[tuple[int, float]], *, batch: bool
    ) -> tuple[Sequence[IoEvent], bytes]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class IoSettings:
    provider: str  # x-adobe-provider
    timeout: float = 10.0  # the whole attempt, connection set-up included
    content_type: str = CLOUDEVENTS_CONTENT_TYPE
    user_agent: str = "Adobe/1.0"
    hmac_secret: str | None = field(default=None, repr=False)  # the legacy x-adobe-signature
    reorder: bool = False  # anomaly: each batch's events newest first


@dataclass(slots=True)
class IoLane:
    """One Adobe I/O webhook registration: its machine, events, journal and keys."""

    machine: Registration
    source: IoSource
    url: str
    settings: IoSettings
    keys: KeyRing
    journal_store: Journal
    validation_url: Callable[[str, str], str] | None = None  # from the publisher
    transport: Transport | None = None  # its own connection pool; None: the engine's transport
    _clock: Clock | None = None
    _wake: Wake = field(default_factory=Wake)
    _deliveries: set[asyncio.Task[None]] = field(default_factory=set)  # in flight
    _pending_challenge: str | None = None
    _needs_handshake: bool = True
    _ids: int = 0
    _crashed: list[BaseException] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)  # forced on the next delivery
    _signed: dict[tuple[bytes, str, str], dict[str, str]] = field(default_factory=dict)
    _last_acknowledged: tuple[Sequence[IoEvent], bytes] | None = None

    @property
    def name(self) -> str:
        return self.machine.name

    # -- the engine runs this ------------------------------------------------------------------

    async def drive(self, engine: Engine, until: float | None) -> None:
        self._clock = engine.clock
        try:
            while until is None or engine.clock.now() < until:
                if self._needs_handshake:
                    self._needs_handshake = False
                    await self._handshake(engine)
                if "duplicate" in self.anomalies and self._last_acknowledged is not None:
                    await self._duplicate(engine)
                self._start_deliveries(engine)
                self._report_changes(engine)
                await self._wait(engine, until)
                if self._crashed:
                    raise self._crashed[0]
        finally:
            for task in self._deliveries:
                task.cancel()
            await asyncio.gather(*self._deliveries, return_exceptions=True)
            # The run has ended: a journal read still going (the director waits for it) sees
            # the journal as it was at the end, and produces nothing past it.
            self._clock = StoppedClock(engine.clock, engine.clock.now())

    def settled(self, now: float) -> bool:
        return not self._deliveries and self._wake.settled(now)

    def _start_deliveries(self, engine: Engine) -> None:
        for delivery in self.machine.poll(engine.clock.now()):
            task = asyncio.create_task(self._deliver(engine, delivery))
            self._deliveries.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self._crashed.append(error)
        self._wake.poke()

    async def _wait(self, engine: Engine, until: float | None) -> None:
        """Until the machine's next wake-up, the end, a finished delivery or a poke from outside."""
        wake = self.machine.wakeup()
        now = engine.clock.now()
        deadline = until if wake is None else (wake if until is None else min(wake, until))
        if deadline is not None and deadline <= now:
            if not self._saturated():
                return
            deadline = None  # due, but no room in flight: until a delivery ends (a poke)
        await engine.sleep(self._wake, deadline)

    def _saturated(self) -> bool:
        return self.machine.in_flight >= self.machine.policy.max_in_flight

    # -- one delivery ----------------------------------------------------------------------------

    async def _deliver(self, engine: Engine, delivery: IoDelivery) -> None:
        events, body = self._materialise(engine, delivery)
        outcome = await self._post(engine, events, body, delivery.retry)
        if outcome.ok:
            self._last_acknowledged = (events, body)
        done = engine.clock.now()  # one instant for the machine, the record and its changes
        changes = self.machine.record(delivery, outcome, done)
        engine.emit_attempt(self._record(engine, delivery, events, outcome, done))
        self._report_changes(engine, changes)

    def _materialise(self, engine: Engine, delivery: IoDelivery) -> tuple[Sequence[IoEvent], bytes]:
        wall, batch = engine.clock.wall, self.machine.policy.batch
        items = [(seq, wall(t)) for seq, t in delivery.batch.items()]
        if self.settings.reorder:
            items.reverse()  # at-least-once, unordered: a consumer must not rely on order
        forced = [k for k in self.anomalies if k != "duplicate"]
        if not forced and isinstance(self.source, EncodingSource):
            return self.source.encode(items, batch=batch)  # the fast path: text, no dicts
        events = self.source.io_events(items)
        for kind in forced:  # rare: anomalies rewrite the events as dicts
            self.anomalies.remove(kind)
            events = anomalies.io(kind, events)
        return events, io_body(events, batch=batch)

    async def _post(
        self, engine: Engine, events: Sequence[IoEvent], body: bytes, retry: int
    ) -> Outcome:
        headers = self._headers(events, body, retry)
        timeout = self.settings.timeout
        return await self._transport(engine).post(self.url, body, headers, timeout=timeout)

    def _transport(self, engine: Engine) -> Transport:
        return engine.transport if self.transport is None else self.transport

    async def _duplicate(self, engine: Engine) -> None:
        """Deliver the last acknowledged request again (a new delivery id, the same events)."""
        self.anomalies.remove("duplicate")
        assert self._last_acknowledged is not None
        events, body = self._last_acknowledged
        now = engine.clock.now()
        outcome = await self._post(engine, events, body, 0)
        delivery = IoDelivery(Batch("duplicate", (), now), 0, now, None, duplicate=True)
        record = self._record(engine, delivery, events, outcome, engine.clock.now())
        engine.emit_attempt(dataclasses.replace(record, kind="duplicate"))

    def poke(self) -> None:
        self._wake.poke()

    def force(self, anomaly: str) -> None:
        self.anomalies.append(anomaly)
        self.poke()

    def _headers(self, events: Sequence[IoEvent], body: bytes, retry: int) -> dict[str, str]:
        headers = io_headers(self.settings, events, self._new_id("delivery"))
        if retry:
            headers["x-adobe-retry-count"] = str(retry)
        headers |= self._signatures(body)
        if self.settings.hmac_secret is not None:
            headers[HMAC_HEADER] = hmac_signature(body, self.settings.hmac_secret)
        return headers

    def _signatures(self, body: bytes) -> dict[str, str]:
        """The signature headers of `body`. A retry resends the same bytes, and RSA signing costs
        about a millisecond a key, so recent bodies keep theirs (until the keys rotate)."""
        key = (body, self.keys.first.key_id, self.keys.second.key_id)
        headers = self._signed.get(key)
        if headers is None:
            headers = self._signed[key] = self.keys.headers(body)
            if len(self._signed) > 4096:
                self._signed.pop(next(iter(self._signed)))
        return headers

    def _record(
        self,
        engine: Engine,
        delivery: IoDelivery,
        events: Sequence[IoEvent],
        outcome: Outcome,
        done: float,
    ) -> AttemptRecord:
        return AttemptRecord(
            at=delivery.at,
            wall=engine.clock.wall(delivery.at),
            subscription=self.name,
            message_id=events[0].event_id,
            attempt=delivery.attempt,
            kind=delivery.kind,
            events=len(events),
            outcome=outcome.kind,
            status=outcome.status,
            latency=outcome.latency,
            state=self.machine.state,
            detail=outcome.detail,
            oldest_event=delivery.batch.oldest_time,
            seqs=delivery.batch.seq_range,
            done_at=done,
        )

    def _report_changes(
        self, engine: Engine, changes: Sequence[RegistrationTransition] = ()
    ) -> None:
        for change in [*changes, *self.machine.take_changes()]:
            engine.emit_change(self.name, change.old, change.new, change.at, change.reason)

    # -- the challenge ---------------------------------------------------------------------------

    async def _handshake(self, engine: Engine) -> None:
        clock, transport = engine.clock, self._transport(engine)
        challenge = self._new_id("challenge")
        url = str(URL(self.url).update_query(challenge=challenge))
        outcome, body = await transport.get(url, {}, timeout=self.settings.timeout)
        if outcome.ok and echoes(body, challenge):
            self.machine.verified(clock.now())
            return
        refused = why_refused(outcome, body)
        if self.validation_url is None:
            self.machine.challenge_failed(clock.now(), refused)
            return
        pending = self._new_id("validation")
        payload = orjson.dumps({"validationUrl": self.validation_url(self.name, pending)})
        headers = {"Content-Type": "application/json", "User-Agent": self.settings.user_agent}
        answer = await transport.post(self.url, payload, headers, timeout=self.settings.timeout)
        if answer.ok:
            self._pending_challenge = pending
            self.machine.awaiting_validation(clock.now())
        else:
            self.machine.challenge_failed(
                clock.now(), f"{refused}; the validationUrl POST got {describe_outcome(answer)}"
            )

    def _new_id(self, purpose: str) -> str:
        self._ids += 1
        return str(uuid.uuid5(_IDS, f"{self.name}/{purpose}/{self._ids}"))

    # -- what the publisher calls (`publisher.PublishedRegistration`) ----------------------------

    def now(self) -> float:
        assert self._clock is not None, "the lane has not started"
        return self._clock.now()

    @property
    def journal(self) -> Journal:
        """The journal, brought up to now: it records even while the lane sleeps."""
        if self._clock is not None:
            self.machine.advance(self.now())
            self._wake.poke()  # any state change is reported by the lane loop
        return self.journal_store

    def materialise(self, entries: Sequence[JournalEntry]) -> list[dict[str, Any]]:
        assert self._clock is not None
        wall = self._clock.wall
        return [e.envelope for e in self.source.io_events((x.seq, wall(x.at)) for x in entries)]

    def enable(self, now: float | None = None) -> str:
        """Re-enable the registration at `now` (a run file's step: its own time), else now."""
        self.machine.enable(self.now() if now is None else now)
        self._needs_handshake = True
        self._wake.poke()
        return str(self.machine.state)

    def validate(self, challenge: str) -> bool:
        if self._pending_challenge is None or challenge != self._pending_challenge:
            return False
        self._pending_challenge = None
        if self.machine.state is RegistrationState.PENDING:
            self.machine.verified(self.now())
            self._wake.poke()
        return True


def io_headers(settings: IoSettings, events: Sequence[IoEvent], delivery_id: str) -> dict[str, str]:
    """The headers of an I/O delivery of `events`, before its signatures (the producer's and the
    contract's alike)."""
    first = events[0]  # which event names a batch is undocumented: the first one does
    return {
        "Content-Type": settings.content_type,
        "User-Agent": settings.user_agent,
        "Accept-Encoding": "deflate,compress,identity",
        "x-adobe-delivery-id": delivery_id,
        "x-adobe-event-code": first.type,
        "x-adobe-event-id": first.event_id,
        "x-adobe-provider": settings.provider,
    }


def echoes(body: bytes, challenge: str) -> bool:
    """The body is the challenge, as text (quoted or not) or as `{"challenge": ...}`."""
    text = body.decode("utf-8", "replace").strip()
    if text in (challenge, f'"{challenge}"'):
        return True
    with contextlib.suppress(orjson.JSONDecodeError):
        parsed = orjson.loads(body)
        return isinstance(parsed, dict) and parsed.get("challenge") == challenge
    return False


def describe_outcome(outcome: Outcome) -> str:
    if outcome.status is not None:
        return f"HTTP {outcome.status}"
    return f"{outcome.kind} ({outcome.detail})" if outcome.detail else str(outcome.kind)


def why_refused(outcome: Outcome, body: bytes) -> str:
    if not outcome.ok:
        return f"the challenge GET got {describe_outcome(outcome)}"
    shown = body[:60].decode("utf-8", "replace")
    return f"the challenge GET was answered {shown!r} instead of the challenge"
