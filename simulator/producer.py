"""The producer: turns a run file into a running engine, with the embedded dev endpoint when a
subscription asks for it, and hands back the ledgers when the run ends or is interrupted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from .auth import Auth, NoAuth, OAuthClientCredentials, StaticToken
from .clock import VIRTUAL_EPOCH, Clock
from .delivery import Backlog, Ledger, Policy, Subscription, sequential_ids
from .engine import Engine, Lane, LegacyLane, Observer
from .errors import ConfigError
from .events import ActivityStream
from .receiver import Behaviour, OAuthServer, Receiver, Window
from .scenario import AuthSpec, ReceiverSpec, RunSpec, SubscriptionSpec
from .traffic import Burst, Traffic
from .transport import HttpTransport
from .world import World

EMBEDDED = "embedded"


@dataclass(slots=True)
class RunResult:
    ledgers: dict[str, Ledger]
    machines: dict[str, Subscription]
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
    record: bool = False  # the embedded receiver keeps every batch (tests)
    receiver_log: Callable[[str], None] | None = None
    engine: Engine | None = None
    receiver: Receiver | None = None

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
        start = self.run.start or (VIRTUAL_EPOCH if self.virtual else None)
        world = World.build(self.run.seed)  # first: it is the slow part of starting up
        transport = HttpTransport(max_response_bytes=self._max_response_bytes())
        interrupted = False
        try:
            base_url = await self._start_receiver()
            # Simulated time starts with the dev endpoint, so its outage windows line up.
            clock = Clock(start=start)
            lanes = [
                self._lane(i, spec, world, transport, base_url)
                for i, spec in enumerate(self.run.subscriptions)
            ]
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
        except asyncio.CancelledError:
            # Ctrl-C: finish with the summary; the ledger still has to balance.
            interrupted = True
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        finally:
            await transport.close()
            if self.receiver is not None:
                await self.receiver.stop()
        return self._result(self.engine.clock.now() if self.engine else 0.0, interrupted)

    def _result(self, ended_at: float, interrupted: bool) -> RunResult:
        assert self.engine is not None
        machines = {lane.name: lane.machine for lane in self.engine.lanes}
        return RunResult(self.engine.ledgers(), machines, ended_at, interrupted, self.receiver)

    def _max_response_bytes(self) -> int:
        return min(s.delivery.max_response_bytes for s in self.run.subscriptions)

    async def _start_receiver(self) -> str | None:
        needs = any(
            s.endpoint == EMBEDDED or s.auth.token_url == EMBEDDED for s in self.run.subscriptions
        )
        if not needs:
            return None
        self.receiver = embedded_receiver(
            self.run.receiver, seed=self.run.seed, record=self.record, log=self.receiver_log
        )
        return await self.receiver.start()

    def _lane(
        self,
        index: int,
        spec: SubscriptionSpec,
        world: World,
        transport: HttpTransport,
        base_url: str | None,
    ) -> Lane:
        machine = Subscription(
            spec.name,
            policy(spec),
            Traffic(
                spec.rate,
                tuple(
                    Burst(count=b.count, at=b.at, every=b.every, start=b.start) for b in spec.bursts
                ),
            ),
            new_message_id=sequential_ids(prefix=str(index + 1), start=10_000_001),
        )
        stream = ActivityStream(world, spec.activity_types, seed=self.run.seed, stream=spec.name)
        url = base_url if spec.endpoint == EMBEDDED else spec.endpoint
        assert url is not None
        return LegacyLane(
            machine, stream, url, spec.delivery.timeout, make_auth(spec.auth, transport, base_url)
        )


def policy(spec: SubscriptionSpec) -> Policy:
    d = spec.delivery
    return Policy(
        batch_size=spec.batch_size,
        push_interval=spec.push_interval,
        retries=d.retries,
        retry_interval=d.retry_interval,
        probe_interval=d.probe_interval,
        retention=d.retention,
        backlog=Backlog(d.backlog),
    )


def make_auth(spec: AuthSpec, transport: HttpTransport, base_url: str | None) -> Auth:
    if spec.type == "token":
        assert spec.token is not None
        return StaticToken(spec.token.reveal(), spec.header, spec.scheme)
    if spec.type == "oauth":
        assert spec.client_id is not None
        assert spec.client_secret is not None
        token_url = spec.token_url
        if token_url == EMBEDDED:
            token_url = f"{base_url}oauth/token"
        assert token_url is not None
        return OAuthClientCredentials(
            transport,
            token_url=token_url,
            client_id=spec.client_id.reveal(),
            client_secret=spec.client_secret.reveal(),
            client_auth=spec.client_auth,
            scope=spec.scope,
            refresh_margin=spec.refresh_margin,
        )
    return NoAuth()


def embedded_receiver(
    spec: ReceiverSpec, *, seed: int, record: bool = False, log: Callable[[str], None] | None = None
) -> Receiver:
    behaviour = Behaviour(
        status=spec.status,
        failure_rate=spec.failure_rate,
        failure_status=spec.failure_status,
        latency=spec.latency,
        hang=spec.hang,
        reset=spec.reset,
        outages=tuple(
            Window(start=o.start, end=o.end, mode=o.mode, status=o.status) for o in spec.outages
        ),
    )
    oauth = None
    if spec.oauth is not None:
        oauth = OAuthServer(
            client_id=spec.oauth.client_id.reveal(),
            client_secret=spec.oauth.client_secret.reveal(),
            token_ttl=spec.oauth.token_ttl,
        )
    token = spec.token.reveal() if spec.token is not None else None
    return Receiver(
        token=token, oauth=oauth, behaviour=behaviour, seed=seed, record=record, log=log
    )
