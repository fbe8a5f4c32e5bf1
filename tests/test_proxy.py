"""The fault proxy in front of a real consumer: it forwards what the producer sends and fails
requests as its Behaviour says, the dev endpoint's way. On the virtual clock, against an aiohttp
consumer on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import math
import re
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from loopback import client_session, served, virtual
from multidict import CIMultiDict, CIMultiDictProxy

from simulator.cli import main
from simulator.core.behaviour import Behaviour, Window
from simulator.core.outcome import OutcomeKind
from simulator.endpoint.bodies import parse_delivery
from simulator.endpoint.faults import Draws
from simulator.endpoint.proxy import HOP_BY_HOP, FaultProxy, _end_to_end
from simulator.errors import ConfigError
from simulator.reports.console import Recorder
from simulator.runfile.scenario import parse_run
from simulator.runfile.steps import StepSpec
from simulator.timeline.director import Director, StepRefused
from simulator.timeline.replay import against, replay

SEEN = web.AppKey("seen", list)


def upstream() -> web.Application:
    """A consumer that records each request (method, query, auth, body) and answers 201."""
    app = web.Application()
    app[SEEN] = []

    async def any_request(request: web.Request) -> web.Response:
        body = await request.read()
        app[SEEN].append(
            (request.method, dict(request.query), request.headers.get("Authorization"), body)
        )
        return web.Response(status=201, text="stored", headers={"X-Consumer": "yes"})

    app.router.add_route("*", "/hook", any_request)
    return app


async def proxied(app: web.Application, behaviour: Behaviour) -> AsyncIterator[FaultProxy]:
    async with served(app) as url:
        proxy = FaultProxy(url + "hook", behaviour=behaviour)
        await proxy.start()
        try:
            yield proxy
        finally:
            await proxy.stop()


@virtual
async def test_a_delivery_is_forwarded_with_its_body_query_and_token() -> None:
    """A 2xx behaviour forwards: the consumer sees the POST as sent, and its answer (status,
    body, headers) comes back through the proxy."""
    app = upstream()
    async for proxy in proxied(app, Behaviour()):
        async with (
            client_session() as http,
            http.post(
                proxy.url + "?x=1", data=b'{"a": 1}', headers={"Authorization": "Bearer t"}
            ) as answer,
        ):
            assert (answer.status, await answer.text()) == (201, "stored")
            assert answer.headers["X-Consumer"] == "yes"
        assert app[SEEN] == [("POST", {"x": "1"}, "Bearer t", b'{"a": 1}')]
        assert proxy.forwarded == 1


@virtual
async def test_a_failure_status_is_answered_without_forwarding() -> None:
    """status: 503 is answered by the proxy; the consumer never sees the batch."""
    app = upstream()
    async for proxy in proxied(app, Behaviour(status=503)):
        async with client_session() as http, http.post(proxy.url, data=b"{}") as answer:
            assert answer.status == 503
        assert app[SEEN] == []
        assert proxy.stats.injected_failures == 1


def batch(message_id: str) -> bytes:
    """A legacy batch of one activity, as the producer sends it."""
    wrapper = {
        "sourceApplication": "Marketo",
        "munchkinId": "123-ABC-456",
        "messageId": message_id,
        "messageCreatedDate": "2026-01-01T00:00:00Z",
        "activities": [{"marketoGUID": f"{message_id}-1"}],
    }
    return json.dumps(wrapper).encode()


async def failed_ids(order: list[str], rate: float) -> set[str]:
    """The messageIds a failure_rate proxy failed when the batches came in `order`, all at
    proxy time 0."""
    app = upstream()
    failed: set[str] = set()
    async for proxy in proxied(app, Behaviour(failure_rate=rate)):
        proxy.clock = lambda: 0.0
        async with client_session() as http:
            for message_id in order:
                async with http.post(proxy.url, data=batch(message_id)) as answer:
                    if answer.status == 503:
                        failed.add(message_id)
    return failed


@virtual
async def test_the_failure_draw_is_per_delivery_as_at_the_dev_endpoint() -> None:
    """failure_rate draws on the delivery's id and time (`faults.Draws`), not on a sequence: the
    same deliveries fail whatever came before them, so a shard fails what the whole run fails."""
    ids = [f"m{i}" for i in range(40)]
    forward = await failed_ids(ids, 0.5)
    backward = await failed_ids(ids[::-1], 0.5)
    draws = Draws(0)
    expected = {i for i in ids if draws.draw(parse_delivery(batch(i)), 0.0) < 0.5}
    assert forward == backward == expected
    assert 0 < len(expected) < len(ids)


@virtual
async def test_latency_is_added_before_forwarding() -> None:
    """latency: 19.5 s passes (virtual time) before the consumer sees the request."""
    app = upstream()
    async for proxy in proxied(app, Behaviour(latency=19.5)):
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with client_session() as http, http.post(proxy.url, data=b"{}") as answer:
            assert answer.status == 201
        assert math.isclose(loop.time() - began, 19.5, abs_tol=0.01)


@virtual
async def test_an_outage_window_refuses_and_the_consumer_sees_nothing() -> None:
    """Inside a refuse window the connection drops unanswered; after it, requests go through."""
    app = upstream()
    clock = [0.0]
    outage = Behaviour(outages=(Window(start=0.0, end=60.0, mode="refuse"),))
    async for proxy in proxied(app, outage):
        proxy.clock = lambda: clock[0]
        async with client_session() as http:
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.post(proxy.url, data=b"{}")
            clock[0] = 60.0
            async with http.post(proxy.url, data=b"{}") as answer:
                assert answer.status == 201
        assert len(app[SEEN]) == 1
        assert proxy.stats.refused == 1


@virtual
async def test_an_unreachable_consumer_shows_as_a_dropped_connection() -> None:
    """Nothing listening behind the proxy: the producer sees a connection error, not a status."""
    proxy = FaultProxy("http://127.0.0.1:9/")
    await proxy.start()
    try:
        async with client_session() as http:
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.post(proxy.url, data=b"{}")
    finally:
        await proxy.stop()


def test_the_upstream_must_be_an_http_url() -> None:
    """A bad upstream is refused when the proxy is made."""
    with pytest.raises(ConfigError, match=r"fault proxy: 'ftp://x/' is not an http\(s\) URL"):
        FaultProxy("ftp://x/")


# -- a scenario against a real consumer ----------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OUTAGE = """\
munchkinId: 123-ABC-456
duration: 10m
subscriptions:
  - name: leads
    rate: 10
    auth: {type: token, tokenEnv: SIM_TOKEN}
    delivery: {phase: aligned}
timeline:
  - at: 59s
    endpoint: {refuse: true}
    note: the consumer's host goes down
  - at: 4m30s
    endpoint: normal
expect:
  - {subscription: leads, state: retrying, by: 62s}
  - {subscription: leads, state: active, at: 9m}
  - {subscription: leads, noLoss: true}
  - endpoint: {duplicates: 0}
"""


def good_consumer() -> ModuleType:
    """examples/good_consumer.py, imported by path once (it is a script, not a package)."""
    if "good_consumer" in sys.modules:
        return sys.modules["good_consumer"]
    spec = importlib.util.spec_from_file_location("good_consumer", EXAMPLES / "good_consumer.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["good_consumer"] = module
    spec.loader.exec_module(module)
    return module


@virtual
async def test_an_outage_step_reaches_a_real_consumer_through_the_proxy() -> None:
    """`replay --endpoint` against examples/good_consumer.py: the refuse step drops the pushes
    from 59 s to 4 min 30 s (connection errors in the attempt log), the run recovers, and the check
    only the embedded endpoint can judge is skipped with the reason."""
    app = good_consumer().create_app(token="t")
    async with served(app) as url:
        run = against(parse_run(OUTAGE, environ={"SIM_TOKEN": "t"}), url)
        recorder = Recorder()
        # The consumer runs in this loop, so the real-clock replay follows the virtual clock.
        recording = await replay(run, virtual=False, observers=[recorder])
    failed = [(a.at, a.kind) for a in recorder.attempts if a.outcome != OutcomeKind.SUCCESS]
    assert failed == [(60.0, "push"), (240.0, "retry")]
    assert {a.outcome for a in recorder.attempts if a.at in (60.0, 240.0)} == {
        OutcomeKind.CONNECTION_ERROR
    }
    assert recording.steps == [
        (59.0, "the consumer's host goes down (at the fault proxy)"),
        (270.0, "endpoint: normal (at the fault proxy)"),
    ]
    verdicts = {v.name: (v.passed, v.skipped) for v in recording.verdicts}
    assert verdicts["endpoint duplicates 0"] == (
        True,
        "the embedded dev endpoint counts this; the subscriptions push to another endpoint "
        "(--endpoint), whose own records are the consumer's to check",
    )
    assert all(v.passed for v in recording.verdicts), recording.verdicts


@contextlib.contextmanager
def serving_elsewhere(app: web.Application) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 from a thread with its own loop, as a consumer in another
    process would be; yields its URL."""
    loop = asyncio.new_event_loop()
    ready: list[str] = []
    runner = web.AppRunner(app, access_log=None)

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        ready.append(f"http://127.0.0.1:{runner.addresses[0][1]}/")

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield ready[0]
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


CLI_SCENARIO = """\
munchkinId: 123-ABC-456
duration: 30s
subscriptions:
  - name: leads
    rate: 10
    auth: {type: token, tokenEnv: PROXY_TEST_TOKEN}
timeline:
  - at: 9s
    endpoint: {status: 503}
expect:
  - endpoint: {duplicates: 0}
"""


def test_replay_against_an_endpoint_names_the_proxy_and_skips_endpoint_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`marketo-sim replay FILE --endpoint URL` says at the start where the fault proxy listens,
    and reports the embedded endpoint's check as SKIP with the reason, not as a failure. (On a
    scaled clock: 30 simulated seconds at --speed 60.)"""
    monkeypatch.setenv("PROXY_TEST_TOKEN", "t")
    path = tmp_path / "scenario.yaml"
    path.write_text(CLI_SCENARIO)
    with serving_elsewhere(good_consumer().create_app(token="t")) as url:
        code = main(["replay", str(path), "--endpoint", url, "--speed", "60"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(
        rf"scenario.yaml: fault proxy http://127\.0\.0\.1:\d+/ in front of {re.escape(url)}", out
    )
    assert (
        "SKIP endpoint duplicates 0: the embedded dev endpoint counts this; the subscriptions "
        "push to another endpoint (--endpoint), whose own records are the consumer's to check"
    ) in out
    assert "0 passed, 0 failed, 1 skipped" in out


HEADER_NAMES = st.sampled_from(
    [
        "Authorization",
        "Content-Type",
        "X-Trace",
        "Connection",
        "Keep-Alive",
        "Host",
        "TE",
        "Transfer-Encoding",
        "Content-Length",
        "Upgrade",
        "X-Drop-Me",
    ]
)


@given(st.lists(st.tuples(HEADER_NAMES, st.text("abc, ", max_size=12)), max_size=12))
def test_forwarded_headers_are_the_end_to_end_ones(headers: list[tuple[str, str]]) -> None:
    """Whatever the headers, the hop-by-hop ones and those `Connection` names are dropped, and
    every other one is kept, in order, with its value."""
    given_headers = CIMultiDictProxy(CIMultiDict(headers))
    named = {t.strip().lower() for k, v in headers if k == "Connection" for t in v.split(",")}
    kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP and k.lower() not in named]
    assert list(_end_to_end(given_headers).items()) == kept


STEERED = """\
munchkinId: 123-ABC-456
duration: 16s
subscriptions:
  - name: leads
    endpoint: http://127.0.0.1:9/   # replaced by the test's consumer
    rate: 5
    delivery: {phase: aligned, retryInterval: 4s}
"""


async def steered_against_consumer(*, steerable: bool) -> tuple[list[str], Recorder, web.App]:
    """STEERED against a real consumer in this loop, with an endpoint outage given live at 5 s
    (503) and lifted at 9 s: the director's answers ("refused: ..." when it cannot)."""
    app = upstream()
    answers: list[str] = []
    recorder = Recorder()

    async def steer(director: Director) -> None:
        assert director.producer.engine is not None
        clock = director.producer.engine.clock
        for at, step in ((5.0, {"status": 503}), (9.0, "normal")):
            await clock.sleep_until(at)
            try:
                answers.append(director.apply_live(StepSpec(at=at, endpoint=step), clock.now()))
            except StepRefused as refused:
                answers.append(f"refused: {refused}")

    tasks: list[asyncio.Task[None]] = []
    async with served(app) as url:
        run = against(parse_run(STEERED), url + "hook")
        await replay(
            run,
            virtual=False,
            observers=[recorder],
            steerable=steerable,
            on_director=lambda director: tasks.append(asyncio.create_task(steer(director))),
        )
    return answers, recorder, app


@virtual
async def test_a_run_with_a_control_api_puts_a_proxy_before_a_real_consumer() -> None:
    """`run --control-port` against a real consumer: the fault proxy stands in front of it from
    the start, so a live endpoint outage from 5 s to 9 s answers the 6 s push with 503 (the
    consumer never sees it), and its retry at 10 s gets through."""
    answers, recorder, app = await steered_against_consumer(steerable=True)
    assert answers == ["at the fault proxy", "at the fault proxy"]
    failed = [(a.at, a.status) for a in recorder.attempts if a.outcome != OutcomeKind.SUCCESS]
    assert failed == [(6.0, 503)]
    assert len(app[SEEN]) == len(recorder.attempts) - 1


@virtual
async def test_without_a_control_api_a_live_endpoint_step_is_refused() -> None:
    """No proxy without endpoint steps in the file and no control API: a live endpoint step
    has nothing to act on, and says so."""
    answers, _, _ = await steered_against_consumer(steerable=False)
    assert (
        answers
        == ["refused: endpoint: this run pushes to a real endpoint, not the embedded one"] * 2
    )
