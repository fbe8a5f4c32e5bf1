"""Observers of a run: the attempt log, the live console and the final summary.

The engine emits `AttemptRecord` and `StateChange` values; each consumer of them is an observer
here, so the engine never prints and tests assert on records, not on log text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from simulator.core.delivery import Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, Machine, StateChange
from simulator.core.timefmt import duration, iso, offset

# States of both machines (legacy subscriptions and I/O registrations), by their printed names.
STATE_STYLE = {
    "active": "green",
    "pending": "cyan",
    "retrying": "yellow",
    "unstable": "yellow",
    "paused": "red",
    "disabled": "red",
    "deprovisioned": "dim",
}


@dataclass(slots=True)
class Recorder:
    """Keeps every record, in lists that grow with the run: for tests and short runs that assert
    on single records. A replay keeps aggregates instead (`simulator.core.tracks.Tracks`)."""

    attempts: list[AttemptRecord] = field(default_factory=list)
    changes: list[StateChange] = field(default_factory=list)

    def attempt(self, record: AttemptRecord) -> None:
        self.attempts.append(record)

    def state_changed(self, change: StateChange) -> None:
        self.changes.append(change)


def attempt_json(record: AttemptRecord) -> dict[str, Any]:
    """One line of the `--log` file."""
    return {
        "time": iso(record.wall),
        "t": round(record.at, 6),
        "subscription": record.subscription,
        "messageId": record.message_id,
        "attempt": record.attempt,
        "kind": record.kind,
        "events": record.events,
        "outcome": record.outcome,
        "status": record.status,
        "latency": round(record.latency, 6),
        "state": record.state,
        "detail": record.detail,
    }


class AttemptLog:
    """Writes one JSON object per push attempt, as it happens, and flushes it: a run that is
    killed leaves a log complete up to the kill. Nothing is kept in memory."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def attempt(self, record: AttemptRecord) -> None:
        self._stream.write(orjson.dumps(attempt_json(record)) + b"\n")
        self._stream.flush()

    def state_changed(self, change: StateChange) -> None:
        return None


def attempt_line(record: AttemptRecord) -> str:
    status = record.status if record.status is not None else "-"
    detail = f" ({record.detail})" if record.detail else ""
    return (
        f"{offset(record.at)} {record.subscription}: {record.kind} (attempt {record.attempt}) "
        f"msg={record.message_id} events={record.events} -> {record.outcome} {status} "
        f"after {record.latency:.3f}s{detail}"
    )


def change_line(change: StateChange) -> str:
    moved = f"{change.old} -> {change.new}"
    return f"{offset(change.at)} {change.subscription}: {moved} ({change.reason})"


class Narrator:
    """Tells a replay as it goes: state changes always, attempts only when asked."""

    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose

    def attempt(self, record: AttemptRecord) -> None:
        if self.verbose:
            self.console.print(attempt_line(record), highlight=False)

    def state_changed(self, change: StateChange) -> None:
        style = f"bold {STATE_STYLE.get(change.new, '')}"
        self.console.print(change_line(change), style=style, highlight=False)


class ConsoleReport:
    """Live per-subscription status on a terminal, plain lines otherwise."""

    def __init__(
        self,
        console: Console,
        machines: Mapping[str, Machine],
        now: Callable[[], float],
        *,
        verbose: bool = False,
        every: float = 60.0,
    ) -> None:
        self.console = console
        self._machines = machines
        self._now = now
        self._verbose = verbose
        self._every = every  # plain mode: a status block every `every` simulated seconds
        self._next_block = every
        self._live: Live | None = None

    def __enter__(self) -> ConsoleReport:
        if self.console.is_terminal:
            self._live = Live(
                get_renderable=self.table,
                console=self.console,
                refresh_per_second=8,
                transient=True,
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def attempt(self, record: AttemptRecord) -> None:
        if self._verbose or record.outcome is not OutcomeKind.SUCCESS:
            self.console.print(
                attempt_line(record),
                style=None if record.outcome == "success" else "yellow",
                highlight=False,
            )
        if self._live is None and record.at >= self._next_block:
            self._next_block = (record.at // self._every + 1) * self._every
            for line in self.lines():
                self.console.print(line, highlight=False)

    def state_changed(self, change: StateChange) -> None:
        self.console.print(
            change_line(change), style=f"bold {STATE_STYLE[change.new]}", highlight=False
        )

    def lines(self) -> list[str]:
        """The status as one plain line per subscription, for logs and pipes."""
        now = self._now()
        out = []
        for name, machine in self._machines.items():
            cells = dict(zip(STATUS_COLUMNS, status_cells(machine, now, markup=False), strict=True))
            fields = " ".join(f"{key}={value}" for key, value in cells.items() if key != "state")
            out.append(f"{offset(now)} {name} {cells['state']} {fields}")
        return out

    def table(self) -> Table:
        now = self._now()
        table = Table(title=f"simulated {offset(now)}", title_justify="left", expand=False)
        for column in ("subscription", *STATUS_COLUMNS):
            table.add_column(
                column, justify="left" if column in ("subscription", "state") else "right"
            )
        for name, machine in self._machines.items():
            table.add_row(name, *status_cells(machine, now))
        return table


STATUS_COLUMNS = ("state", "queued", "oldest", "sent", "acked", "failed", "next")


def status_cells(machine: Machine, now: float, *, markup: bool = True) -> list[str]:
    oldest = machine.oldest_event_time()
    wake = machine.wakeup()
    c = machine.counters
    ledger = machine.ledger()
    queued = ledger.queued + ledger.in_flight
    state = f"[{STATE_STYLE[machine.state]}]{machine.state}[/]" if markup else str(machine.state)
    return [
        state,
        f"{queued:,}",
        duration(now - oldest) if oldest is not None else "-",
        f"{c.attempts:,}",
        f"{c.acknowledged_batches:,}",
        f"{c.failed_attempts:,}",
        f"in {duration(max(0.0, wake - now))}" if wake is not None else "-",
    ]


def run_summary(
    ledgers: Mapping[str, Ledger],
    machines: Mapping[str, Machine],
    *,
    ended_at: float,
    receiver: Mapping[str, int] | None = None,
    interrupted: bool = False,
) -> Group:
    """The end-of-run summary: one column per subscription, its state, counters and ledger."""
    how = "interrupted" if interrupted else "ended"
    table = Table(title=f"run {how} at simulated {offset(ended_at)}", title_justify="left")
    table.add_column("")
    for name in ledgers:
        table.add_column(name, justify="right")
    rows: dict[str, list[str]] = {"state": [], **{key: [] for key in SUMMARY_ROWS}, "ledger": []}
    for name, ledger in ledgers.items():
        machine = machines[name]
        rows["state"].append(f"[{STATE_STYLE[machine.state]}]{machine.state}[/]")
        values = ledger.as_dict() | {
            "batches": machine.counters.acknowledged_batches,
            "failed": machine.counters.failed_attempts,
        }
        for key, field_name in SUMMARY_ROWS.items():
            rows[key].append(f"{values[field_name]:,}")
        rows["ledger"].append(
            "[green]balanced[/]"
            if ledger.balanced
            else f"[red]off by {ledger.produced - ledger.accounted:,}[/]"
        )
    for key, cells in rows.items():
        table.add_row(key, *cells, end_section=key in ("state", "in flight", "failed attempts"))
    parts: list[Any] = [table]
    if receiver is not None:
        parts.append("dev endpoint: " + ", ".join(f"{k} {v:,}" for k, v in receiver.items()))
    return Group(*parts)


# Summary row label -> field of the ledger (or of the extra counters).
SUMMARY_ROWS = {
    "produced": "produced",
    "acknowledged": "acknowledged",
    "expired": "expired",
    "discarded": "discarded",
    "dropped": "dropped",
    "queued": "queued",
    "in flight": "in_flight",
    "batches acknowledged": "batches",
    "failed attempts": "failed",
}
