"""The records a run emits, and the one reading of a delivery machine that the engine, the
reports and the pytest plugin share (`Machine`), for the legacy and the I/O machine alike."""

from __future__ import annotations

import dataclasses

import pytest

from simulator.core.delivery import Ledger, Policy, Subscription
from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, Machine, StateChange
from simulator.core.registration import IoPolicy, Registration
from simulator.core.traffic import Traffic


def reading(machine: Machine) -> tuple[str, Ledger, float | None, float | None]:
    """Ten seconds of an event a second, then 5 events injected: state, ledger, oldest event
    and next wake-up, read through the protocol only."""
    machine.advance(10.0)
    machine.inject(5, 10.0)
    return str(machine.state), machine.ledger(), machine.oldest_event_time(), machine.wakeup()


QUEUED_15 = Ledger(
    produced=15, acknowledged=0, expired=0, discarded=0, dropped=0, queued=15, in_flight=0
)


def test_a_subscription_reads_through_the_machine_protocol() -> None:
    """Active, 15 events queued, the oldest from 1 s, a push due at its first slot (0 s)."""
    machine = Subscription("leads", Policy(), Traffic(rate=1))
    assert reading(machine) == ("active", QUEUED_15, 1.0, 0.0)


def test_a_registration_reads_through_the_machine_protocol() -> None:
    """Pending (no challenge yet): the same 15 events queued, and nothing scheduled."""
    machine = Registration("io", IoPolicy(), Traffic(rate=1))
    assert reading(machine) == ("pending", QUEUED_15, 1.0, None)


def test_an_attempt_record_carries_no_optional_facts_unless_given() -> None:
    """Detail, oldest event, sequence range and completion time default to empty."""
    record = AttemptRecord(
        at=2.0,
        wall=1_767_225_602.0,
        subscription="leads",
        message_id="1",
        attempt=1,
        kind="push",
        events=20,
        outcome=OutcomeKind.SUCCESS,
        status=200,
        latency=0.0,
        state="active",
    )
    assert (record.detail, record.oldest_event, record.seqs, record.done_at) == (
        "",
        None,
        None,
        None,
    )


def test_records_cannot_be_rewritten() -> None:
    """A state change, once emitted, is frozen: a report cannot alter history."""
    change = StateChange(2.0, 1_767_225_602.0, "leads", "active", "retrying", "failed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.new = "paused"  # type: ignore[misc]  # the assignment is what is under test
