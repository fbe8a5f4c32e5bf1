"""The control API of a running producer (`simulator.control.server`): steps posted while a
run goes are applied now, through the director, as the file's steps are; the status document
tells what the machines hold. Played on the virtual clock against the embedded dev endpoint,
the API reached over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiohttp import web
from loopback import client_session

from simulator.control.server import BODY_MAX, ControlServer
from simulator.core.delivery import Ledger
from simulator.core.records import AttemptRecord, StateChange
from simulator.fleet.shard import Shard, sliced
from simulator.reports.console import Recorder
from simulator.runfile.scenario import RunSpec, parse_run
from simulator.runfile.steps import StepSpec
from simulator.shell.clock import run_virtual
from simulator.shell.publisher import Publisher
from simulator.shell.transit import transit
from simulator.timeline.director import JOURNAL_GRACE, Director
from simulator.timeline.replay import replay

RUN = """\
munchkinId: 123-ABC-456
{receiver}subscriptions:
  - name: leads
    auth: {{type: token, tokenEnv: CTL_TOKEN}}
    rate: {rate}
    delivery: {{phase: aligned, retryInterval: 4s}}   # slots at 0, 2, 4 s
  - name: io
    profile: adobe-io
    rate: 0
timeline:
{steps}
"""
TOKEN = "control-token-1"


def run_file(*, rate: float = 0, steps: str = "", token: bool = True) -> RunSpec:
    """The run of `leads` (legacy, `rate`) and `io` (Adobe I/O, no traffic), with `steps` as its
    timeline; `token`: the control routes need TOKEN."""
    receiver = "receiver: {tokenEnv: CTL_TOKEN}\n" if token else ""
    text = RUN.format(rate=rate, steps=steps or "  []", receiver=receiver)
    if not steps:
        text = text.replace("timeline:\n  []\n", "")
    return parse_run(text, environ={"CTL_TOKEN": TOKEN})


@dataclass(slots=True)
class Steered:
    """What a test reads of a steered run: each answer (status, JSON), and the run's records."""

    answers: list[tuple[int, Any]] = field(default_factory=list)
    attempts: list[AttemptRecord] = field(default_factory=list)
    changes: list[StateChange] = field(default_factory=list)
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    live: list[tuple[float, StepSpec]] = field(default_factory=list)
    steps: list[tuple[float, str]] = field(default_factory=list)  # every line said, in order
    backfilled: dict[str, int] = field(default_factory=dict)
    ended_at: float = 0.0


Request = tuple[float, str, str, bytes | None, dict[str, str]]


def steered(run: RunSpec, requests: Sequence[Request], *, until: float) -> Steered:
    """Play `run` until `until` with its control API up; each request (at simulated time t:
    method, path, body, headers) is made then, in order."""
    return run_virtual(_steer(run, requests, until))


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(t: float, step: object, headers: dict[str, str] | None = None) -> Request:
    return (t, "POST", "steps", orjson.dumps(step), bearer() if headers is None else headers)


def get(t: float, path: str = "status", headers: dict[str, str] | None = None) -> Request:
    return (t, "GET", path, None, bearer() if headers is None else headers)


async def _steer(run: RunSpec, requests: Sequence[Request], until: float) -> Steered:
    token = run.receiver.token
    server = ControlServer(token=token.reveal() if token else None, clock="virtual")
    url = await server.start()
    out, recorder = Steered(), Recorder()
    tasks: list[asyncio.Task[None]] = []

    async def ask(director: Director) -> None:
        assert director.producer.engine is not None
        clock = director.producer.engine.clock
        async with client_session() as session:
            for t, method, path, body, headers in requests:
                await clock.sleep_until(t)
                async with session.request(
                    method, url + path, data=body, headers=headers
                ) as answer:
                    raw = await answer.read()
                    out.answers.append((answer.status, orjson.loads(raw) if raw else None))

    def directed(director: Director) -> None:
        server.attach(director)
        out.live = director.live
        out.backfilled = director.backfilled
        tasks.append(asyncio.create_task(ask(director)))

    try:
        recording = await replay(
            run, duration=until, observers=[recorder, server.observer], on_director=directed
        )
    finally:
        server.end()
        await server.stop()
    assert all(task.done() for task in tasks), "every request was answered before the end"
    out.attempts, out.changes, out.ledgers = recorder.attempts, recorder.changes, recording.ledgers
    out.steps, out.ended_at = recording.steps, recording.ended_at
    return out


def legacy(attempts: list[AttemptRecord]) -> list[tuple[float, str, int, str]]:
    return [(a.at, a.kind, a.events, a.outcome) for a in attempts if a.subscription == "leads"]


# -- applying steps now ---------------------------------------------------------------------------


def test_a_posted_burst_is_produced_now_and_pushed_at_the_next_slot() -> None:
    """A burst posted at 5.5 s is answered with its time; its events go in the 6 s push."""
    played = steered(
        run_file(), [post(5.5, {"burst": {"subscription": "leads", "count": 300}})], until=10
    )
    assert played.answers == [
        (200, {"at": 5.5, "step": "burst: subscription=leads, count=300", "note": ""})
    ]
    assert legacy(played.attempts) == [(6.0, "push", 300, "success")]
    assert played.ledgers["leads"].produced == 300


def test_a_step_that_lands_while_a_push_is_in_flight_says_a_replay_may_differ() -> None:
    """The endpoint answers in 1 s: a step at 2.5 s meets the 2 s push in flight. Where it lands
    among pushes depends on answer times, which a replay on the virtual clock does not have
    the same: the answer says so, naming the subscription."""
    text = RUN.format(rate=10, steps="  []", receiver="receiver: {latency: 1s}\n")
    run = parse_run(text.replace("timeline:\n  []\n", ""), environ={"CTL_TOKEN": TOKEN})
    played = steered(run, [post(2.5, {"endpoint": {"latency": 1.0}}, headers={})], until=4)
    ((status, answer),) = played.answers
    assert status == 200
    assert answer["note"].startswith("leads had a push due or in flight: ")
    assert "a replay may meet this step at another push" in answer["note"]


def test_a_posted_rate_changes_the_traffic_from_now_on() -> None:
    """A rate of 10/s posted at 3 s produces 10 events a second from then: 70 by 10 s."""
    played = steered(
        run_file(), [post(3, {"rate": {"subscription": "leads", "rate": 10}})], until=10
    )
    assert played.answers[0][0] == 200
    assert played.ledgers["leads"].produced == 70
    assert legacy(played.attempts)[0] == (4.0, "push", 10, "success")


def test_a_posted_step_plays_as_the_same_step_in_the_file() -> None:
    """Bursts, a rate change and an outage posted live give the attempts and state changes the
    same steps give written in the file at the times the API answered."""
    steps: list[tuple[float, dict[str, Any]]] = [
        (3.5, {"burst": {"subscription": "leads", "count": 200}}),
        (7.0, {"endpoint": {"status": 503}}),
        (9.0, {"rate": {"subscription": "leads", "rate": 20}}),
        (15.0, {"endpoint": "normal"}),
    ]
    live = steered(run_file(rate=5), [post(t, step) for t, step in steps], until=30)
    written = "\n".join(
        f"  - {orjson.dumps({'at': answer['at'], **step}).decode()}"
        for (_, step), (_, answer) in zip(steps, live.answers, strict=True)
    )
    filed = steered(run_file(rate=5, steps=written), [], until=30)
    assert legacy(live.attempts) == legacy(filed.attempts)
    assert [(c.at, c.old, c.new) for c in live.changes] == [
        (c.at, c.old, c.new) for c in filed.changes
    ]
    assert ("retrying", "active") in [(c.old, c.new) for c in live.changes]


def test_the_applied_steps_are_kept_for_the_recording_with_their_time() -> None:
    """Each step applied live is kept, at the time it was applied; a refused one is not."""
    played = steered(
        run_file(),
        [post(1, {"rotateKeys": True}), post(2, {"enable": "leads"}), post(4, {"expireTokens": 1})],
        until=5,
    )
    assert [(at, step.action, step.at) for at, step in played.live] == [(1.0, "rotate_keys", 1.0)]


@pytest.fixture
def slow_journal(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Make the publisher answer each journal request `seconds` (simulated) late."""

    def slow(seconds: float) -> None:
        answer = Publisher._journal

        async def late(self: Publisher, request: web.Request) -> web.Response:
            with transit().holding():  # a server that thinks holds what it was sent
                await asyncio.sleep(seconds)
            return await answer(self, request)

        monkeypatch.setattr(Publisher, "_journal", late)

    return slow


def test_the_end_waits_for_a_live_backfill_still_reading(
    slow_journal: Callable[[float], None],
) -> None:
    """`io` produces 100 events a second from 1 s; a backfill posted at 9 s of a 10 s run, its
    journal answering each request 1.5 s late: the end waits for its two (the 900 events of the
    run at 10.5 s, then 204 at 12 s), says what it read, and stays the end: the run ended at
    10 s, and the journal read after it holds what was produced by then, no more."""
    slow_journal(1.5)
    requests = [post(1, {"rate": {"subscription": "io", "rate": 100}}), post(9, {"backfill": "io"})]
    played = steered(run_file(), requests, until=10)
    assert [status for status, _ in played.answers] == [200, 200]
    assert played.ended_at == 10.0
    assert played.ledgers["io"].produced == 900
    assert played.backfilled == {"io": 900}
    assert played.steps[-1] == (
        10.0,
        "journal read of io: 900 events, finished after the run's end",
    )


def test_the_end_cuts_short_a_backfill_read_after_the_grace(
    slow_journal: Callable[[float], None],
) -> None:
    """Pages 4 s late: the first (1,000 events) comes at 13 s, the second would at 17 s, past
    the 5 s the end waits: the read is cut short, and what it read is said and counted."""
    slow_journal(4.0)
    requests = [
        post(1, {"burst": {"subscription": "io", "count": 1500}}),
        post(9, {"backfill": "io"}),
    ]
    played = steered(run_file(), requests, until=10)
    assert played.backfilled == {"io": 1000}
    assert played.steps[-1] == (
        10.0,
        f"journal read of io: 1,000 events, cut short {JOURNAL_GRACE:g} s after the run's end",
    )
    assert played.ended_at == 10.0


def test_a_backfill_read_that_fails_says_so_when_it_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal answers 200 with a body that is not JSON: the read fails at once, and says
    so at that time, not at the run's end."""

    async def garbled(self: Publisher, request: web.Request) -> web.Response:
        return web.Response(text="not json")

    monkeypatch.setattr(Publisher, "_journal", garbled)
    played = steered(run_file(), [post(2, {"backfill": "io"})], until=10)
    said = [(at, text) for at, text in played.steps if text.startswith("journal read")]
    assert len(said) == 1
    assert said[0][0] == 2.0
    assert said[0][1].startswith("journal read of io: 0 events, then it failed: ")


# -- refusals -------------------------------------------------------------------------------------


REFUSED: list[tuple[object, int, str]] = [
    (
        {"burst": {"subscription": "nobody", "count": 5}},
        422,
        "burst: no subscription is named 'nobody' (there are: leads, io)",
    ),
    ({"enable": "leads"}, 409, "enable: applies to adobe-io subscriptions"),
    ({"deprovision": "io"}, 409, "deprovision: applies to marketo-legacy subscriptions"),
    (
        {"reprovision": "leads"},
        409,
        "reprovision: leads: can't handle reprovision when state=active",
    ),
    ({"enable": "io"}, 409, "enable: the registration 'io' is active, not disabled"),
    (
        {"expireTokens": True},
        409,
        "expireTokens: needs the embedded identity provider: add receiver.oauth",
    ),
    ({"burst": {"subscription": "leads"}}, 422, "burst.count: is required"),
    ({"at": 3, "rotateKeys": True}, 422, "at: a step given live happens now"),
    ({"rotateKeys": True, "enable": "io"}, 422, "enable: does one thing per step: split it"),
    ({}, 422, "needs one action"),
    ([1], 422, "the body must be one step, a JSON object"),
]


@pytest.fixture(scope="module")
def refusals() -> Steered:
    """One run that is posted each step of REFUSED at 1 s, in order."""
    return steered(run_file(), [post(1, step) for step, _, _ in REFUSED], until=2)


@pytest.mark.parametrize(
    ("index", "status", "error"), [(i, c[1], c[2]) for i, c in enumerate(REFUSED)]
)
def test_a_step_the_run_cannot_apply_is_refused_with_why(
    refusals: Steered, index: int, status: int, error: str
) -> None:
    """422: the step is no step or names no subscription; 409: the run cannot apply it. The
    message names the field, as the scenario checker does for a file; nothing is applied."""
    got, answer = refusals.answers[index]
    assert got == status
    assert answer["error"].startswith(error), answer["error"]
    assert refusals.live == []


def test_a_step_for_another_shards_subscription_is_refused_and_not_kept() -> None:
    """Shard 4/4 plays `leads` only: a burst for `io` (shard 2's) is refused, 409 saying to
    steer the process that plays it, and is not kept for the recording; one for `leads` is."""
    played = steered(
        sliced(run_file(), Shard(4, 4)),
        [
            post(1, {"burst": {"subscription": "io", "count": 5}}),
            post(2, {"burst": {"subscription": "leads", "count": 5}}),
        ],
        until=3,
    )
    assert played.answers[0] == (
        409,
        {"error": "burst: 'io' is another shard's: steer the process that plays it"},
    )
    assert played.answers[1][0] == 200
    assert [(at, step.label()) for at, step in played.live] == [
        (2.0, "burst: subscription=leads, count=5")
    ]


def test_every_route_needs_the_runs_control_token_when_one_is_set() -> None:
    """401 without the token or with another; Bearer or ?token= carry it."""
    played = steered(
        run_file(),
        [
            get(1, headers={}),
            get(1, headers=bearer("wrong")),
            post(1, {"rotateKeys": True}, headers={}),
            get(1, headers=bearer()),
            get(1, f"status?token={TOKEN}", headers={}),
            get(1, "?token=nope", headers={}),
        ],
        until=2,
    )
    assert [status for status, _ in played.answers] == [401, 401, 401, 200, 200, 401]


def test_a_run_without_a_token_is_open() -> None:
    """No control token in the run file: the routes are open, as the dev endpoint's are."""
    played = steered(run_file(token=False), [get(1, headers={})], until=2)
    assert played.answers[0][0] == 200


def test_a_body_larger_than_the_bound_is_refused() -> None:
    """A step is a few hundred bytes: a body over BODY_MAX is refused unread (413)."""
    body = b'{"note": "' + b"x" * BODY_MAX + b'", "rotateKeys": true}'
    played = steered(run_file(), [(1, "POST", "steps", body, bearer())], until=2)
    assert played.answers[0][0] == 413


# -- the status document --------------------------------------------------------------------------


def test_the_status_document_tells_each_subscription_now() -> None:
    """At 5.5 s, after a burst of 300 at 3.5 s pushed at 4 s and 40 more at 5 s, not yet pushed."""
    played = steered(
        run_file(),
        [
            post(3.5, {"burst": {"subscription": "leads", "count": 300}}),
            post(5, {"burst": {"subscription": "leads", "count": 40}}),
            get(5.5),
        ],
        until=6,
    )
    document = played.answers[2][1]
    ledger = {"produced": 340, "acknowledged": 300, "expired": 0, "discarded": 0, "dropped": 0}
    assert document["subscriptions"][0] == {
        "name": "leads",
        "profile": "marketo-legacy",
        "state": "active",
        "queued": 40,
        "inFlight": 0,
        "oldestEventAge": 0.5,
        "nextAttemptAt": 6.0,
        "ledger": {**ledger, "queued": 40, "inFlight": 0},
    }
    assert (document["version"], document["now"], document["clock"]) == (1, 5.5, "virtual")
    assert (document["shown"], document["of"], document["ended"]) == (2, 2, False)
    assert document["totals"]["produced"] == 340
    assert document["totals"]["states"] == {"active": 2}
    assert [s["text"] for s in document["steps"]] == [
        "burst: subscription=leads, count=300",
        "burst: subscription=leads, count=40",
    ]
    challenge = {"subscription": "io", "old": "pending", "new": "active"}
    assert document["changes"] == [{"at": 0.0, **challenge, "reason": "challenge answered"}]


def test_a_limited_status_shows_the_subscriptions_in_trouble_first() -> None:
    """limit=1 of two: the one retrying behind an outage, with shown 1 of 2; totals of both."""
    played = steered(
        run_file(rate=10),
        [post(1, {"endpoint": {"status": 503}}), get(5, "status?limit=1")],
        until=6,
    )
    document = played.answers[1][1]
    assert [row["name"] for row in document["subscriptions"]] == ["leads"]
    assert document["subscriptions"][0]["state"] == "retrying"
    assert (document["shown"], document["of"]) == (1, 2)
    assert document["totals"]["states"] == {"retrying": 1, "active": 1}


def test_no_step_is_taken_before_the_run_has_started() -> None:
    """Before the director is attached, a step answers 503 and the status has no rows."""

    async def early() -> tuple[int, dict[str, Any], dict[str, Any]]:
        server = ControlServer(token=None, clock="real")
        url = await server.start()
        try:
            async with client_session() as session:
                async with session.post(url + "steps", data=b'{"rotateKeys": true}') as answer:
                    status, refused = answer.status, await answer.json()
                async with session.get(url + "status") as answer:
                    document = await answer.json()
        finally:
            await server.stop()
        return status, refused, document

    status, refused, document = run_virtual(early())
    assert (status, refused) == (503, {"error": "the run is starting: try again in a moment"})
    assert (document["subscriptions"], document["of"], document["clock"]) == ([], 0, "real")
