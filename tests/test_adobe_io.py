"""Adobe I/O Events delivery end to end: run file, engine, dev endpoint, on the virtual clock."""

from __future__ import annotations

import pytest
from loopback import client_session

from simulator.core.registration import DropReason, Registration, RegistrationState
from simulator.producer import Producer, RunResult
from simulator.reports.console import Recorder
from simulator.runfile.scenario import parse_run
from simulator.shell.clock import run_virtual

MINUTE = 60.0
DAY = 86_400.0

ONE_EVENT = """\
munchkinId: 123-ABC-456
receiver:
  verifySignatures: true
{receiver}
subscriptions:
  - name: io
    profile: adobe-io
    rate: 0
    bursts: [{{at: 0.5s, count: {count}}}]
{io}
"""


def play(text: str, duration: float, *, actions=()) -> tuple[RunResult, Recorder, Producer]:
    recorder = Recorder()
    producer = Producer(parse_run(text), virtual=True, observers=[recorder], record=True)

    async def main() -> RunResult:
        import asyncio

        task = asyncio.create_task(producer.play(duration))
        for at, action in actions:
            await asyncio.sleep(at - asyncio.get_running_loop().time())
            await action(producer)
        return await task

    return run_virtual(main()), recorder, producer


def run_file(*, receiver: str = "", io: str = "", count: int = 1) -> str:
    return ONE_EVENT.format(receiver=receiver, io=io, count=count)


def registration(result: RunResult) -> Registration:
    machine = result.machines["io"]
    assert isinstance(machine, Registration)
    return machine


def test_events_arrive_as_signed_cloudevents() -> None:
    """A batch of 3 CloudEvents arrives at 1 s with both signatures valid."""
    result, _, producer = play(run_file(count=3), 10.0)
    receiver = producer.receiver
    assert receiver is not None
    (batch,) = receiver.received
    assert (batch.at, batch.kind, len(batch.events)) == (1.0, "io", 3)
    assert batch.headers["x-adobe-event-code"] == batch.events[0]["type"]
    assert batch.headers["x-adobe-event-id"] == batch.events[0]["eventid"]
    assert "x-adobe-retry-count" not in batch.headers
    assert receiver.stats.signatures_valid == 1
    assert receiver.stats.signatures_invalid == 0
    assert result.balanced


def test_retries_follow_the_1_2_4_8_15_minute_schedule() -> None:
    """Down for 20 minutes: attempts at 0, +1, +3, +7, +15 and +30 minutes, the last one lands."""
    down = "  outages: [{from: 0.5s, to: 20m, mode: status, status: 503}]"
    result, recorder, _ = play(run_file(receiver=down), 31 * MINUTE)
    assert [(a.at - 1.0) / MINUTE for a in recorder.attempts] == [0, 1, 3, 7, 15, 30]
    assert [a.status for a in recorder.attempts] == [503] * 5 + [200]
    assert result.ledgers["io"].acknowledged == 1


def test_retries_carry_the_retry_count_header_and_the_same_event_id() -> None:
    """Each retry says which one it is; the event id never changes."""
    down = "  outages: [{from: 0.5s, to: 5m, mode: status, status: 500}]"
    _, _, producer = play(run_file(receiver=down), 10 * MINUTE)
    assert producer.receiver is not None
    (batch,) = producer.receiver.received
    assert batch.headers["x-adobe-retry-count"] == "3"
    assert batch.at == 7 * MINUTE + 1.0


def test_a_4xx_is_not_retried_and_drops_the_event() -> None:
    """A 400 answer: one attempt, the event dropped."""
    result, recorder, _ = play(run_file(receiver="  status: 400"), DAY)
    assert [a.status for a in recorder.attempts] == [400]
    assert registration(result).dropped_by[DropReason.REFUSED] == 1
    assert result.balanced


def test_a_consumer_that_refuses_the_challenge_never_receives_an_event() -> None:
    """Challenge refused, the validation URL never opened: disabled at 5 minutes, nothing sent."""
    result, recorder, producer = play(
        run_file(receiver="  challenge: refuse", count=5), 10 * MINUTE
    )
    assert producer.receiver is not None
    assert producer.receiver.received == []
    reasons = [c.reason for c in recorder.changes if c.new == "disabled"]
    assert reasons == ["challenge failed: the validation URL was not opened in time"]
    assert result.ledgers["io"].dropped == 5


def test_the_async_validation_url_activates_the_registration() -> None:
    """A consumer that fails the GET but opens the validation URL gets its events."""
    receiver = "  challenge: refuse\n  confirmValidation: true"
    result, _, producer = play(run_file(receiver=receiver, count=2), 10 * MINUTE)
    assert producer.receiver is not None
    assert sum(len(b.events) for b in producer.receiver.received) == 2
    assert registration(result).state is RegistrationState.ACTIVE


def test_unstable_then_disabled_then_enabled_by_hand() -> None:
    """Ten events failing: unstable at once, disabled 24 h later, active again after enable."""
    down = "  outages: [{from: 0.5s, to: 30h, mode: status, status: 503}]"
    io = "    io: {delivery: single}"

    async def enable(producer: Producer) -> None:
        assert producer.publisher is not None
        async with client_session() as session:
            url = f"{producer.publisher.url}_sim/registrations/io/enable"
            async with session.post(url) as response:
                assert response.status == 200

    result, recorder, _ = play(
        run_file(receiver=down, io=io, count=10), 31 * 3600.0, actions=((30.5 * 3600, enable),)
    )
    changes = [(c.new, c.at) for c in recorder.changes]
    assert changes == [
        ("active", 0.0),
        ("unstable", 1.0),
        ("disabled", DAY + 1.0),
        ("pending", 30.5 * 3600),
        ("active", 30.5 * 3600),
    ]
    assert result.balanced


def test_the_publishers_control_routes_need_the_runs_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the dev endpoint's token set in the run file, the publisher's re-enable route needs it
    too: 401 without it; with it, the route is served."""
    monkeypatch.setenv("IO_CONTROL_TOKEN", "tok-SECRET")
    statuses: list[int] = []

    async def enable(producer: Producer) -> None:
        assert producer.publisher is not None
        url = f"{producer.publisher.url}_sim/registrations/io/enable"
        async with client_session() as session:
            for headers in ({}, {"Authorization": "Bearer tok-SECRET"}):
                async with session.post(url, headers=headers) as response:
                    statuses.append(response.status)

    text = run_file(receiver="  tokenEnv: IO_CONTROL_TOKEN")
    play(text, 2.0, actions=((1.5, enable),))
    assert statuses == [401, 409]  # past the token check: an active registration is not disabled


def test_enabling_a_registration_that_is_not_disabled_is_a_conflict() -> None:
    """The re-enable route on an active registration answers 409 with the machine's reason, not
    a 500 with a traceback in the log."""
    answers: list[tuple[int, object]] = []

    async def enable(producer: Producer) -> None:
        assert producer.publisher is not None
        url = f"{producer.publisher.url}_sim/registrations/io/enable"
        async with client_session() as session, session.post(url) as response:
            answers.append((response.status, await response.json()))

    play(run_file(), 2.0, actions=((1.5, enable),))
    assert answers == [
        (409, {"error": "conflict", "message": "io: can't handle enabled when state=active"})
    ]


def test_the_journal_keeps_events_while_the_webhook_fails() -> None:
    """Webhook down: the consumer back-fills every event from the journal."""
    down = "  outages: [{from: 0.5s, to: 1h, mode: status, status: 503}]"
    pages: list[int] = []

    async def read_journal(producer: Producer) -> None:
        assert producer.publisher is not None
        url = f"{producer.publisher.journal_url('io')}?limit=2"
        headers = {"Authorization": "Bearer t", "x-api-key": "k"}
        async with client_session() as session:
            while url:
                async with session.get(url, headers=headers) as response:
                    if response.status == 204:
                        return
                    pages.append(len((await response.json())["events"]))
                    url = response.links["next"]["url"].human_repr()

    play(run_file(receiver=down, count=5), 30 * MINUTE, actions=((10 * MINUTE, read_journal),))
    assert pages == [2, 2, 1]


@pytest.mark.parametrize("stream", ["user-audit", "notification"])
def test_audit_and_notification_streams_arrive_nested(stream: str) -> None:
    """User Audit and Notification events arrive as {eventid, event: {body}, recipientclientid}."""
    text = run_file(count=3).replace(
        "profile: adobe-io", f"profile: adobe-io\n    stream: {stream}"
    )
    _, _, producer = play(text, 10.0)
    assert producer.receiver is not None
    (batch,) = producer.receiver.received
    assert all(set(e) >= {"eventid", "event", "recipientclientid"} for e in batch.events)
    assert all("body" in e["event"] for e in batch.events)
    assert producer.receiver.stats.signatures_valid == 1


def test_forced_duplicates_reach_the_consumer_as_duplicates() -> None:
    """duplicateRate 1: every event arrives twice; the dev endpoint counts the repeats."""
    result, _, producer = play(run_file(io="    io: {duplicateRate: 1.0}", count=4), 5 * MINUTE)
    assert producer.receiver is not None
    assert producer.receiver.stats.duplicates == 4
    assert result.ledgers["io"].acknowledged == 4


def test_reorder_sends_each_batch_newest_first() -> None:
    """reorder: the events of a batch arrive in reverse production order."""
    _, _, producer = play(run_file(io="    io: {reorder: true}", count=3), 10.0)
    assert producer.receiver is not None
    (batch,) = producer.receiver.received
    guids = [event["id"] for event in batch.events]
    assert guids == sorted(guids, reverse=True)


@pytest.mark.parametrize("stream", ["user-audit", "notification"])
def test_the_configured_ims_org_reaches_every_nested_payload(stream: str) -> None:
    """adobeIo.imsOrgId is the data.imsOrgId of every User Audit and Notification event."""
    org = "FEDCBA9876543210FEDCBA98@AdobeOrg"
    text = run_file(count=3).replace(
        "profile: adobe-io", f"profile: adobe-io\n    stream: {stream}"
    )
    _, _, producer = play(f"adobeIo: {{imsOrgId: {org}}}\n{text}", 10.0)
    assert producer.receiver is not None
    (batch,) = producer.receiver.received
    assert [e["event"]["body"]["data"]["imsOrgId"] for e in batch.events] == [org] * 3


def test_a_run_file_can_ask_for_the_experience_league_notification_shape() -> None:
    """io.notificationShape experience-league: notifications arrive without `body`, from
    https://www.marketo.com, with the page's "-5:00" time."""
    text = run_file(io="    io: {notificationShape: experience-league}", count=2).replace(
        "profile: adobe-io", "profile: adobe-io\n    stream: notification"
    )
    _, _, producer = play(text, 10.0)
    assert producer.receiver is not None
    (batch,) = producer.receiver.received
    events = [e["event"] for e in batch.events]
    assert [("body" in e, e["source"]) for e in events] == [(False, "https://www.marketo.com")] * 2
    assert all(e["time"].endswith("-5:00") for e in events)
