"""A run file played end to end by the producer, on the virtual clock."""

from __future__ import annotations

import asyncio
import gc

from aiohttp import web
from loopback import served

from simulator.core.delivery import State
from simulator.core.outcome import OutcomeKind
from simulator.producer import Producer, RunResult
from simulator.reports.console import Recorder
from simulator.runfile.scenario import parse_run
from simulator.shell.clock import run_virtual

TWO_SUBSCRIPTIONS = """\
munchkinId: 123-ABC-456
receiver:
  tokenEnv: GOOD_TOKEN
subscriptions:
  - name: healthy
    rate: 10
    auth: {type: token, tokenEnv: GOOD_TOKEN}
    delivery: {phase: aligned}   # slots at 0, 2, 4 s: the times below are exact
  - name: misconfigured
    rate: 10
    auth: {type: token, tokenEnv: STALE_TOKEN}
    delivery: {phase: aligned}
"""
ENV = {"GOOD_TOKEN": "right", "STALE_TOKEN": "wrong"}


def play(text: str, *, duration: float) -> tuple[RunResult, Recorder]:
    recorder = Recorder()
    producer = Producer(parse_run(text, environ=ENV), virtual=True, observers=[recorder])
    return run_virtual(producer.play(duration)), recorder


def test_a_failing_subscription_does_not_delay_another() -> None:
    """One subscription stuck on 401s; the other still pushes every 2 s."""
    result, recorder = play(TWO_SUBSCRIPTIONS, duration=601.0)
    healthy = [a.at for a in recorder.attempts if a.subscription == "healthy"]
    failing = [(a.at, a.status) for a in recorder.attempts if a.subscription == "misconfigured"]
    assert healthy == [2.0 * k for k in range(1, 301)]
    assert failing == [(2.0, 401), (182.0, 401), (362.0, 401), (542.0, 401)]
    assert result.machines["misconfigured"].state is State.PAUSED
    assert result.balanced


def test_an_interrupted_run_still_ends_with_a_balanced_ledger() -> None:
    """Cancelling the run (Ctrl-C) returns the result instead of losing it."""
    producer = Producer(parse_run(TWO_SUBSCRIPTIONS, environ=ENV), virtual=True)

    async def main() -> RunResult:
        task = asyncio.create_task(producer.play(None))
        await asyncio.sleep(100.5)
        task.cancel()
        return await task

    result = run_virtual(main())
    assert result.interrupted
    assert result.ended_at == 100.5
    assert result.balanced
    assert result.ledgers["healthy"].acknowledged == 1000


SPREAD = """\
munchkinId: 123-ABC-456
seed: 7
subscriptions:
  - name: leads
    rate: 10
  - name: web
    rate: 10
"""


def test_each_subscription_pushes_at_its_own_seeded_offset() -> None:
    """By default the slots are phased: seed 7 puts leads at 0.184 s and web at 1.123 s into
    each 2 s interval, so they never push at the same instant."""
    _, recorder = play(SPREAD, duration=6.0)
    assert [(a.subscription, a.at, a.events) for a in recorder.attempts] == [
        ("leads", 0.184, 1),
        ("web", 1.123, 11),
        ("leads", 2.184, 20),
        ("web", 3.123, 20),
        ("leads", 4.184, 20),
        ("web", 5.123, 20),
    ]


def test_aligned_slots_push_every_subscription_at_the_same_instants() -> None:
    """phase: aligned puts every subscription's slots at 0, 2, 4 s, as before phases existed."""
    text = SPREAD.replace("    rate: 10\n", "    rate: 10\n    delivery: {phase: aligned}\n")
    _, recorder = play(text, duration=6.0)
    assert [(a.subscription, a.at) for a in recorder.attempts] == [
        ("leads", 2.0),
        ("web", 2.0),
        ("leads", 4.0),
        ("web", 4.0),
    ]


DRAIN = """\
munchkinId: 123-ABC-456
receiver:
  outages:
    - {from: 1m, to: 5m, mode: refuse}
subscriptions:
  - name: leads
    rate: 20
    delivery: {phase: aligned, maxDrainRate: 100}
"""


def test_a_drain_cap_spreads_the_catch_up_after_an_outage() -> None:
    """Refused from 1m to 5m at 20 events/s, capped at 100 events/s: the retry at 7m lands
    (40 events), the backlog of 7,200 leaves as 17 pushes of 500, one every 5 s from 7m0.4s,
    then the slots take the rest (420 at 8m26s, 120 at 8m32s) and 40 every 2 s again."""
    result, recorder = play(DRAIN, duration=517.0)
    after = [(a.at, a.events) for a in recorder.attempts if a.at >= 420.0]
    drain = [(round(420.4 + 5 * k, 6), 500) for k in range(17)]
    assert after == [(420.0, 40), *drain, (506.0, 420), (512.0, 120), (514.0, 40), (516.0, 40)]
    assert {a.outcome for a in recorder.attempts if a.at >= 420.0} == {"success"}
    assert result.balanced


def test_hung_endpoints_hold_only_their_own_connections() -> None:
    """101 subscriptions whose endpoint never answers, one whose endpoint does: the healthy one
    still pushes at every slot, answered at once, and each hung push reaches its endpoint at 2 s
    and times out exactly 20 s later (no wait for a connection counted into its timeout). One
    shared pool of 100 connections would have held the healthy push until 22 s."""
    arrived: list[float] = []

    async def main() -> Recorder:
        release = asyncio.Event()
        app = web.Application()

        async def hang(request: web.Request) -> web.Response:
            arrived.append(asyncio.get_running_loop().time())
            await release.wait()
            return web.Response()

        async def ok(request: web.Request) -> web.Response:
            return web.Response()

        app.router.add_post("/hang", hang)
        app.router.add_post("/ok", ok)
        recorder = Recorder()
        async with served(app) as base:
            subscriptions = [f"  - {{name: hung-{i}, endpoint: {base}hang}}" for i in range(101)]
            subscriptions.append(f"  - {{name: healthy, endpoint: {base}ok}}")
            aligned = "\n".join(
                line[:-1] + ", delivery: {phase: aligned}}" for line in subscriptions
            )
            text = f"munchkinId: 123-ABC-456\nsubscriptions:\n{aligned}\n"
            # Real endpoints in the test's own loop: they follow its virtual clock all the same.
            await Producer(parse_run(text), observers=[recorder]).play(61.0)
            release.set()
        return recorder

    recorder = run_virtual(main())
    healthy = [(a.at, a.latency) for a in recorder.attempts if a.subscription == "healthy"]
    assert healthy == [(2.0 * k, 0.0) for k in range(1, 31)]
    hung = [(a.at, a.outcome, a.latency) for a in recorder.attempts if a.subscription != "healthy"]
    assert hung == [(2.0, OutcomeKind.TIMEOUT, 20.0)] * 101
    assert arrived == [2.0] * 101


def test_the_heap_before_the_run_is_left_to_the_collector_only_after_it() -> None:
    """The world and what else exists when the run starts are frozen out of the garbage
    collector's full collections while the run lasts (each would stop the loop for about
    100 ms), and given back when it ends, interrupted or not."""
    frozen: list[int] = []
    producer = Producer(parse_run(SPREAD, environ=ENV), virtual=True)
    result = run_virtual(
        producer.play(4.0, on_start=lambda _: frozen.append(gc.get_freeze_count()))
    )
    assert frozen[0] > 0
    assert gc.get_freeze_count() == 0
    assert result.balanced


IDLE_CLOSES = """\
munchkinId: 123-ABC-456
receiver:
  idleTimeout: IDLE
subscriptions:
  - name: leads
    rate: 10
    delivery: {phase: aligned}   # a push every 2 s, each reusing the last one's connection
"""


def test_a_consumer_closing_idle_connections_at_the_push_interval_loses_nothing() -> None:
    """The embedded receiver closes connections idle for 2 s, the push interval, so each push
    finds its connection closed or closing: all 300 attempts are acknowledged, once each. (The
    push that meets the close at its very instant is `test_transport`'s.)"""
    producer = Producer(parse_run(IDLE_CLOSES.replace("IDLE", "2s")), virtual=True)
    recorder = Recorder()
    producer.observers.append(recorder)
    result = run_virtual(producer.play(601.0))
    assert [a.outcome for a in recorder.attempts] == [OutcomeKind.SUCCESS] * 300
    assert producer.receiver is not None
    assert producer.receiver.stats.requests == 300
    assert result.ledgers["leads"].acknowledged == 6000
    assert result.balanced


def test_the_embedded_receiver_closes_idle_connections_after_a_minute_by_default() -> None:
    """`receiver.idleTimeout` defaults to 60 s, as `marketo-sim receive --idle-timeout` does."""
    run = parse_run(IDLE_CLOSES.replace("  idleTimeout: IDLE\n", "  status: 200\n"))
    assert run.receiver.idle_timeout == 60.0


def test_retry_stale_connection_reaches_each_subscriptions_pool() -> None:
    """`retryStaleConnection: false` switches the resend off for that subscription's pool only;
    the default keeps it on."""
    text = IDLE_CLOSES.replace("IDLE", "60s") + (
        "  - name: strict\n    rate: 10\n    retryStaleConnection: false\n"
    )
    producer = Producer(parse_run(text), virtual=True)
    run_virtual(producer.play(1.0))
    assert producer.engine is not None
    pools = {lane.name: lane.transport for lane in producer.engine.lanes}
    assert {name: getattr(pool, "retry_stale", None) for name, pool in pools.items()} == {
        "leads": True,
        "strict": False,
    }
