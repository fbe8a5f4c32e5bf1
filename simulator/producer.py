"""The producer: turns a run file into a running engine, with the embedded dev endpoint when a
subscription asks for it, and hands back the ledgers when the run ends or is interrupted.

What only some runs need is imported where it is used: the embedded endpoint (aiohttp's server),
and Adobe I/O's lanes, journal server and signing keys (cryptography). A run of legacy
subscriptions to a real endpoint loads neither, and its first push comes that much sooner
(`make bench`: first push after launch).
"""

from __future__ import annotations

import asyncio
import functools
import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from simulator.core.delivery import (
    Backlog,
    Ledger,
    Phase,
    Policy,
    Subscription,
    seeded_offset,
    sequential_ids,
)
from simulator.core.journal import Journal
from simulator.core.records import Machine, Observer
from simulator.core.registration import IoPolicy, Registration
from simulator.core.traffic import Burst, Traffic
from simulator.errors import ConfigError
from simulator.payloads import catalog
from simulator.payloads.events import ActivityStream
from simulator.payloads.world import World
from simulator.runfile.scenario import AuthSpec, ReceiverSpec, RunSpec, SubscriptionSpec
from simulator.runfile.steps import StepSpec
from simulator.shell.auth import Auth, NoAuth, OAuthClientCredentials, StaticToken
from simulator.shell.clock import VIRTUAL_EPOCH, LoopClock
from simulator.shell.engine import Engine, Lane, LegacyLane
from simulator.shell.transport import HttpTransport, reserve_descriptors

if TYPE_CHECKING:
    from simulator.endpoint.receiver import Receiver
    from simulator.payloads.signing import KeyRing
    from simulator.shell.iolane import IoLane, IoSource
    from simulator.shell.publisher import Publisher

EMBEDDED = "embedded"
ADOBE_IO = "adobe-io"
# x-adobe-provider per stream: the Lead Activity name is the console's (§1c); the others follow it.
PROVIDERS = {
    "lead-activity": "Marketo Lead Activity Data Stream",
    "user-audit": "Marketo User Audit Data Stream",
    "notification": "Marketo Notification Data Stream",
}
T = TypeVar("T")


@dataclass(slots=True)
class RunResult:
    ledgers: dict[str, Ledger]
    machines: dict[str, Machine]
    ended_at: float
    interrupted: bool = False
    receiver: Receiver | None = None

    @property
    def balanced(self) -> bool:
        return all(ledger.balanced for ledger in self.ledgers.values())


@dataclass(slots=True)
class Producer:
    """Everything a run needs, built before the first push so bad input sends nothing."""

    run: RunSpec
    virtual: bool = False
    observers: list[Observer] = field(default_factory=list)
    record: bool = False  # the embedded receiver keeps the last batches (`sim.received`)
    receiver_log: Callable[[str], None] | None = None
    # The simulated wall time of t=0 when the run file sets no `start`; None: VIRTUAL_EPOCH on
    # the virtual clock, else the real time at the start.
    start: datetime | None = None
    engine: Engine | None = None
    receiver: Receiver | None = None
    publisher: Publisher | None = None
    keys: KeyRing | None = None
    # Work the run's end waits for before its servers stop (`on_end`).
    _ending: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        external = [s.name for s in self.run.subscriptions if s.endpoint != EMBEDDED]
        if self.virtual and external:
            raise ConfigError(
                f"subscription {external[0]!r} pushes to a real endpoint, which cannot follow "
                "virtual time: use --speed N for it, or endpoint: embedded"
            )

    async def play(
        self, duration: float | None = None, *, on_start: Callable[[Producer], None] | None = None
    ) -> RunResult:
        start = self.run.start or self.start or (VIRTUAL_EPOCH if self.virtual else None)
        world = World.build(self.run.seed, locale=self.run.locale)  # first: the slow part
        warm_streams(self.run, world)
        keys = self.keys = self._keys()
        transport = HttpTransport(max_response_bytes=self._max_response_bytes())
        interrupted = False
        result: RunResult | None = None  # taken at the run's end, when it reached it
        gc.freeze()  # see below, at unfreeze
        try:
            if keys is not None:
                from simulator.shell.publisher import Publisher

                token = self.run.receiver.token
                self.publisher = Publisher(
                    keys=keys.public_keys,
                    org_id=self.run.adobe_io.ims_org_id,
                    control_token=token.reveal() if token is not None else None,
                )
                await self.publisher.start()
            reserve_descriptors(self._descriptors())
            base_url = await self._start_receiver()
            # Simulated time starts with the dev endpoint, so its outage windows line up.
            clock = LoopClock(start=start)
            build = LaneBuilder(self.run, world, transport, base_url, keys, self.publisher)
            at = self.run.positions()  # in the file, also when this run is a shard of it
            lanes = [build.lane(at[spec.name], spec) for spec in self.run.subscriptions]
            self.engine = Engine(
                lanes,
                munchkin_id=self.run.munchkin_id,
                clock=clock,
                transport=transport,
                observers=self.observers,
            )
            if on_start is not None:
                on_start(self)
            await self.engine.run(until=duration)
            # The books are closed at the end, before the work it waits for (`on_end`).
            result = self._result(self.engine.clock.now(), interrupted=False)
            for finish in self._ending:
                await finish()
        except asyncio.CancelledError:
            # Ctrl-C: finish with the summary; the ledger still has to balance.
            interrupted = True
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        finally:
            await transport.close()
            for server in (self.receiver, self.publisher):
                if server is not None:
                    await server.stop()
            # What existed before the run (the world and its encoders, some 140,000 objects)
            # lives as long as the run: frozen, the garbage collector leaves it alone. Without
            # that, each full collection stops the loop for about 100 ms, and on the real clock
            # a thousand subscriptions' pushes wait for it.
            gc.unfreeze()
        if result is None:
            return self._result(self.engine.clock.now() if self.engine else 0.0, interrupted)
        result.interrupted = interrupted  # a signal while the end waited
        return result

    def on_end(self, finish: Callable[[], Awaitable[None]]) -> None:
        """Await `finish` when the run reaches its end, before its servers stop (a journal read
        still going needs the publisher); not when the run is interrupted. The run's end, and
        its ledgers, stay those of the moment it was reached."""
        self._ending.append(finish)

    def _result(self, ended_at: float, interrupted: bool) -> RunResult:
        if self.engine is None:  # interrupted while starting up: nothing was produced
            return RunResult({}, {}, ended_at, interrupted, self.receiver)
        machines = self.engine.machines()
        return RunResult(self.engine.ledgers(), machines, ended_at, interrupted, self.receiver)

    def _descriptors(self) -> int:
        """Open files the run may hold: each lane's connections (twice when the embedded
        endpoint, in this process, holds the other end), and room for the rest."""
        count = 256  # listening sockets, the loop's own, a log file, token requests...
        for spec in self.run.subscriptions:
            connections = spec.io.max_in_flight + 1 if spec.profile == ADOBE_IO else 1
            count += connections * (2 if spec.endpoint == EMBEDDED else 1)
        return count

    def _max_response_bytes(self) -> int:
        # The file's, not the shard's: a shard reads answers exactly as the whole run does.
        return min(s.delivery.max_response_bytes for s in self.run.whole)

    def _keys(self) -> KeyRing | None:
        """The two signing keys, when any subscription goes through Adobe I/O."""
        if not any(s.profile == ADOBE_IO for s in self.run.subscriptions):
            return None
        from simulator.payloads.signing import KeyRing, SigningKey

        files = self.run.adobe_io.key_files
        if not files:
            return KeyRing.generate()
        base = Path(self.run.file).parent
        first, second = (SigningKey.load(base / name) for name in files)
        return KeyRing(first, second)

    async def _start_receiver(self) -> str | None:
        needs = any(
            s.endpoint == EMBEDDED or s.auth.token_url == EMBEDDED for s in self.run.subscriptions
        )
        if not needs:
            return None
        key_base = self.publisher.url.rstrip("/") if self.publisher is not None else None
        self.receiver = embedded_receiver(
            self.run.receiver,
            seed=self.run.seed,
            record=self.record,
            log=self.receiver_log,
            key_base_url=key_base,
        )
        return await self.receiver.start()


@dataclass(frozen=True, slots=True)
class LaneBuilder:
    """Turns each subscription of a run file into the lane that drives it."""

    run: RunSpec
    world: World
    transport: HttpTransport
    base_url: str | None
    keys: KeyRing | None
    publisher: Publisher | None

    def lane(self, index: int, spec: SubscriptionSpec) -> Lane:
        """The lane of `spec`, the `index`-th subscription of the file: its messageIds (and
        Adobe I/O batch ids) are numbered after that index, never after a count in this
        process, so any shard of the file sends the ids the whole run sends."""
        traffic = scheduled_traffic(self.run, spec)
        url = self.base_url if spec.endpoint == EMBEDDED else spec.endpoint
        assert url is not None
        if spec.profile == ADOBE_IO:
            return self._io_lane(index, spec, traffic, url)
        machine = Subscription(
            spec.name,
            policy(spec, seed=self.run.seed),
            traffic,
            new_message_id=sequential_ids(prefix=str(index + 1), start=10_000_001),
        )
        activities = functools.partial(self._activities, spec)  # built on the first push
        auth = make_auth(spec.auth, self.transport, self.base_url)
        # A pool of its own, of one connection: one push in flight (transport's docstring).
        pool = self.transport.pool(
            limit=1, ca_file=spec.tls.ca_file, retry_stale=spec.retry_stale_connection
        )
        return LegacyLane(machine, activities, url, spec.delivery.timeout, auth, pool)

    def _activities(self, spec: SubscriptionSpec) -> ActivityStream:
        return ActivityStream(self.world, spec.activity_types, seed=self.run.seed, stream=spec.name)

    def _io_lane(self, index: int, spec: SubscriptionSpec, traffic: Traffic, url: str) -> IoLane:
        from simulator.shell.iolane import IoLane, IoSettings

        assert self.keys is not None
        assert self.publisher is not None
        io = spec.io
        source = self._io_source(spec)
        journal = Journal(registration_id=spec.name, retention=io.retention)
        machine = Registration(
            spec.name,
            IoPolicy(
                batch=io.delivery == "batch",
                max_events=fitting_events(source, io.max_events, io.max_bytes),
                max_in_flight=io.max_in_flight,
                flush_interval=io.flush_interval,
                duplicate_rate=io.duplicate_rate,
            ),
            traffic,
            new_batch_id=sequential_ids(prefix=f"{index + 1}-"),
            on_produced=journal.record,
        )
        settings = IoSettings(
            provider=PROVIDERS[spec.stream],
            timeout=io.timeout,
            content_type=io.content_type,
            hmac_secret=io.hmac_secret.reveal() if io.hmac_secret is not None else None,
            reorder=io.reorder,
        )
        # Its deliveries in flight, and the one request the lane's own loop may make meanwhile
        # (a challenge after a re-enable, a forced duplicate): never a wait for a connection.
        pool = self.transport.pool(
            limit=io.max_in_flight + 1,
            ca_file=spec.tls.ca_file,
            retry_stale=spec.retry_stale_connection,
        )
        lane = IoLane(
            machine, source, url, settings, self.keys, journal, self.publisher.validation_url, pool
        )
        self.publisher.add(lane)
        return lane

    def _io_source(self, spec: SubscriptionSpec) -> IoSource:
        from simulator.payloads.iostreams import (
            CloudActivityStream,
            NotificationStream,
            UserAuditStream,
        )

        io, munchkin_id = spec.io, self.run.munchkin_id
        if spec.stream == "user-audit":
            components = _resolve(
                spec.components, catalog.AUDIT_COMPONENTS, catalog.find_audit_component
            )
            return UserAuditStream(
                self.world,
                components,
                seed=self.run.seed,
                stream=spec.name,
                munchkin_id=munchkin_id,
                recipient_client_id=io.recipient_client_id,
                deprecated_fields=io.deprecated_fields,
                schema=io.audit_schema,
                ims_org_id=self.run.adobe_io.ims_org_id,
            )
        if spec.stream == "notification":
            kinds = _resolve(
                spec.notifications, catalog.NOTIFICATION_KINDS, catalog.find_notification_kind
            )
            return NotificationStream(
                self.world,
                kinds,
                seed=self.run.seed,
                stream=spec.name,
                munchkin_id=munchkin_id,
                recipient_client_id=io.recipient_client_id,
                deprecated_fields=io.deprecated_fields,
                ims_org_id=self.run.adobe_io.ims_org_id,
                shape=io.notification_shape,
            )
        return CloudActivityStream(
            self._activities(spec),
            munchkin_id=munchkin_id,
            recipient_client_id=io.recipient_client_id,
            deprecated_fields=io.deprecated_fields,
        )


def warm_streams(run: RunSpec, world: World) -> None:
    """Build one stream per distinct set of activity types of the legacy subscriptions, before
    simulated time starts. Lanes build their own streams on their first push; what every stream
    of a world shares (its encoders) is made by the first one built, and made in a lane's first
    push it would hold up every lane due in the first moments of the run."""
    seen: set[tuple[int, ...]] = set()
    for spec in run.subscriptions:
        types = tuple(t.id for t in spec.activity_types)
        if spec.profile != ADOBE_IO and types not in seen:
            seen.add(types)
            ActivityStream(world, spec.activity_types, seed=run.seed, stream=spec.name)


def _resolve(
    names: str | tuple[str, ...], every: tuple[T, ...], find: Callable[[str], T]
) -> tuple[T, ...]:
    return every if names == "all" else tuple(find(name) for name in names)


@dataclass(frozen=True, slots=True)
class TrafficStep:
    """What one timeline step adds to one subscription's traffic."""

    subscription: str
    burst: Burst | None = None
    rate_change: tuple[float, float] | None = None  # (from when, events per second)


def traffic_step(at: float, step: StepSpec) -> TrafficStep | None:
    """What a burst or rate step at `at` adds to its subscription's traffic; None for any other
    step. The one place where these two steps are played: before the run, because traffic is
    known in advance and the pure machines plan around it. The director has nothing left to do
    for them at their time."""
    if step.burst is not None:
        burst = Burst(count=step.burst.count, at=at)
        return TrafficStep(step.burst.subscription, burst=burst)
    if step.rate is not None:
        return TrafficStep(step.rate.subscription, rate_change=(at, step.rate.rate))
    return None


def scheduled_traffic(run: RunSpec, spec: SubscriptionSpec) -> Traffic:
    """The subscription's rate and bursts, with the timeline's traffic steps folded in."""
    bursts = [Burst(count=b.count, at=b.at, every=b.every, start=b.start) for b in spec.bursts]
    changes = []
    for at, step in run.step_times():
        planned = traffic_step(at, step)
        if planned is None or planned.subscription != spec.name:
            continue
        if planned.burst is not None:
            bursts.append(planned.burst)
        if planned.rate_change is not None:
            changes.append(planned.rate_change)
    return Traffic(spec.rate, tuple(bursts), tuple(changes))


def fitting_events(source: IoSource, max_events: int, max_bytes: int) -> int:
    """Events per request under both caps: the 2 MB cap is turned into a count from the size of a
    sample event with room to spare, so the pure machine can batch by count alone."""
    from simulator.payloads.formats import io_body

    sample = io_body(source.io_events([(0, VIRTUAL_EPOCH.timestamp())]), batch=True)
    return max(1, min(max_events, max_bytes // (2 * len(sample))))


def policy(spec: SubscriptionSpec, *, seed: int) -> Policy:
    """The delivery machine's policy: the run file's numbers, and the phase of the slots drawn
    from the run's seed and the subscription's name."""
    d = spec.delivery
    seeded = Phase(d.phase) is Phase.SEEDED
    return Policy(
        batch_size=spec.batch_size,
        push_interval=spec.push_interval,
        retries=d.retries,
        retry_interval=d.retry_interval,
        probe_interval=d.probe_interval,
        retention=d.retention,
        backlog=Backlog(d.backlog),
        slot_offset=seeded_offset(seed, spec.name, spec.push_interval) if seeded else 0.0,
        max_drain_rate=d.max_drain_rate,
    )


def make_auth(spec: AuthSpec, transport: HttpTransport, base_url: str | None) -> Auth:
    if spec.type == "token":
        assert spec.token is not None
        return StaticToken(spec.token.reveal(), spec.header, spec.scheme)
    if spec.type == "oauth":
        assert spec.client_id is not None
        assert spec.client_secret is not None
        token_url, name = spec.token_url, None
        if token_url == EMBEDDED:
            token_url, name = f"{base_url}oauth/token", "the embedded identity provider"
        assert token_url is not None
        return OAuthClientCredentials(
            transport,
            token_url=token_url,
            client_id=spec.client_id.reveal(),
            client_secret=spec.client_secret.reveal(),
            client_auth=spec.client_auth,
            scope=spec.scope,
            refresh_margin=spec.refresh_margin,
            name=name,
        )
    return NoAuth()


def embedded_receiver(
    spec: ReceiverSpec,
    *,
    seed: int,
    record: bool = False,
    log: Callable[[str], None] | None = None,
    key_base_url: str | None = None,
) -> Receiver:
    from simulator.endpoint.receiver import OAuthServer, Receiver

    oauth = None
    if spec.oauth is not None:
        oauth = OAuthServer(
            client_id=spec.oauth.client_id.reveal(),
            client_secret=spec.oauth.client_secret.reveal(),
            token_ttl=spec.oauth.token_ttl,
        )
    token = spec.token.reveal() if spec.token is not None else None
    return Receiver(
        token=token,
        oauth=oauth,
        behaviour=spec.behaviour(),
        seed=seed,
        record=record,
        log=log,
        challenge_style=spec.challenge,
        confirm_validation=spec.confirm_validation,
        verify_signatures=spec.verify_signatures,
        reject_bad_signatures=spec.reject_bad_signatures,
        key_base_url=key_base_url,
        idle_timeout=spec.idle_timeout,
    )
