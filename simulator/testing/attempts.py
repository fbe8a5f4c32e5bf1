"""What a `Simulation` keeps of its run: a bounded attempt log and counts over the whole run.

A test may run a simulated week, millions of attempts: the log keeps the newest `KEEP_ATTEMPTS`
attempts and state changes (older ones are counted, then dropped), the newest `KEEP_FAILURES`
failed attempts for assertion messages, and per subscription a count of each outcome since the
start. Its memory grows with the subscriptions and the kinds of outcome, never with the attempts.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable

from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.timefmt import offset

KEEP_ATTEMPTS = 10_000
KEEP_CHANGES = 10_000
KEEP_FAILURES = 100
SHOWN = 10  # failed attempts listed in an assertion message


class AttemptLog:
    """The run's observer for tests: the newest attempts and changes, and counts of everything."""

    def __init__(
        self,
        keep: int = KEEP_ATTEMPTS,
        keep_changes: int = KEEP_CHANGES,
        keep_failures: int = KEEP_FAILURES,
    ) -> None:
        self.attempts: deque[AttemptRecord] = deque(maxlen=keep)
        self.changes: deque[StateChange] = deque(maxlen=keep_changes)
        self.failures: deque[AttemptRecord] = deque(maxlen=keep_failures)
        self.outcomes: dict[str, Counter[str]] = {}  # subscription -> answer -> attempts
        self.attempts_dropped = 0
        self.changes_dropped = 0

    def attempt(self, record: AttemptRecord) -> None:
        if len(self.attempts) == self.attempts.maxlen:
            self.attempts_dropped += 1
        self.attempts.append(record)
        self.outcomes.setdefault(record.subscription, Counter())[answer(record)] += 1
        if record.outcome != OutcomeKind.SUCCESS:
            self.failures.append(record)

    def state_changed(self, change: StateChange) -> None:
        if len(self.changes) == self.changes.maxlen:
            self.changes_dropped += 1
        self.changes.append(change)

    def tally(self, subscriptions: Iterable[str]) -> Counter[str]:
        """How many attempts got each answer, over the whole run, for these subscriptions."""
        total: Counter[str] = Counter()
        for name in subscriptions:
            total += self.outcomes.get(name, Counter())
        return total


def answer(record: AttemptRecord) -> str:
    """An attempt's answer in a few words: "HTTP 200", "timeout", "connection error"."""
    if record.status is not None:
        return f"HTTP {record.status}"
    return str(record.outcome).replace("_", " ")


def describe(record: AttemptRecord) -> str:
    """One attempt on one line, for an assertion message."""
    detail = f" ({record.detail})" if record.detail else ""
    return (
        f"{offset(record.at)} {record.subscription} {record.kind} #{record.attempt} "
        f"of {record.events} events: {answer(record)}{detail}, then {record.state}"
    )


def summary(tally: Counter[str]) -> str:
    """ "30 x HTTP 200, 3 x HTTP 503", most frequent first."""
    return ", ".join(f"{n} x {what}" for what, n in tally.most_common()) or "no attempt"
