"""The pytest plugin: the `marketo_producer` fixture against an app in the test's own event loop,
on the virtual clock."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from loopback import client_session

from simulator.errors import ConfigError
from simulator.shell.transport import HttpTransport

if TYPE_CHECKING:  # importing the plugin here would come before pytest's assertion rewriting
    from simulator.pytest_plugin import Factory

pytest_plugins = ["pytester", "simulator.pytest_plugin"]

# The plugin loads through its entry point, as for a user. In-process pytester runs import it a
# second time in the same interpreter, which pytest warns about (it cannot re-rewrite asserts).
IN_PROCESS = ("-W", "ignore::pytest.PytestAssertRewriteWarning")

ROOT = Path(__file__).resolve().parent.parent
STATUS = web.AppKey("status", list)
RUN = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
    rate: {rate}
    auth: {{type: token, tokenEnv: SIM_TOKEN}}
    delivery: {{phase: aligned}}   # slots at 0, 2, 4 s: the times below are exact
"""
ENV = {"SIM_TOKEN": "t"}
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def consumer(status: int = 200, latency: float = 0.0) -> web.Application:
    """A consumer that answers every push with `app[STATUS][0]` (a bad token: 401), `latency`
    seconds after it came."""
    app = web.Application()
    app[STATUS] = [status]

    async def push(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(latency)
        if request.headers.get("Authorization") != "Bearer t":
            return web.Response(status=401)
        return web.Response(status=app[STATUS][0])

    app.router.add_post("/", push)
    return app


def run(rate: float = 10) -> str:
    return RUN.format(rate=rate)


IO_RUN = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: io
    profile: adobe-io
    rate: 10
"""


def io_consumer() -> web.Application:
    """An Adobe I/O webhook that echoes the challenge and takes every delivery."""
    app = web.Application()

    async def challenge(request: web.Request) -> web.Response:
        return web.Response(text=request.query["challenge"])

    async def deliver(request: web.Request) -> web.Response:
        await request.read()
        return web.Response()

    app.router.add_get("/", challenge)
    app.router.add_post("/", deliver)
    return app


@pytest.mark.looptime
async def test_pushes_come_every_two_seconds(marketo_producer: Factory) -> None:
    """At 10 events per second, a push of 20 events at 2, 4 and 6 s, each acknowledged."""
    sim = await marketo_producer(run(rate=10), app=consumer(), env=ENV)
    await sim.advance(6)
    assert [(a.at, a.events, a.status) for a in sim.attempts("leads")] == [
        (2.0, 20, 200),
        (4.0, 20, 200),
        (6.0, 20, 200),
    ]
    assert sim.now == 6.0


@pytest.mark.looptime
async def test_a_burst_leaves_in_batches_of_500_at_the_next_slot(
    marketo_producer: Factory,
) -> None:
    """1234 events emitted at t = 0: two full batches back to back at 2 s, the rest at 4 s."""
    sim = await marketo_producer(run(rate=0), app=consumer(), env=ENV)
    sim.emit("leads", 1234)
    await sim.advance(10)
    assert [(a.at, a.events) for a in sim.attempts("leads")] == [(2.0, 500), (2.0, 500), (4.0, 234)]
    ledger = sim.ledger("leads")
    assert (ledger.produced, ledger.acknowledged, ledger.queued, ledger.balanced) == (
        1234,
        1234,
        0,
        True,
    )


@pytest.mark.looptime
async def test_emitted_events_join_the_traffic_in_the_next_push(
    marketo_producer: Factory,
) -> None:
    """After advance(4) the push at 4 s is made; 7 events emitted then ride with the one at 6 s."""
    sim = await marketo_producer(run(rate=10), app=consumer(), env=ENV)
    await sim.advance(4)
    sim.emit("leads", 7)
    assert sim.ledger("leads").queued == 7
    await sim.advance(2)
    assert [a.events for a in sim.attempts("leads")] == [20, 20, 27]
    assert sim.ledger("leads").acknowledged == 67


@pytest.mark.looptime
async def test_a_503_outage_is_retried_every_three_minutes(marketo_producer: Factory) -> None:
    """503s: retries at +3 min, paused after the third; the probe at 722 s reactivates it."""
    app = consumer(status=503)
    sim = await marketo_producer(run(rate=10), app=app, env=ENV)
    await sim.advance(700)
    app[STATUS][0] = 200
    await sim.advance(22)
    attempts = [(a.at, a.kind, a.status) for a in sim.attempts("leads")]
    assert attempts[:5] == [
        (2.0, "push", 503),
        (182.0, "retry", 503),
        (362.0, "retry", 503),
        (542.0, "retry", 503),
        (722.0, "probe", 200),
    ]
    assert set(attempts[5:]) == {(722.0, "push", 200)}  # catching up, 500 events a push...
    assert [(c.at, c.new) for c in sim.changes("leads")] == [
        (2.0, "retrying"),
        (542.0, "paused"),
        (722.0, "active"),
    ]
    assert sim.state("leads") == "active"
    ledger = sim.ledger("leads")
    assert (ledger.produced, ledger.acknowledged, ledger.queued) == (7220, 7020, 200)  # ...then 724


@pytest.mark.looptime
async def test_a_timeline_step_due_at_the_instant_is_played_before_advance_returns(
    marketo_producer: Factory,
) -> None:
    """A deprovision at 4 s: once advance(4) returns, the subscription is deprovisioned."""
    text = run() + "timeline:\n  - {at: 4s, deprovision: leads}\n"
    sim = await marketo_producer(text, app=consumer(), env=ENV)
    await sim.advance(4)
    assert sim.state("leads") == "deprovisioned"
    assert [(c.at, c.new) for c in sim.changes("leads")] == [(4.0, "deprovisioned")]


@pytest.mark.looptime
async def test_advance_waits_for_a_push_in_flight_to_a_slow_consumer(
    marketo_producer: Factory,
) -> None:
    """A consumer that answers after 1.5 s: advance(2) returns once the push at 2 s is answered,
    at 3.5 s."""
    sim = await marketo_producer(run(), app=consumer(latency=1.5), env=ENV)
    await sim.advance(2)
    assert [(a.at, a.status, a.latency) for a in sim.attempts("leads")] == [(2.0, 200, 1.5)]
    assert sim.now == 3.5


@pytest.mark.looptime
async def test_an_adobe_io_registration_is_greeted_and_delivers_within_advance(
    marketo_producer: Factory,
) -> None:
    """The challenge is echoed at 0 s; the first flush, at 1 s, is delivered by advance(1)."""
    sim = await marketo_producer(IO_RUN, app=io_consumer())
    assert sim.state("io") == "active"
    await sim.advance(1)
    assert [(a.at, a.events, a.status) for a in sim.attempts("io")] == [(1.0, 10, 200)]


@pytest.mark.looptime
async def test_stop_closes_the_app_and_leaves_nothing_running(marketo_producer: Factory) -> None:
    """What teardown does: the app stops listening and no task of the run is left."""
    before = asyncio.all_tasks()
    sim = await marketo_producer(run(), app=consumer(), env=ENV)
    await sim.advance(4)
    result = await sim.stop()
    assert (result.ended_at, result.ledgers["leads"].acknowledged) == (4.0, 40)
    assert asyncio.all_tasks() <= before
    async with client_session() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(sim.url, data=b"{}")


@pytest.mark.looptime
async def test_stop_fails_when_a_task_of_the_run_is_left(marketo_producer: Factory) -> None:
    """A task of the simulator still running after the stop is cancelled and reported."""
    sim = await marketo_producer(run(), app=consumer(), env=ENV)
    assert sim.producer.engine is not None
    clock = sim.producer.engine.clock
    stray = asyncio.create_task(clock.sleep_until(3600), name="stray")
    with pytest.raises(AssertionError, match="still running after the producer stopped: stray"):
        await sim.stop()
    await asyncio.gather(stray, return_exceptions=True)
    assert stray.cancelled()


@pytest.mark.looptime
async def test_a_crash_of_the_producer_is_raised_by_advance(
    marketo_producer: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug that stops the run surfaces in the test, not in silence (and only once)."""
    sim = await marketo_producer(run(), app=consumer(), env=ENV)
    assert sim.producer.engine is not None

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the transport")

    monkeypatch.setattr(HttpTransport, "post", broken)  # every lane's pool is one
    with pytest.raises(ExceptionGroup) as raised:
        await sim.advance(2)
    assert raised.group_contains(RuntimeError, match="a bug in the transport")
    assert (await sim.stop()).ledgers["leads"].in_flight == 20


@pytest.mark.looptime
async def test_the_embedded_endpoint_keeps_what_it_received(marketo_producer: Factory) -> None:
    """Without app= or url=, the run file's embedded endpoint takes the pushes."""
    text = run().replace("subscriptions:", "receiver: {tokenEnv: SIM_TOKEN}\nsubscriptions:")
    sim = await marketo_producer(text, env=ENV)
    await sim.advance(6)
    assert [len(batch.activities) for batch in sim.received] == [20, 20, 20]


@pytest.mark.looptime
async def test_received_keeps_the_last_batches_and_says_how_many_were_dropped(
    marketo_producer: Factory,
) -> None:
    """`sim.received` holds the last `keep_batches` batches (the embedded receiver's bound);
    `sim.received_dropped` counts the older ones."""
    text = run().replace("subscriptions:", "receiver: {tokenEnv: SIM_TOKEN}\nsubscriptions:")
    sim = await marketo_producer(text, env=ENV)
    assert sim.producer.receiver is not None
    sim.producer.receiver.keep_batches = 2
    await sim.advance(10)
    assert [batch.message_id for batch in sim.received] == ["110000004", "110000005"]
    assert sim.received_dropped == 3


@pytest.mark.looptime
async def test_received_is_only_the_embedded_endpoints(marketo_producer: Factory) -> None:
    """With app=, what arrived is the app's to say: `received` and `received_dropped` refuse."""
    sim = await marketo_producer(run(), app=consumer(), env=ENV)
    for name in ("received", "received_dropped"):
        with pytest.raises(ConfigError, match=f"{name}: only the embedded dev endpoint keeps"):
            getattr(sim, name)


@pytest.mark.looptime
async def test_a_url_cannot_follow_the_virtual_clock(marketo_producer: Factory) -> None:
    """url= in a looptime test is refused, saying what to do instead."""
    with pytest.raises(ConfigError, match=r"url= .* cannot follow the virtual clock.* app="):
        await marketo_producer(run(), url="http://127.0.0.1:9/", env=ENV)


async def test_the_virtual_clock_needs_the_looptime_mark(marketo_producer: Factory) -> None:
    """Without @pytest.mark.looptime the test's loop keeps real time: refused, with the fix."""
    with pytest.raises(ConfigError, match=r"mark the test @pytest\.mark\.looptime"):
        await marketo_producer(run(), app=consumer(), env=ENV)


def test_a_user_test_file_passes_with_the_plugin(pytester: pytest.Pytester) -> None:
    """A consumer's own test in strict asyncio mode passes under -p simulator.pytest_plugin."""
    pytester.makeini(
        """
        [pytest]
        asyncio_mode = strict
        asyncio_default_fixture_loop_scope = function
        filterwarnings = error
        """
    )
    pytester.makepyfile(
        test_consumer=textwrap.dedent(
            """
            import pytest
            from aiohttp import web

            RUN = '''
            munchkinId: 123-ABC-456
            subscriptions: [{name: leads, rate: 10, delivery: {phase: aligned}}]
            '''

            async def ok(request):
                return web.Response()

            @pytest.mark.asyncio
            @pytest.mark.looptime
            async def test_consumer(marketo_producer):
                app = web.Application()
                app.router.add_post("/", ok)
                sim = await marketo_producer(RUN, app=app)
                await sim.advance(60)
                assert len(sim.attempts("leads")) == 30
                assert sim.ledger("leads").acknowledged == 600
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", *IN_PROCESS)
    result.assert_outcomes(passed=1)


def test_teardown_stops_the_run_where_the_test_left_it(pytester: pytest.Pytester) -> None:
    """After the test, the app no longer listens and the run ended at the test's last instant."""
    pytester.makeini(INI)
    pytester.makepyfile(
        test_consumer=textwrap.dedent(
            """
            import aiohttp
            import pytest
            from aiohttp import web

            RUN = "{munchkinId: 123-ABC-456, subscriptions: [{name: leads}]}"
            SIMS = []

            async def ok(request):
                return web.Response()

            @pytest.mark.looptime
            async def test_consumer(marketo_producer):
                app = web.Application()
                app.router.add_post("/", ok)
                SIMS.append(await marketo_producer(RUN, app=app))
                await SIMS[0].advance(90)

            async def test_after_teardown():
                assert SIMS[0].now == 90.0
                async with aiohttp.ClientSession() as session:
                    with pytest.raises(aiohttp.ClientConnectionError):
                        await session.post(SIMS[0].url, data=b"{}")
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", *IN_PROCESS)
    result.assert_outcomes(passed=2)


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    """examples/test_consumer_example.py passes against examples/good_consumer.py."""
    pytester.makeini(INI)
    examples = ROOT / "examples"
    pytester.path.joinpath("good_consumer.py").write_text(
        (examples / "good_consumer.py").read_text()
    )
    # (under another name: a run that collects examples/ too has imported the original)
    pytester.path.joinpath("test_readme_example.py").write_text(
        (examples / "test_consumer_example.py").read_text()
    )
    result = pytester.runpytest("-p", "no:cacheprovider", *IN_PROCESS)
    result.assert_outcomes(passed=1)


@pytest.mark.looptime
async def test_assert_all_acknowledged_explains_with_the_failed_attempts(
    marketo_producer: Factory,
) -> None:
    """A consumer answering 503: the message gives the ledger, the answers counted and the
    failed attempts one per line, instead of a bare set comparison."""
    sim = await marketo_producer(run(rate=10), app=consumer(status=503), env=ENV)
    await sim.advance(200)
    with pytest.raises(AssertionError) as failure:
        sim.assert_all_acknowledged("leads")
    assert str(failure.value) == "\n".join(
        [
            "leads: 0 of 2000 events acknowledged (queued 1980, in flight 20)",
            "attempts by answer: 2 x HTTP 503",
            "the latest 2 failed attempts (of 2 kept):",
            "  +00:00:02.000 leads push #1 of 20 events: HTTP 503, then retrying",
            "  +00:03:02.000 leads retry #2 of 20 events: HTTP 503, then retrying",
            "now: 200 s; states: leads retrying",
        ]
    )


@pytest.mark.looptime
async def test_assert_no_failed_attempts_counts_every_failure(marketo_producer: Factory) -> None:
    """Two 503s then recovery: every event is acknowledged, but two attempts failed."""
    app = consumer(status=503)
    sim = await marketo_producer(run(rate=10), app=app, env=ENV)
    await sim.advance(190)
    app[STATUS][0] = 200
    await sim.advance(200)
    sim.assert_all_acknowledged()
    with pytest.raises(AssertionError, match=r"^2 of \d+ attempts failed\nattempts by answer: "):
        sim.assert_no_failed_attempts()
    assert sim.outcomes()["HTTP 503"] == 2


@pytest.mark.looptime
async def test_the_attempt_log_keeps_the_newest_and_counts_them_all(
    marketo_producer: Factory,
) -> None:
    """Past its bound the log drops the oldest attempts; `outcomes` still counts every one."""
    sim = await marketo_producer(run(rate=10), app=consumer(), env=ENV)
    log = sim._runner.watcher.recorder
    log.attempts = deque(maxlen=5)
    await sim.advance(20)
    assert [a.at for a in sim.attempts("leads")] == [12.0, 14.0, 16.0, 18.0, 20.0]
    assert sim.attempts_dropped == 5
    assert sim.outcomes("leads") == {"HTTP 200": 10}


@pytest.mark.looptime
async def test_an_asgi_app_is_served_in_the_tests_loop(marketo_producer: Factory) -> None:
    """A bare ASGI callable is served by uvicorn on 127.0.0.1 and follows the virtual clock."""
    bodies: list[bytes] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        message = await receive()
        bodies.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sim = await marketo_producer(run(rate=10), app=app, env=ENV)
    await sim.advance(6)
    assert sim.url.startswith("http://127.0.0.1:")
    assert [(a.at, a.status) for a in sim.attempts("leads")] == [(2.0, 200), (4.0, 200), (6.0, 200)]
    assert len(bodies) == 3


@pytest.mark.looptime
async def test_an_asgi_app_without_uvicorn_says_what_to_install(
    marketo_producer: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without uvicorn, serving an ASGI app fails with the install command."""
    monkeypatch.setitem(sys.modules, "uvicorn", None)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("never served")

    with pytest.raises(ConfigError, match=r"needs uvicorn: pip install 'marketo-stream"):
        await marketo_producer(run(), app=app, env=ENV)


@pytest.mark.looptime
async def test_an_app_of_another_kind_is_refused(marketo_producer: Factory) -> None:
    """app= that is neither aiohttp nor ASGI: a ConfigError naming what it takes."""
    with pytest.raises(ConfigError, match=r"app= takes an aiohttp Application or an ASGI"):
        await marketo_producer(run(), app=42, env=ENV)  # type: ignore[arg-type]


@pytest.mark.looptime
async def test_an_asgi_app_whose_startup_fails_is_refused(marketo_producer: Factory) -> None:
    """An app whose lifespan startup fails: a ConfigError, not uvicorn's SystemExit."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(ConfigError, match=r"the consumer app did not start: its lifespan startup"):
        await marketo_producer(run(), app=app, env=ENV)
