"""The status document of a running producer (version 1): what `GET /status` answers, what the
live page shows, what `marketo-sim ctl URL status` prints. Pure: built from the machines, the
run clock's reading and the newest step lines and state changes handed in.

Keys are camelCase. `limit` keeps the subscriptions in trouble first (not active, then the
oldest event oldest) and at most that many, so a page of a thousand subscriptions stays small.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic.alias_generators import to_camel

from simulator.core.delivery import LEDGER_FIELDS, Ledger
from simulator.core.records import Machine, StateChange

VERSION = 1
ClockKind = Literal["real", "scaled", "virtual"]
LEDGER_KEYS = {name: to_camel(name) for name in LEDGER_FIELDS}  # in_flight -> inFlight


def status_document(
    machines: Mapping[str, Machine],
    profiles: Mapping[str, str],
    *,
    now: float,
    clock: ClockKind,
    ended: bool,
    steps: Iterable[tuple[float, str]] = (),
    changes: Iterable[StateChange] = (),
    limit: int | None = None,
) -> dict[str, object]:
    """The document for `machines` at simulated time `now` (seconds since the run's start)."""
    rows = [_row(name, machine, profiles.get(name, ""), now) for name, machine in machines.items()]
    totals = _totals(rows)
    if limit is not None:
        rows = sorted(rows, key=_trouble)[: max(0, limit)]
    return {
        "version": VERSION,
        "now": round(now, 6),
        "clock": clock,
        "ended": ended,
        "totals": totals,
        "subscriptions": rows,
        "shown": len(rows),
        "of": len(machines),
        "steps": [{"at": round(at, 6), "text": text} for at, text in steps],
        "changes": [
            {
                "at": round(c.at, 6),
                "subscription": c.subscription,
                "old": c.old,
                "new": c.new,
                "reason": c.reason,
            }
            for c in changes
        ],
    }


def ledger_json(ledger: Ledger) -> dict[str, int]:
    return {key: getattr(ledger, name) for name, key in LEDGER_KEYS.items()}


def _row(name: str, machine: Machine, profile: str, now: float) -> dict[str, object]:
    ledger = machine.ledger()
    oldest = machine.oldest_event_time()
    wakeup = machine.wakeup()
    return {
        "name": name,
        "profile": profile,
        "state": str(machine.state),
        "queued": ledger.queued,
        "inFlight": ledger.in_flight,
        "oldestEventAge": None if oldest is None else round(max(0.0, now - oldest), 6),
        "nextAttemptAt": None if wakeup is None else round(wakeup, 6),
        "ledger": ledger_json(ledger),
    }


def _trouble(row: Mapping[str, object]) -> tuple[bool, float]:
    """Sorts the rows in trouble first: not active, then the oldest event oldest."""
    age = row["oldestEventAge"]
    return (row["state"] == "active", -age if isinstance(age, float) else 0.0)


def _totals(rows: list[dict[str, object]]) -> dict[str, object]:
    sums = dict.fromkeys(LEDGER_KEYS.values(), 0)
    states: dict[str, int] = {}
    for row in rows:
        ledger = row["ledger"]
        assert isinstance(ledger, dict)
        for key in sums:
            sums[key] += ledger[key]
        state = str(row["state"])
        states[state] = states.get(state, 0) + 1
    return {"subscriptions": len(rows), **sums, "states": states}
