"""The Adobe I/O registration machine, driven by hand: exact times, no clock, no I/O."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from simulator.core.delivery import DAY
from simulator.core.outcome import Outcome, OutcomeKind
from simulator.core.registration import (
    REGISTRATION_TRANSITIONS,
    DropReason,
    IoDelivery,
    IoPolicy,
    Registration,
    RegistrationState,
    RegistrationTransition,
    RegistrationTrigger,
    retryable,
)
from simulator.core.traffic import Burst, Traffic
from simulator.errors import InvalidTransition

MINUTE = 60.0
HOUR = 60 * MINUTE
OK = Outcome(OutcomeKind.SUCCESS, 200)


def status(code: int) -> Outcome:
    return Outcome(OutcomeKind.HTTP_ERROR, code)


@dataclass(frozen=True)
class Sent:
    at: float
    retry: int
    events: int
    ok: bool


def drive(
    machine: Registration,
    until: float,
    answer: Callable[[float], Outcome] = lambda t: OK,
    changes: list[RegistrationTransition] | None = None,
) -> list[Sent]:
    """A pure stand-in for the engine: every delivery is answered at once by `answer(now)`;
    the state changes go to `changes` when given."""
    sent: list[Sent] = []
    seen: list[RegistrationTransition] = []
    now = 0.0
    while now <= until:
        deliveries = machine.poll(now)
        for delivery in deliveries:
            outcome = answer(now)
            seen += machine.record(delivery, outcome, now)
            sent.append(Sent(now, delivery.retry, delivery.batch.count, outcome.ok))
        if deliveries:
            continue
        wake = machine.wakeup()
        if wake is None or wake > until:
            break
        now = max(now, wake)
    if changes is not None:
        changes += [*seen, *machine.take_changes()]
    return sent


def verified(traffic: Traffic, policy: IoPolicy | None = None) -> Registration:
    machine = Registration("reg", policy or IoPolicy(), traffic)
    machine.verified(0.0)
    machine.take_changes()
    return machine


@pytest.mark.parametrize(
    ("code", "retried"),
    [
        pytest.param(429, True, id="429"),
        pytest.param(500, True, id="500"),
        pytest.param(503, True, id="503"),
        pytest.param(505, False, id="505"),
        pytest.param(400, False, id="400"),
        pytest.param(401, False, id="401"),
        pytest.param(404, False, id="404"),
        pytest.param(302, False, id="302"),
    ],
)
def test_only_429_and_5xx_but_505_are_retried(code: int, retried: bool) -> None:
    """The retry doc's rule, status by status."""
    assert retryable(status(code)) is retried


def test_no_answer_is_retried() -> None:
    """Timeouts and connection errors are retried (I/O's internal 6xx)."""
    assert retryable(Outcome(OutcomeKind.TIMEOUT))
    assert retryable(Outcome(OutcomeKind.CONNECTION_ERROR))


def test_events_leave_in_batches_of_at_most_20() -> None:
    """45 queued events go out as 20 + 20 + 5 at the first flush."""
    machine = verified(Traffic(bursts=(Burst(count=45, at=0.5),)))
    assert [(s.at, s.events) for s in drive(machine, until=2.0)] == [(1.0, 20), (1.0, 20), (1.0, 5)]


def test_single_delivery_sends_one_event_per_request() -> None:
    """With batch off, each request carries one event."""
    machine = verified(Traffic(bursts=(Burst(count=3, at=0.5),)), IoPolicy(batch=False))
    assert [s.events for s in drive(machine, until=2.0)] == [1, 1, 1]


def test_at_most_max_in_flight_deliveries_start_together() -> None:
    """300 events with 10 in flight: the first flush starts 10 deliveries of 20."""
    machine = verified(Traffic(bursts=(Burst(count=300, at=0.5),)))
    assert len(machine.poll(1.0)) == 10


def test_retry_schedule_is_1_2_4_8_then_every_15_minutes() -> None:
    """A delivery failing with 503 is retried at +1, +3, +7, +15, +30, +45 minutes."""
    machine = verified(Traffic(bursts=(Burst(count=1, at=0.5),)))
    sent = drive(machine, until=46 * MINUTE, answer=lambda t: status(503))
    assert [(s.at - 1.0) / MINUTE for s in sent] == [0, 1, 3, 7, 15, 30, 45]
    assert [s.retry for s in sent] == [0, 1, 2, 3, 4, 5, 6]


def test_retries_stop_after_24_hours_and_the_event_is_dropped() -> None:
    """The last retry is at +24 h; the event is then dropped as exhausted."""
    machine = verified(Traffic(bursts=(Burst(count=1, at=0.5),)))
    sent = drive(machine, until=2 * DAY, answer=lambda t: status(503))
    assert (sent[-1].at - 1.0) / MINUTE == 24 * 60
    assert len(sent) == 1 + 4 + 95  # first try, the 1-2-4-8 minute retries, then every 15 min
    assert machine.dropped_by[DropReason.EXHAUSTED] == 1
    assert machine.ledger().balanced


def test_a_4xx_drops_the_events_without_retry() -> None:
    """A 400 answer drops the batch at once; nothing is retried."""
    machine = verified(Traffic(bursts=(Burst(count=5, at=0.5),)))
    sent = drive(machine, until=DAY, answer=lambda t: status(400))
    assert [(s.at, s.events) for s in sent] == [(1.0, 5)]
    assert machine.dropped_by[DropReason.REFUSED] == 5
    assert machine.ledger().dropped == 5


def test_a_success_after_retries_acknowledges_the_events() -> None:
    """Down for 5 minutes: the retry at +7 min succeeds and the ledger balances."""
    machine = verified(Traffic(bursts=(Burst(count=3, at=0.5),)))
    sent = drive(machine, until=HOUR, answer=lambda t: status(503) if t < 5 * MINUTE else OK)
    assert [(s.at - 1.0) / MINUTE for s in sent] == [0, 1, 3, 7]
    ledger = machine.ledger()
    assert (ledger.acknowledged, ledger.balanced) == (3, True)


def ten_single_events() -> Registration:
    """Ten events at 0.5 s, delivered one per request at the 1 s flush."""
    return verified(Traffic(bursts=(Burst(count=10, at=0.5),)), IoPolicy(batch=False))


def state_changes(
    machine: Registration, until: float, answer: Callable[[float], Outcome]
) -> list[tuple[RegistrationState, float]]:
    """Drive like `drive`, keeping every state change as (new state, time)."""
    changes: list[tuple[RegistrationState, float]] = []
    now = 0.0
    while now <= until:
        for delivery in machine.poll(now):
            changes += [(c.new, c.at) for c in machine.record(delivery, answer(now), now)]
        changes += [(c.new, c.at) for c in machine.take_changes()]
        wake = machine.wakeup()
        if wake is None:
            break
        now = max(wake, now)
    return changes


def test_nine_failed_attempts_keep_the_registration_active() -> None:
    """Fewer than 10 attempts in 24 hours never count as failing."""
    machine = verified(Traffic(bursts=(Burst(count=9, at=0.5),)), IoPolicy(batch=False))
    assert state_changes(machine, until=1.0, answer=lambda t: status(503)) == []


def test_ten_failed_attempts_make_the_registration_unstable() -> None:
    """Ten deliveries failing at 1 s: unstable at once."""
    changes = state_changes(ten_single_events(), until=1.0, answer=lambda t: status(503))
    assert changes == [(RegistrationState.UNSTABLE, 1.0)]


def test_unstable_becomes_disabled_24_hours_later_if_still_failing() -> None:
    """Still failing at the 24-hour look: disabled at 1 s + 24 h."""
    changes = state_changes(ten_single_events(), until=DAY + 2, answer=lambda t: status(503))
    assert changes == [(RegistrationState.UNSTABLE, 1.0), (RegistrationState.DISABLED, DAY + 1)]


def test_unstable_returns_to_active_when_deliveries_recover() -> None:
    """Recovered after an hour, with a delivery a minute succeeding since: active at the look."""
    traffic = Traffic(rate=1 / MINUTE, bursts=(Burst(count=10, at=0.5),))
    machine = verified(traffic, IoPolicy(batch=False))
    changes = state_changes(
        machine, until=DAY + 2, answer=lambda t: status(503) if t < HOUR else OK
    )
    assert changes == [(RegistrationState.UNSTABLE, 1.0), (RegistrationState.ACTIVE, DAY + 1)]


def test_a_disabled_registration_drops_new_events_and_keeps_retrying_old_ones() -> None:
    """New events are dropped (they stay in the journal); scheduled retries still run."""
    # Unstable at the first failure (1 min), disabled as it still fails 3 minutes later (4 min).
    policy = IoPolicy(min_attempts=1, unstable_hold=3 * MINUTE)
    machine = verified(Traffic(rate=1 / MINUTE), policy)
    drive(machine, until=3 * MINUTE, answer=lambda t: status(503))
    sent = drive(machine, until=10 * MINUTE, answer=lambda t: status(503))
    assert {s.retry for s in sent} >= {1}
    assert all(s.retry > 0 for s in sent)
    assert machine.dropped_by[DropReason.DISABLED] == 7  # events of minutes 4 to 10
    assert machine.ledger().balanced


def test_enable_needs_a_new_challenge() -> None:
    """A disabled registration is re-enabled by hand into pending, then verified."""
    machine = Registration("reg", IoPolicy(), Traffic(rate=1))
    machine.challenge_failed(1.0, "test")
    assert machine.enable(2.0).new is RegistrationState.PENDING
    assert machine.verified(3.0).new is RegistrationState.ACTIVE


def test_nothing_is_delivered_before_the_challenge() -> None:
    """Pending: events queue; a failed challenge drops them all, none sent."""
    machine = Registration("reg", IoPolicy(), Traffic(rate=1))
    assert machine.poll(5.0) == []
    machine.challenge_failed(5.0, "consumer did not echo the challenge")
    assert drive(machine, until=60.0) == []
    machine.advance(60.0)
    assert machine.ledger().dropped == machine.ledger().produced == 60


def test_an_unopened_validation_url_disables_after_five_minutes() -> None:
    """The async challenge expires: disabled at +5 min."""
    machine = Registration("reg", IoPolicy(), Traffic(rate=1))
    machine.awaiting_validation(10.0)
    assert machine.wakeup() == 310.0
    machine.poll(310.0)
    assert machine.state is RegistrationState.DISABLED


def test_journal_hook_sees_every_produced_event() -> None:
    """on_produced receives spans covering every produced sequence number."""
    seen: list[int] = []
    machine = Registration(
        "reg",
        IoPolicy(),
        Traffic(rate=10),
        on_produced=lambda s: seen.extend(range(s.first, s.end)),
    )
    machine.advance(3.0)
    assert seen == list(range(30))


def test_deliveries_record_once() -> None:
    """Recording a delivery twice is refused."""
    machine = verified(Traffic(bursts=(Burst(count=1, at=0.5),)))
    (delivery,) = machine.poll(1.0)
    assert isinstance(delivery, IoDelivery)
    machine.record(delivery, OK, 1.0)
    with pytest.raises(Exception, match="not in flight"):
        machine.record(delivery, OK, 1.0)


def test_the_duplicate_anomaly_sends_acknowledged_deliveries_again() -> None:
    """duplicate_rate 1: each acknowledged delivery goes again a minute later, counted once."""
    policy = IoPolicy(duplicate_rate=1.0)
    machine = verified(Traffic(bursts=(Burst(count=3, at=0.5),)), policy)
    sent = drive(machine, until=2 * MINUTE)
    assert [(s.at, s.events) for s in sent] == [(1.0, 3), (61.0, 3)]
    ledger = machine.ledger()
    assert (ledger.acknowledged, ledger.in_flight, ledger.balanced) == (3, 0, True)


def test_abandoned_deliveries_are_tried_again_on_resume() -> None:
    """A delivery cut off by the end of a run is sent again when the machine is polled."""
    machine = verified(Traffic(bursts=(Burst(count=2, at=0.5),)))
    (first,) = machine.poll(1.0)
    machine.abandon()
    assert machine.ledger().in_flight == 2
    (again,) = machine.poll(5.0)
    assert [seq for seq, _ in again.batch.items()] == [seq for seq, _ in first.batch.items()]


# -- the transition table ------------------------------------------------------------------------


def test_every_transition_of_the_table_is_reachable() -> None:
    """A tour through every state: each entry of the table happens, and nothing else does."""
    # One event a second, a one-minute look-back, unstable at the first failure, judged a minute
    # later: failing until 30 s, recovered, failing again from 200 s.
    policy = IoPolicy(batch=False, min_attempts=1, window=MINUTE, unstable_hold=MINUTE)
    machine = Registration("reg", policy, Traffic(rate=1))
    machine.challenge_failed(0.0, "refused")
    machine.enable(0.0)
    machine.verified(0.0)
    changes: list[RegistrationTransition] = []
    drive(machine, 400.0, lambda t: OK if 30 <= t < 200 else status(503), changes)
    state, trigger = RegistrationState, RegistrationTrigger
    assert [(c.old, c.trigger, c.new, c.at) for c in changes] == [
        (state.PENDING, trigger.CHALLENGE_FAILED, state.DISABLED, 0.0),
        (state.DISABLED, trigger.ENABLED, state.PENDING, 0.0),
        (state.PENDING, trigger.VERIFIED, state.ACTIVE, 0.0),
        (state.ACTIVE, trigger.FAILING, state.UNSTABLE, 1.0),
        (state.UNSTABLE, trigger.RECOVERED, state.ACTIVE, 61.0),
        (state.ACTIVE, trigger.FAILING, state.UNSTABLE, 269.0),
        (state.UNSTABLE, trigger.STILL_FAILING, state.DISABLED, 329.0),
    ]
    assert {(c.old, c.trigger): c.new for c in changes} == REGISTRATION_TRANSITIONS


def test_a_transition_the_table_does_not_have_is_refused() -> None:
    """enable on an active registration raises InvalidTransition and changes nothing."""
    machine = verified(Traffic(rate=1))
    with pytest.raises(InvalidTransition, match="reg: can't handle enabled when state=active"):
        machine.enable(5.0)
    assert machine.state is RegistrationState.ACTIVE
    assert machine.take_changes() == []


@pytest.mark.parametrize(
    ("trigger", "challenge"),
    [
        pytest.param("verified", lambda m: m.verified(5.0), id="verified"),
        pytest.param("challenge failed", lambda m: m.challenge_failed(5.0, "late"), id="failed"),
    ],
)
def test_a_challenge_outcome_only_counts_while_pending(
    trigger: str, challenge: Callable[[Registration], object]
) -> None:
    """A registration that is active already cannot pass or fail a challenge again."""
    machine = verified(Traffic(rate=1))
    with pytest.raises(InvalidTransition, match=f"can't handle {trigger} when state=active"):
        challenge(machine)
    assert machine.state is RegistrationState.ACTIVE
