"""Hand-built recordings the report tests share: a 20-minute outage and a week-long big run."""

from __future__ import annotations

from typing import Any

from simulator.bench.memory import big_recording
from simulator.core.delivery import Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.recording import Recording, Sample, Verdict
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.tracks import Tracks

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DAY = 86_400.0


def attempt(
    at: float, outcome: OutcomeKind = OutcomeKind.SUCCESS, sub: str = "leads"
) -> AttemptRecord:
    """One push attempt of 100 events at `at`: a 200, or a 503 for any other outcome."""
    return AttemptRecord(
        at=at,
        wall=START + at,
        subscription=sub,
        message_id=f"m{at}",
        attempt=1,
        kind="push",
        events=100,
        outcome=outcome,
        status=200 if outcome is OutcomeKind.SUCCESS else 503,
        latency=0.05,
        state="active",
    )


def recording(
    subscriptions: tuple[str, ...] = ("leads",),
    *,
    attempts: list[AttemptRecord] | None = None,
    changes: list[StateChange] | None = None,
    **fields: Any,
) -> Recording:
    """A 20-minute run: leads times out at +00:05:00, pauses at +00:14:00, recovers. `attempts`
    and `changes`, when given, replace every subscription's records."""
    rec = Recording(
        title="outage.yaml",
        munchkin_id="123-ABC-456",
        seed=7,
        start_wall=START,
        ended_at=1200.0,
        subscriptions=list(subscriptions),
    )
    samples, outage, moves = {}, [], []
    for name in subscriptions:
        samples[name] = [Sample(t, "active", int(t), t / 10) for t in range(0, 1201, 60)]
        rec.ledgers[name] = Ledger(1000, 990, 0, 0, 0, 10, 0)
        outage += [attempt(t, sub=name) for t in range(0, 300, 2)]
        outage += [attempt(t, OutcomeKind.TIMEOUT, sub=name) for t in (300, 480, 660)]
        moves += [
            StateChange(300.0, START + 300, name, "active", "retrying", "failed"),
            StateChange(840.0, START + 840, name, "retrying", "paused", "exhausted"),
            StateChange(1020.0, START + 1020, name, "paused", "active", "acknowledged"),
        ]
    rec.samples = samples
    rec.tracks = Tracks.of(
        outage if attempts is None else attempts,
        moves if changes is None else changes,
        horizon=rec.ended_at,
    )
    rec.steps = [(300.0, "endpoint times out"), (1020.0, "endpoint recovers")]
    rec.verdicts = [
        Verdict("leads: state paused by +00:15:00", True, "paused", "paused", 900.0, "leads"),
        Verdict("leads: queue drained", False, "0 queued", "10 queued", None, "leads"),
    ]
    for key, value in fields.items():
        setattr(rec, key, value)
    return rec


__all__ = ["attempt", "big_recording", "recording"]  # big_recording: the bench's busy week
