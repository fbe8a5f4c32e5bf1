"""The engine pushing to the real dev endpoint over loopback, and to the fake transport where a
server adds nothing, on the virtual clock.

Times are exact simulated seconds; each test plays minutes or days in milliseconds of real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import orjson
import pytest
from expected import OUTAGE_0_TO_20_MIN
from loopback import virtual
from yarl import URL

from simulator.core.delivery import Policy, State, Subscription
from simulator.core.journal import Journal
from simulator.core.outcome import Outcome, OutcomeKind
from simulator.core.queue import Span
from simulator.core.registration import IoPolicy, Registration
from simulator.core.traffic import Burst, Traffic
from simulator.endpoint.receiver import Behaviour, OAuthServer, Receiver, Window
from simulator.payloads.catalog import select_activity_types
from simulator.payloads.events import LEGACY, ActivityStream, Form
from simulator.payloads.formats import CONTENT_TYPE, IoEvent, io_body, legacy_batch
from simulator.payloads.iostreams import CloudActivityStream
from simulator.payloads.signing import KeyRing
from simulator.payloads.world import World
from simulator.reports.console import Recorder
from simulator.shell.auth import Auth, NoAuth, OAuthClientCredentials, StaticToken
from simulator.shell.clock import VIRTUAL_EPOCH, LoopClock, run_virtual
from simulator.shell.engine import USER_AGENT, Engine, LegacyLane, Wake
from simulator.shell.faketransport import Answer, FakeTransport, Handler, Request
from simulator.shell.iolane import IoLane, IoSettings
from simulator.shell.transport import HttpTransport

MINUTE = 60.0
WORLD = World.build(3)
TYPES = select_activity_types(["Visit Webpage", "Click Link", "New Lead"])


@dataclass
class Played:
    recorder: Recorder
    receiver: Receiver
    machine: Subscription
    auth: Auth

    def times(self) -> list[float]:
        return [a.at for a in self.recorder.attempts]

    def received_seqs(self) -> Iterator[int]:
        for batch in self.receiver.received:
            for activity in batch.activities:
                yield int(activity["marketoGUID"][-12:], 16)


def play(
    *,
    until: float,
    traffic: Traffic,
    policy: Policy | None = None,
    behaviour: Behaviour | None = None,
    token: str | None = None,
    oauth: OAuthServer | None = None,
    auth: str = "none",
    timeout: float = 20.0,
    actions: tuple[tuple[float, Callable[[Receiver], object]], ...] = (),
) -> Played:
    """Run one subscription against an in-process receiver until `until` simulated seconds."""
    machine = Subscription("leads", policy or Policy(), traffic)
    receiver = Receiver(behaviour=behaviour or Behaviour(), token=token, oauth=oauth, record=True)
    recorder = Recorder()

    async def main() -> Auth:
        url = await receiver.start()
        async with HttpTransport() as transport:
            lane_auth: Auth = NoAuth()
            if auth == "token":
                lane_auth = StaticToken("s3cret")
            elif auth == "oauth":
                lane_auth = OAuthClientCredentials(
                    transport, token_url=receiver.token_url, client_id="app", client_secret="pw"
                )
            stream = ActivityStream(WORLD, TYPES, seed=3, stream="leads")
            lane = LegacyLane(machine, stream, url, timeout, lane_auth)
            engine = Engine(
                [lane],
                munchkin_id="123-ABC-456",
                clock=LoopClock(start=VIRTUAL_EPOCH),
                transport=transport,
                observers=[recorder],
            )
            for at, action in actions:
                await engine.run(until=at)
                action(receiver)
            await engine.run(until=until)
        await receiver.stop()
        return lane_auth

    lane_auth = run_virtual(main())
    return Played(recorder, receiver, machine, lane_auth)


def test_batches_of_500_every_two_seconds() -> None:
    """At 250 events/s the endpoint receives 500 activities at 2, 4, 6, 8 and 10 s."""
    played = play(until=11.0, traffic=Traffic(rate=250))
    assert played.times() == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert [b.at for b in played.receiver.received] == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert [len(b.activities) for b in played.receiver.received] == [500] * 5


def test_activity_dates_are_simulated_event_times() -> None:
    """The first event of a 1/s stream is dated one simulated second after the start."""
    played = play(until=2.5, traffic=Traffic(rate=1))
    first = played.receiver.received[0].activities[0]
    assert first["activityDate"] == "2026-01-01T00:00:01Z"


def test_outage_retry_pause_probe_and_recovery_times() -> None:
    """Down 0-20 min: push at 2 s, retries +3/+6/+9 min, pause, probes every 3 min, recovery."""
    outage = Behaviour(outages=(Window(start=0.0, end=20 * MINUTE, mode="refuse"),))
    played = play(until=21 * MINUTE + 3, traffic=Traffic(rate=10), behaviour=outage)
    attempts = played.recorder.attempts
    assert [(a.at, a.kind, a.state) for a in attempts[:8]] == OUTAGE_0_TO_20_MIN
    assert {a.outcome for a in attempts[:7]} == {OutcomeKind.CONNECTION_ERROR}
    assert {a.message_id for a in attempts[:8]} == {attempts[0].message_id}


def test_backlog_arrives_in_order_with_nothing_lost_or_duplicated() -> None:
    """After the outage every produced event is received exactly once, in order."""
    outage = Behaviour(outages=(Window(start=0.0, end=20 * MINUTE, mode="refuse"),))
    played = play(until=25 * MINUTE, traffic=Traffic(rate=10), behaviour=outage)
    seqs = list(played.received_seqs())
    ledger = played.machine.ledger()
    assert seqs == list(range(ledger.acknowledged))
    assert played.receiver.stats.duplicates == 0
    assert ledger.queued + ledger.in_flight == 20  # the events produced since the last slot
    assert ledger.balanced


@pytest.mark.parametrize(
    ("latency", "outcome", "measured"),
    [
        pytest.param(19.5, OutcomeKind.SUCCESS, 19.5, id="19.5s-answers-in-time"),
        pytest.param(20.5, OutcomeKind.TIMEOUT, 20.0, id="20.5s-times-out-at-20s"),
    ],
)
def test_the_20_second_timeout_is_exact(
    latency: float, outcome: OutcomeKind, measured: float
) -> None:
    """The producer waits exactly 20 s for an answer."""
    played = play(until=23.0, traffic=Traffic(rate=1), behaviour=Behaviour(latency=latency))
    first = played.recorder.attempts[0]
    assert (first.outcome, first.latency) == (outcome, measured)


def test_a_timed_out_push_is_retried_three_minutes_after_the_timeout() -> None:
    """The push at 2 s times out at 22 s; the retry starts 3 minutes later, at 202 s."""
    played = play(until=223.0, traffic=Traffic(rate=1), behaviour=Behaviour(hang=True))
    assert played.times() == [2.0, 202.0]
    assert [a.latency for a in played.recorder.attempts] == [20.0, 20.0]
    assert {a.outcome for a in played.recorder.attempts} == {OutcomeKind.TIMEOUT}


def test_events_older_than_seven_days_expire_and_are_never_sent() -> None:
    """An 8-day outage: the first day's events expire; the receiver never sees them."""
    outage = Behaviour(outages=(Window(start=0.0, end=8 * 86_400.0, mode="status", status=503),))
    played = play(until=8 * 86_400.0 + 600, traffic=Traffic(rate=0.01), behaviour=outage)
    ledger = played.machine.ledger()
    seqs = list(played.received_seqs())
    assert ledger.expired == 864  # see test_delivery: events at 100 s .. 86,400 s
    assert seqs == list(range(864, 864 + len(seqs)))
    assert ledger.balanced


def test_a_redirect_is_a_failure_and_is_not_followed() -> None:
    """A 302 answer counts as a failed push."""
    played = play(until=3.0, traffic=Traffic(rate=1), behaviour=Behaviour(status=302))
    first = played.recorder.attempts[0]
    assert (first.outcome, first.status, first.detail) == (
        OutcomeKind.HTTP_ERROR,
        302,
        "redirect not followed",
    )


def test_a_connection_reset_is_a_connection_error() -> None:
    """A consumer that drops the connection without answering fails the push."""
    played = play(until=3.0, traffic=Traffic(rate=1), behaviour=Behaviour(reset=True))
    assert played.recorder.attempts[0].outcome is OutcomeKind.CONNECTION_ERROR


def test_a_static_token_is_sent_as_a_bearer_authorization() -> None:
    """The endpoint that expects the token accepts every push."""
    played = play(until=5.0, traffic=Traffic(rate=1), token="s3cret", auth="token")
    assert [a.status for a in played.recorder.attempts] == [200, 200]
    assert played.receiver.stats.unauthorized == 0


def test_a_missing_token_gets_401_and_is_retried() -> None:
    """Without the token the endpoint answers 401, a failure like any other."""
    played = play(until=5.0, traffic=Traffic(rate=1), token="s3cret")
    assert [(a.status, a.state) for a in played.recorder.attempts] == [(401, State.RETRYING)]


def test_oauth_token_is_reused_until_it_nearly_expires() -> None:
    """A 10-minute token is fetched at 2 s and again 60 s before it expires, at 542 s."""
    oauth = OAuthServer(client_id="app", client_secret="pw", token_ttl=600.0)
    played = play(until=601.0, traffic=Traffic(rate=1), oauth=oauth, auth="oauth")
    assert isinstance(played.auth, OAuthClientCredentials)
    assert played.receiver.stats.tokens_issued == 2
    assert {a.outcome for a in played.recorder.attempts} == {OutcomeKind.SUCCESS}
    assert len(played.recorder.attempts) == 300


def test_oauth_token_is_fetched_again_after_a_401() -> None:
    """Tokens revoked at 101 s: the push at 102 s gets 401; the retry at 282 s has a new token."""
    oauth = OAuthServer(client_id="app", client_secret="pw", token_ttl=3600.0)
    played = play(
        until=283.0,
        traffic=Traffic(rate=1),
        oauth=oauth,
        auth="oauth",
        actions=((101.0, Receiver.expire_tokens),),
    )
    tail = [(a.at, a.status) for a in played.recorder.attempts if a.at > 101.0]
    assert tail == [(102.0, 401), (282.0, 200)]
    assert played.receiver.stats.tokens_issued == 2


def test_identity_provider_hiccups_are_retried() -> None:
    """Two failed token requests are retried after 1 s and 2 s, delaying the 2 s push to 5 s."""
    oauth = OAuthServer(client_id="app", client_secret="pw")
    played = play(
        until=6.5,
        traffic=Traffic(rate=1),
        oauth=oauth,
        auth="oauth",
        actions=((1.0, lambda receiver: receiver.fail_token_requests(2)),),
    )
    assert [(a.at, a.outcome) for a in played.recorder.attempts] == [
        (2.0, OutcomeKind.SUCCESS),
        (6.0, OutcomeKind.SUCCESS),  # the first slot after the delayed push ended at 5 s
    ]
    assert (played.receiver.stats.token_requests, played.receiver.stats.tokens_issued) == (3, 1)


class Exploding:
    """An observer with a bug."""

    def attempt(self, record: object) -> None:
        raise RuntimeError("observer bug")

    def state_changed(self, change: object) -> None:
        return None


def test_a_crashing_lane_ends_the_run_loudly() -> None:
    """An exception inside a lane propagates instead of silently stopping that subscription."""
    machine = Subscription("leads", traffic=Traffic(rate=1))

    async def main() -> None:
        receiver = Receiver()
        url = await receiver.start()
        try:
            async with HttpTransport() as transport:
                stream = ActivityStream(WORLD, TYPES, seed=3, stream="leads")
                engine = Engine(
                    [LegacyLane(machine, stream, url, 20.0)],
                    munchkin_id="123-ABC-456",
                    clock=LoopClock(start=VIRTUAL_EPOCH),
                    transport=transport,
                    observers=[Exploding()],
                )
                await engine.run(until=60.0)
        finally:
            await receiver.stop()

    with pytest.raises(ExceptionGroup) as caught:
        run_virtual(main())
    assert caught.group_contains(RuntimeError, match="observer bug")


# -- the fake transport: the engine's own timing, with no server ---------------------------------


def legacy_engine(machine: Subscription, transport: FakeTransport, recorder: Recorder) -> Engine:
    stream = ActivityStream(WORLD, TYPES, seed=3, stream="leads")
    return Engine(
        [LegacyLane(machine, stream, "http://consumer.test/", 20.0)],
        munchkin_id="123-ABC-456",
        clock=LoopClock(start=VIRTUAL_EPOCH),
        transport=transport,
        observers=[recorder],
    )


def play_fake(until: float, traffic: Traffic, handler: Handler) -> tuple[Recorder, FakeTransport]:
    """One subscription pushing to `handler` until `until` simulated seconds."""
    machine = Subscription("leads", Policy(), traffic)
    transport, recorder = FakeTransport(handler), Recorder()

    async def main() -> None:
        await legacy_engine(machine, transport, recorder).run(until=until)

    run_virtual(main())
    return recorder, transport


def test_the_outage_schedule_without_a_server() -> None:
    """503s for 20 minutes from a fake consumer: the same schedule as over loopback."""
    recorder, _ = play_fake(
        21 * MINUTE + 3, Traffic(rate=10), lambda r: 503 if r.at < 20 * MINUTE else 200
    )
    assert [(a.at, a.kind, a.state) for a in recorder.attempts[:8]] == OUTAGE_0_TO_20_MIN


def test_a_retry_sends_the_very_bytes_of_the_failed_push() -> None:
    """The push at 2 s fails; the retry at 182 s carries the same body, headers included."""
    _, transport = play_fake(183.0, Traffic(rate=1), lambda r: 503 if r.at < 100 else 200)
    push, retry = transport.requests
    assert (push.at, retry.at) == (2.0, 182.0)
    assert (retry.body, retry.headers) == (push.body, push.headers)
    assert push.headers == {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT}


def test_a_slow_answer_holds_the_next_push_until_the_next_slot_after_it() -> None:
    """Answers take 3 s, one push in flight at a time: pushes at 2 s, then at the first slot
    after each answer, 6 and 10 s."""
    recorder, _ = play_fake(
        14.0, Traffic(rate=1), lambda r: Outcome(OutcomeKind.SUCCESS, 200, latency=3.0)
    )
    assert [(a.at, a.done_at) for a in recorder.attempts] == [(2.0, 5.0), (6.0, 9.0), (10.0, 13.0)]


# -- settled: when nothing is due at this instant ------------------------------------------------


def settle_after(
    seconds: float, handler: Handler, *, poke: bool = False
) -> tuple[float, list[float], bool]:
    """Run one subscription (an event a second) in the background; after `seconds`, optionally
    poke its lane, then wait for the engine to settle. Returns the time it settled at, the
    attempts made by then, and whether it was settled right after the poke."""
    machine = Subscription("leads", Policy(), Traffic(rate=1))
    recorder = Recorder()

    async def main() -> tuple[float, list[float], bool]:
        engine = legacy_engine(machine, FakeTransport(handler), recorder)
        run = asyncio.create_task(engine.run(until=None))
        await asyncio.sleep(seconds)
        if poke:
            await engine.settled()
            engine.lane("leads").poke()
        poked_settled = engine.is_settled()
        await engine.settled()
        settled_at = engine.clock.now()
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        return settled_at, [a.at for a in recorder.attempts], poked_settled

    return run_virtual(main())


def test_settled_waits_for_the_push_due_now() -> None:
    """At 2 s a push is due: the engine settles once it is made, still at 2 s."""
    assert settle_after(2.0, lambda r: 200)[:2] == (2.0, [2.0])


def test_settled_waits_for_a_push_in_flight() -> None:
    """A consumer that takes 1.5 s: the engine settles when the answer is in, at 3.5 s."""
    answer = Outcome(OutcomeKind.SUCCESS, 200, latency=1.5)
    assert settle_after(2.0, lambda r: answer)[:2] == (3.5, [2.0])


def test_a_poke_unsettles_the_engine_until_the_lane_has_looked() -> None:
    """At 3 s, between slots, a poke makes the lane look again: not settled until it has."""
    assert settle_after(3.0, lambda r: 200, poke=True) == (3.0, [2.0], False)


@virtual
async def test_a_lane_with_nothing_left_to_do_counts_as_settled() -> None:
    """One event, pushed at 2 s; the lane then ends and the engine is settled for good."""
    machine = Subscription("leads", Policy(), Traffic(bursts=(Burst(count=1, at=0.5),)))
    engine = legacy_engine(machine, FakeTransport(lambda r: 200), Recorder())
    await engine.run(until=None)
    assert engine.is_settled()
    assert engine.machines() == {"leads": machine}


@virtual
async def test_a_lane_is_found_by_its_subscriptions_name() -> None:
    """lane("leads") is the lane of that subscription; another name is a KeyError."""
    machine = Subscription("leads", Policy(), Traffic(rate=1))
    engine = legacy_engine(machine, FakeTransport(lambda r: 200), Recorder())
    assert engine.lane("leads").machine is machine
    with pytest.raises(KeyError):
        engine.lane("contacts")


# -- an Adobe I/O lane on the fake transport -----------------------------------------------------

KEYS = KeyRing.generate()


class Numbered:
    """An event source whose events are numbered dicts."""

    def io_events(self, items: Iterable[tuple[int, float]]) -> list[IoEvent]:
        return [
            IoEvent(f"evt-{seq}", "com.example.test", {"eventid": f"evt-{seq}", "at": wall})
            for seq, wall in items
        ]


def echo_challenge(request: Request) -> tuple[int, bytes]:
    """A consumer that echoes the challenge of a GET and takes every POST."""
    if request.method == "GET":
        return 200, URL(request.url).query["challenge"].encode()
    return 200, b""


@virtual
async def test_an_echoed_challenge_activates_the_registration_before_its_first_delivery() -> None:
    """The challenge GET at 0 s is echoed; the three events leave together at the 1 s flush."""
    traffic = Traffic(rate=0, bursts=(Burst(count=3, at=0.5),))
    machine = Registration("io", IoPolicy(), traffic)
    lane = IoLane(
        machine,
        Numbered(),
        "http://consumer.test/hook",
        IoSettings(provider="Marketo"),
        KEYS,
        Journal(registration_id="io"),
    )
    transport, recorder = FakeTransport(echo_challenge), Recorder()
    engine = Engine(
        [lane],
        munchkin_id="123-ABC-456",
        clock=LoopClock(start=VIRTUAL_EPOCH),
        transport=transport,
        observers=[recorder],
    )
    await engine.run(until=5.0)
    assert [(r.method, r.at) for r in transport.requests] == [("GET", 0.0), ("POST", 1.0)]
    assert [(c.old, c.new, c.at) for c in recorder.changes] == [("pending", "active", 0.0)]
    assert [(a.at, a.events, a.status) for a in recorder.attempts] == [(1.0, 3, 200)]
    assert transport.requests[1].headers["x-adobe-provider"] == "Marketo"


# -- what a push carries: the text path writes what the dict path would -----------------------


def test_a_push_carries_legacy_batch_of_its_activities() -> None:
    """The body of the push at 2 s is, byte for byte, formats.legacy_batch of the activities its
    seqs make, dated by the wall clock: the fast path and the dict path agree."""
    _, transport = play_fake(3.0, Traffic(rate=3), lambda r: 200)
    (push,) = transport.requests
    body = orjson.loads(push.body)
    wall = VIRTUAL_EPOCH.timestamp()
    items = [(seq, wall + (seq + 1) / 3) for seq in range(6)]
    stream = ActivityStream(WORLD, TYPES, seed=3, stream="leads")
    assert push.body == legacy_batch(
        munchkin_id="123-ABC-456",
        message_id=body["messageId"],
        created_at=wall + 2.0,
        activities=stream.activities(items),
    )


@virtual
async def test_an_io_delivery_from_text_is_io_body_of_its_events() -> None:
    """A Lead Activity registration sends io_body of its events, the first one named in the
    headers, without building them as dicts first."""
    traffic = Traffic(rate=0, bursts=(Burst(count=3, at=0.5),))
    activities = ActivityStream(WORLD, TYPES, seed=3, stream="io")
    source = CloudActivityStream(activities, munchkin_id="123-ABC-456", recipient_client_id="c")
    lane = IoLane(
        Registration("io", IoPolicy(), traffic),
        source,
        "http://consumer.test/hook",
        IoSettings(provider="Marketo"),
        KEYS,
        Journal(registration_id="io"),
    )
    transport = FakeTransport(echo_challenge)
    engine = Engine(
        [lane],
        munchkin_id="123-ABC-456",
        clock=LoopClock(start=VIRTUAL_EPOCH),
        transport=transport,
    )
    await engine.run(until=5.0)
    post = transport.requests[1]
    wall = VIRTUAL_EPOCH.timestamp() + 0.5
    events = source.io_events([(seq, wall) for seq in range(3)])
    assert post.body == io_body(events, batch=True)
    assert post.headers["x-adobe-event-id"] == events[0].event_id == source.event_id(0)
    assert post.headers["x-adobe-event-code"] == events[0].type


# -- lanes at scale ------------------------------------------------------------------------------


def test_a_deadline_already_passed_does_not_put_a_lane_to_sleep() -> None:
    """On a real clock the machine's wake-up can pass while the lane asks for it: sleeping
    until it then returns at once, instead of waiting for a poke that never comes."""

    async def main() -> float:
        clock = LoopClock(start=VIRTUAL_EPOCH)
        await asyncio.sleep(5.0)
        async with asyncio.timeout(60.0):  # the old wait for a poke would end here, failing
            await Wake().sleep(clock, deadline=4.0, asleep=lambda: None)
        return clock.now()

    assert run_virtual(main()) == 5.0


def test_a_lane_builds_its_stream_on_its_first_push() -> None:
    """Given a function instead of a stream, the lane calls it once, at its first push: a
    thousand lanes start without building a thousand streams first."""
    built: list[float] = []
    machine = Subscription("leads", Policy(), Traffic(rate=1))

    async def main() -> None:
        clock = LoopClock(start=VIRTUAL_EPOCH)

        def build() -> ActivityStream:
            built.append(clock.now())
            return ActivityStream(WORLD, TYPES, seed=3, stream="leads")

        lane = LegacyLane(machine, build, "http://consumer.test/", 20.0)
        engine = Engine(
            [lane], munchkin_id="123-ABC-456", clock=clock, transport=FakeTransport(lambda r: 200)
        )
        await engine.run(until=1.5)
        assert built == []
        await engine.run(until=7.0)

    run_virtual(main())
    assert built == [2.0]
    assert machine.ledger().acknowledged == 6


# -- encoding ahead: the next batch of a catch-up is encoded while a push is in flight -----------


class CountingStream(ActivityStream):
    """An activity stream that counts the events it encodes from spans."""

    encoded = 0

    def span_texts(
        self, spans: Iterable[Span], epoch: float = 0.0, form: Form = LEGACY
    ) -> list[str]:
        texts = super().span_texts(spans, epoch, form)
        self.encoded += len(texts)
        return texts


def drain(
    handler: Handler, *, ahead: bool, policy: Policy | None = None
) -> tuple[list[tuple[float, bytes]], int, int]:
    """A 30-minute outage at 20 events a second (503 until 30 min, then `handler`), drained in
    batches of 500 until 40 min. Returns the pushes (time, body), the events acknowledged and
    the events the stream encoded."""
    machine = Subscription("leads", policy or Policy(), Traffic(rate=20))
    transport = FakeTransport(lambda r: 503 if r.at < 30 * MINUTE else handler(r))
    stream = CountingStream(WORLD, TYPES, seed=3, stream="leads")
    lane = LegacyLane(machine, stream, "http://consumer.test/", 20.0, encode_ahead=ahead)

    async def main() -> None:
        clock = LoopClock(start=VIRTUAL_EPOCH)
        engine = Engine([lane], munchkin_id="123-ABC-456", clock=clock, transport=transport)
        await engine.run(until=40 * MINUTE)

    run_virtual(main())
    pushes = [(r.at, r.body) for r in transport.requests]
    return pushes, machine.counters.acknowledged, stream.encoded


def test_a_drain_encoded_ahead_encodes_each_batch_once() -> None:
    """Catching up after the outage, each batch's texts are encoded once, while the push before
    it was in flight: nothing is encoded twice, and the drain sends the very bytes it sends
    without encoding ahead."""
    pushes, acknowledged, encoded = drain(lambda r: 200, ahead=True)
    assert encoded == acknowledged == 47_960  # 40 min at 20/s, but for the last 2 s
    assert pushes == drain(lambda r: 200, ahead=False)[0]


def test_what_is_encoded_ahead_waits_through_a_retry() -> None:
    """A push that fails mid-drain is retried with its own bytes, 3 minutes later; the next
    batch, encoded while it first failed, is sent after it unchanged: still once encoded."""

    def one_failure(request: Request) -> Answer:
        failed = 30 * MINUTE + 10 <= request.at < 30 * MINUTE + 11
        return 500 if failed else Outcome(OutcomeKind.SUCCESS, 200, latency=1.0)

    pushes, acknowledged, encoded = drain(one_failure, ahead=True)
    assert encoded == acknowledged == 47_960
    assert pushes == drain(one_failure, ahead=False)[0]


def test_a_batch_that_lost_events_to_retention_in_flight_is_encoded_anew() -> None:
    """Answers take 15 s and events expire after 31 minutes: while a push is in flight, the
    oldest events of the next batch expire. The texts encoded ahead for it go unused; the
    pushes are the very bytes of a drain that never encodes ahead."""

    def slow(request: Request) -> Answer:
        return Outcome(OutcomeKind.SUCCESS, 200, latency=15.0)

    policy = Policy(retention=31 * MINUTE)
    pushes, acknowledged, encoded = drain(slow, ahead=True, policy=policy)
    assert (acknowledged, encoded) == (19_040, 20_040)  # two batches encoded twice
    assert pushes == drain(slow, ahead=False, policy=policy)[0]
