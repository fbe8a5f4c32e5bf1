"""Observers of a run: the attempt log, the live console and the final summary.

The engine emits `AttemptRecord` and `StateChange` values; each consumer of them is an observer
here, so the engine never prints and tests assert on records, not on log text.

The live status and the summary read the same way with one subscription or a thousand: totals
first (subscriptions by state, events, attempts by outcome), then the subscriptions in trouble
(an unbalanced ledger, disabled, paused, retrying, pending, deprovisioned), then the others in
the run file's order, at most `MAX_ROWS` rows and a line counting the rest. Off a terminal (a
pipe, a CI log) everything is plain `key=value` lines that are never wrapped, in a stable order.

The live status is redrawn `REFRESH_PER_SECOND` times a second by a thread of its own, which
holds the interpreter lock while it draws: every millisecond a frame costs is a millisecond the
event loop, and a thousand subscriptions' push slots, may wait, and on a busy machine the thread
can be descheduled while it holds the lock, so a frame of 6 ms of CPU can stall the loop for
40. So a frame reads each machine once (its state and ledger), builds the full status of the
listed rows only, and lays the table out as lines of text (`grid`): with 1,000 subscriptions
about 6 ms of CPU, where a rich `Table` of the same 20 rows and every row's status took 25-38.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from simulator.core.delivery import LEDGER_FIELDS, Counters, Ledger
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
MAX_ROWS = 20  # subscriptions listed by the live status and the summary; the rest are counted
REFRESH_PER_SECOND = 2  # live frames: a status read by a person, not an animation
MAX_LINES = 20  # lines printed above the live status per frame; the rest are counted
# How soon a state needs a person's eye: the lower, the earlier its row. An unbalanced ledger
# comes before them all (-1); active, and any state not named here, is no trouble.
TROUBLE = {"disabled": 0, "paused": 1, "retrying": 2, "unstable": 2, "pending": 3}
TROUBLE |= {"deprovisioned": 4}
CALM = len(TROUBLE) + 1


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


def step_json(at: float, wall: float, step: dict[str, Any], text: str) -> bytes:
    """A step applied during the run (the file's or one given live) as a line of the `--log`
    file: `at` exact (seconds, as the recorded scenario has it), `t` rounded as the attempts'."""
    line = {"time": iso(wall), "t": round(at, 6), "kind": "step", "at": at, "step": step}
    return orjson.dumps({**line, "text": text}) + b"\n"


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


def attempt_line(record: AttemptRecord, *, stamp: float | None = None) -> str:
    """One attempt as a line, stamped when it began, or at `stamp` (the live report stamps each
    line when its outcome was known, the order lines are printed in, so a log reads in time
    order)."""
    status = record.status if record.status is not None else "-"
    detail = f" ({record.detail})" if record.detail else ""
    when = record.at if stamp is None else stamp
    return (
        f"{offset(when)} {record.subscription}: {record.kind} (attempt {record.attempt}) "
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
        if self.verbose:  # stamped when known, like the state change it may cause: time order
            line = attempt_line(record, stamp=record.done)
            self.console.print(line, highlight=False, soft_wrap=True)

    def state_changed(self, change: StateChange) -> None:
        style = f"bold {STATE_STYLE.get(change.new, '')}"
        self.console.print(change_line(change), style=style, highlight=False, soft_wrap=True)


class ConsoleReport:
    """Live status on a terminal; off one, failed attempts and state changes as they happen, and
    a status block every `every` simulated seconds. Counts attempts by outcome as they pass.

    On a terminal a thread of its own paints `refresh_per_second` frames a second: the lines
    that came since the last frame (failed attempts, state changes), at most `MAX_LINES` and a
    line counting the rest, printed above the status in one go, then the status. Printing above
    a live display redraws it, so a line printed as it came would cost the event loop a redraw
    each: a thousand subscriptions failing at once would stall it for seconds."""

    def __init__(
        self,
        console: Console,
        machines: Mapping[str, Machine],
        now: Callable[[], float],
        *,
        verbose: bool = False,
        every: float = 60.0,
        outcomes: Counter[str] | None = None,
        refresh_per_second: float = REFRESH_PER_SECOND,
    ) -> None:
        self.console = console
        self._machines = machines
        self._now = now
        self._verbose = verbose
        self._every = every  # plain mode: a status block every `every` simulated seconds
        self._next_block = every
        self._live: Live | None = None
        self.outcomes: Counter[str] = Counter() if outcomes is None else outcomes
        self._period = 1.0 / refresh_per_second
        self._lock = threading.Lock()  # the lines waiting, between the loop and the painter
        self._waiting: list[Text] = []
        self._unshown = 0  # lines past MAX_LINES since the last frame
        self._stop = threading.Event()
        self._painter: threading.Thread | None = None

    def __enter__(self) -> ConsoleReport:
        if self.console.is_terminal:
            self._live = Live(self.view(), console=self.console, auto_refresh=False, transient=True)
            self._live.__enter__()
            self._painter = threading.Thread(target=self._paint_often, name="live", daemon=True)
            self._painter.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._stop.set()
            if self._painter is not None:
                self._painter.join()
            self.paint()  # the last lines, and the status as it ended
            self._live.__exit__(None, None, None)
            self._live = None

    def attempt(self, record: AttemptRecord) -> None:
        self.outcomes[str(record.outcome)] += 1
        if self._verbose or record.outcome is not OutcomeKind.SUCCESS:
            line = attempt_line(record, stamp=record.done)
            self._say(line, None if record.outcome == "success" else "yellow")
        if self._live is None and record.done >= self._next_block:
            self._next_block = (record.done // self._every + 1) * self._every
            self._block_soon(record.done)

    def _block_soon(self, at: float) -> None:
        """Print the status block as of `at` once the engine has told everything of this
        instant: the state change an attempt causes is told right after the attempt, so a block
        printed at once would come before it, and a pipe would read out of time order."""
        try:
            asyncio.get_running_loop().call_soon(self._print_block, at)
        except RuntimeError:  # no loop (a caller driving the report by hand): print now
            self._print_block(at)

    def _print_block(self, at: float) -> None:
        for line in self.lines(at):
            self.console.print(line, highlight=False, soft_wrap=True)

    def state_changed(self, change: StateChange) -> None:
        self._say(change_line(change), f"bold {STATE_STYLE[change.new]}")

    def _say(self, line: str, style: str | None) -> None:
        """Print `line` now off a terminal; on one, with the next frame."""
        if self._live is None:
            self.console.print(line, style=style, highlight=False, soft_wrap=True)
            return
        with self._lock:
            if len(self._waiting) < MAX_LINES:
                self._waiting.append(Text(line, style=style or ""))
            else:
                self._unshown += 1

    def _paint_often(self) -> None:
        while not self._stop.wait(self._period):
            self.paint()

    def paint(self) -> None:
        """One frame on the terminal: the lines waiting, printed above the status, then the
        status redrawn. The painter thread calls it; so does the end of the run."""
        if self._live is None:
            return
        with self._lock:
            lines, self._waiting = self._waiting, []
            unshown, self._unshown = self._unshown, 0
        if unshown:
            more = (
                f"... and {unshown:,} more lines like these, left out (--log keeps every attempt)"
            )
            lines.append(Text(more, style="dim"))
        if lines:
            self.console.print(Group(*lines), soft_wrap=True)
        self._live.update(self.view(), refresh=True)

    def lines(self, at: float | None = None) -> list[str]:
        """The status as plain lines, for logs and pipes: one of totals, one per subscription
        listed (those in trouble first), and one counting those not listed; as of `at` (default:
        now)."""
        now = self._now() if at is None else at
        bring_up_to(self._machines, now)
        seen = survey(self._machines)
        when = offset(now)
        counted = seen.totals(self.outcomes, live=True)
        out = [f"{when} totals: " + "; ".join(f"{label} {text}" for label, text in counted)]
        for row in seen.listed:
            cells = dict(zip(STATUS_COLUMNS, row.cells(now, markup=False), strict=True))
            fields = " ".join(f"{key}={value}" for key, value in cells.items() if key != "state")
            out.append(f"{when} {row.name} {row.state} {fields}")
        if seen.rest:
            out.append(f"{when} {seen.rest_line()}")
        return out

    def view(self) -> RenderableType:
        """The live status on a terminal: totals, then a table of the subscriptions listed.
        Drawn from rich's refresh thread, so it only reads: production is brought up to now on
        the loop (`bring_up_to`, by `marketo-sim run` each simulated second)."""
        now = self._now()
        seen = survey(self._machines)
        table = grid(
            ("subscription", *STATUS_COLUMNS),
            [styled_cells(row, now) for row in seen.listed],
            left=2,
            title=f"simulated {offset(now)}",
            caption=seen.rest_line() if seen.rest else None,
        )
        counted = seen.totals(self.outcomes, live=True)
        return Group(*(Text(f"{label}: {text}") for label, text in counted), table)


def bring_up_to(machines: Mapping[str, Machine], now: float) -> None:
    """Production up to `now` before a status is drawn: machines produce lazily, when next
    polled, so a subscription waiting to retry would show its queue as it was at its last
    attempt. Time passing is path-independent in the machines: this changes no decision."""
    for machine in machines.values():
        machine.advance(now)


def styled_cells(row: Status, now: float) -> list[tuple[str, str | None]]:
    """A row of the live table: its name and `Status.cells`, each with its style (the state's
    colour, else none)."""
    cells = row.cells(now, markup=False)
    return [
        (row.name, None),
        (row.state, STATE_STYLE.get(row.state)),
        *((c, None) for c in cells[1:]),
    ]


def grid(
    columns: Sequence[str],
    rows: Sequence[Sequence[tuple[str, str | None]]],
    *,
    left: int,
    title: str,
    caption: str | None,
) -> Text:
    """A table drawn as rich draws its default one (`box.HEAVY_HEAD`, bold headers, an italic
    title and a dim caption), from cells of plain text and a style each: the first `left`
    columns flush left, the others flush right. Drawn line by line, without rich's measuring
    and wrapping of every cell, which is what makes a `Table` cost a millisecond a row."""
    widths = [max([len(name), *(len(row[i][0]) for row in rows)]) for i, name in enumerate(columns)]
    frame = box.HEAVY_HEAD
    out = Text(no_wrap=True, overflow="crop", end="")
    out.append(title + "\n", "table.title")
    out.append(frame.get_top([w + 2 for w in widths]) + "\n")
    out.append(frame.head_left)
    for i, (name, width) in enumerate(zip(columns, widths, strict=True)):
        text = name.ljust(width) if i < left else name.rjust(width)
        out.append(" ")
        out.append(text, "table.header")
        out.append(" " + (frame.head_vertical if i < len(columns) - 1 else frame.head_right))
    out.append("\n" + frame.get_row([w + 2 for w in widths], "head") + "\n")
    for row in rows:
        out.append(frame.mid_left)
        for i, ((text, style), width) in enumerate(zip(row, widths, strict=True)):
            out.append(" ")
            out.append(text.ljust(width) if i < left else text.rjust(width), style)
            out.append(" " + (frame.mid_vertical if i < len(columns) - 1 else frame.mid_right))
        out.append("\n")
    out.append(frame.get_bottom([w + 2 for w in widths]))
    if caption is not None:
        out.append("\n")
        out.append(caption, "table.caption")
    return out


@dataclass(frozen=True, slots=True)
class Survey:
    """Every subscription read once, cheaply: the count of each state, every ledger, and the
    full status of those listed only (`MAX_ROWS`, trouble first)."""

    states: Counter[str]
    ledgers: list[Ledger]
    listed: list[Status]
    rest: Counter[str]  # the states of those not listed

    def totals(self, outcomes: Mapping[str, int], *, live: bool = False) -> list[tuple[str, str]]:
        return counted_totals(self.states, self.ledgers, outcomes, live=live)

    def rest_line(self) -> str:
        return rest_counts_line(self.rest)


def survey(machines: Mapping[str, Machine], most: int = MAX_ROWS) -> Survey:
    """`machines` as the live status shows them, each one's ledger read once."""
    names = list(machines)
    every = list(machines.values())
    ledgers = [machine.ledger() for machine in every]
    states = [str(machine.state) for machine in every]
    ranks = [
        TROUBLE.get(state, CALM) if ledger.balanced else -1
        for state, ledger in zip(states, ledgers, strict=True)
    ]
    order = sorted(range(len(every)), key=ranks.__getitem__)  # stable: file order within a rank
    listed = [status_of(names[i], every[i], ledgers[i]) for i in order[:most]]
    return Survey(Counter(states), ledgers, listed, Counter(states[i] for i in order[most:]))


STATUS_COLUMNS = ("state", "queued", "oldest", "sent", "acked", "failed", "next")


@dataclass(frozen=True, slots=True)
class Status:
    """One subscription at one time, as the live status and the summary show it."""

    name: str
    state: str
    ledger: Ledger
    counters: Counters
    oldest: float | None  # when its oldest unacknowledged event was produced
    wake: float | None  # when it next has something to do

    @property
    def trouble(self) -> int:
        """How soon it needs a person's eye: lower is sooner (`TROUBLE`)."""
        return -1 if not self.ledger.balanced else TROUBLE.get(self.state, CALM)

    def cells(self, now: float, *, markup: bool = True) -> list[str]:
        """The live status's cells (`STATUS_COLUMNS`)."""
        c = self.counters
        queued = self.ledger.queued + self.ledger.in_flight
        state = f"[{STATE_STYLE.get(self.state, '')}]{self.state}[/]" if markup else self.state
        return [
            state,
            f"{queued:,}",
            duration(now - self.oldest) if self.oldest is not None else "-",
            f"{c.attempts:,}",
            f"{c.acknowledged_batches:,}",
            f"{c.failed_attempts:,}",
            f"in {duration(max(0.0, self.wake - now))}" if self.wake is not None else "-",
        ]


def status_of(name: str, machine: Machine, ledger: Ledger | None = None) -> Status:
    """`machine`'s status now; `ledger` when the run already closed its books."""
    held = machine.ledger() if ledger is None else ledger
    return Status(
        name,
        str(machine.state),
        held,
        machine.counters,
        machine.oldest_event_time(),
        machine.wakeup(),
    )


def statuses(
    machines: Mapping[str, Machine], ledgers: Mapping[str, Ledger] | None = None
) -> list[Status]:
    """Every subscription's status, in the run file's order; `ledgers` when the books are shut."""
    books = ledgers or {}
    return [status_of(name, machine, books.get(name)) for name, machine in machines.items()]


def status_cells(machine: Machine, now: float, *, markup: bool = True) -> list[str]:
    """One machine's live status cells (`STATUS_COLUMNS`)."""
    return status_of("", machine).cells(now, markup=markup)


def listing(rows: Sequence[Status], most: int = MAX_ROWS) -> tuple[list[Status], list[Status]]:
    """(the rows to list, the rest): those in trouble first, then the run file's order."""
    ordered = sorted(rows, key=lambda row: row.trouble)  # stable: file order within a rank
    return ordered[:most], ordered[most:]


def by_state(rows: Iterable[Status]) -> str:
    """ "98 active, 2 retrying": each state's count, states in `STATE_STYLE` order."""
    return state_counts(Counter(row.state for row in rows))


def state_counts(counts: Mapping[str, int]) -> str:
    """`by_state` of counted states."""
    order = [*STATE_STYLE, *sorted(set(counts) - set(STATE_STYLE))]
    return ", ".join(f"{counts[state]:,} {state}" for state in order if counts.get(state))


def rest_line(rest: Sequence[Status]) -> str:
    """ "... and 980 more, all active", or with each state's count when they differ."""
    return rest_counts_line(Counter(row.state for row in rest))


def rest_counts_line(rest: Mapping[str, int]) -> str:
    """`rest_line` of counted states."""
    count = sum(rest.values())
    present = [state for state, n in rest.items() if n]
    if len(present) == 1:
        return f"... and {count:,} more, all {present[0]}"
    return f"... and {count:,} more: {state_counts(rest)}"


def totals(
    rows: Sequence[Status], outcomes: Mapping[str, int], *, live: bool = False
) -> list[tuple[str, str]]:
    """(label, text) of each total: subscriptions by state, events by where they are, attempts by
    outcome and, at the end (not `live`), the ledger."""
    states = Counter(row.state for row in rows)
    return counted_totals(states, [row.ledger for row in rows], outcomes, live=live)


def counted_totals(
    states: Mapping[str, int],
    books: Sequence[Ledger],
    outcomes: Mapping[str, int],
    *,
    live: bool = False,
) -> list[tuple[str, str]]:
    """`totals` of counted states and every subscription's ledger."""
    events = {
        key: sum(getattr(ledger, field_name) for ledger in books)
        for key, field_name in EVENT_TOTALS.items()
    }
    if live:  # queued with in flight, as the live rows count them
        events["queued"] += events.pop("in flight")
    made = sum(outcomes.values())
    out = [
        ("subscriptions", f"{len(books):,} ({state_counts(states)})"),
        ("events", ", ".join(f"{key} {value:,}" for key, value in events.items())),
        ("attempts", f"{made:,}" + (f" ({by_outcome(outcomes)})" if made else "")),
    ]
    if not live:
        off = sum(not ledger.balanced for ledger in books)
        noun = "subscription" if len(books) == 1 else "subscriptions"
        every = "the" if len(books) == 1 else "all"
        out.append(
            ("ledger", f"off in {off:,} of {len(books):,} {noun}")
            if off
            else ("ledger", f"balanced in {every} {len(books):,} {noun}")
        )
    return out


def by_outcome(outcomes: Mapping[str, int]) -> str:
    """ "1,480 success, 20 http_error": outcomes from best to worst."""
    order = [*map(str, OutcomeKind), *sorted(set(outcomes) - set(map(str, OutcomeKind)))]
    return ", ".join(f"{outcomes[kind]:,} {kind}" for kind in order if outcomes.get(kind))


# Event totals: label -> field of the ledger, in the order events move through the producer.
EVENT_TOTALS = {
    "produced": "produced",
    "acknowledged": "acknowledged",
    "queued": "queued",
    "in flight": "in_flight",
    "expired": "expired",
    "discarded": "discarded",
    "dropped": "dropped",
}


def print_summary(
    console: Console,
    ledgers: Mapping[str, Ledger],
    machines: Mapping[str, Machine],
    **details: Any,
) -> None:
    """The end-of-run summary: a table on a terminal, unwrapped plain lines otherwise. `details`
    are `summary_lines`' keywords."""
    if console.is_terminal:
        console.print(run_summary(ledgers, machines, **details))
        return
    for line in summary_lines(ledgers, machines, **details):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def summary_lines(
    ledgers: Mapping[str, Ledger],
    machines: Mapping[str, Machine],
    *,
    ended_at: float,
    receiver: Mapping[str, int] | None = None,
    interrupted: bool = False,
    outcomes: Mapping[str, int] | None = None,
) -> list[str]:
    """The summary as plain lines, for pipes and logs: a title and the totals, then one
    `key=value` line per subscription listed (those in trouble first) and one counting the rest.
    `outcomes` counts the attempts by outcome; without it the machines' counters split them into
    acknowledged and failed."""
    rows = statuses(machines, ledgers)
    listed, rest = listing(rows)
    lines = _summary_head(rows, ended_at, receiver, interrupted, outcomes)
    lines += [summary_line(row, ended_at) for row in listed]
    return lines + ([rest_line(rest)] if rest else [])


def run_summary(
    ledgers: Mapping[str, Ledger],
    machines: Mapping[str, Machine],
    *,
    ended_at: float,
    receiver: Mapping[str, int] | None = None,
    interrupted: bool = False,
    outcomes: Mapping[str, int] | None = None,
) -> RenderableType:
    """The summary for a terminal: `summary_lines`' title and totals, then a table of the
    subscriptions listed, captioned with the count of the rest."""
    rows = statuses(machines, ledgers)
    listed, rest = listing(rows)
    head = _summary_head(rows, ended_at, receiver, interrupted, outcomes)
    table = Table(caption=rest_line(rest) if rest else None, caption_justify="left")
    for column in ("subscription", *SUMMARY_COLUMNS):
        table.add_column(column, justify="left" if column in ("subscription", "state") else "right")
    for row in listed:
        table.add_row(*summary_cells(row, ended_at))
    return Group(*(Text(line) for line in head), table)


def _summary_head(
    rows: Sequence[Status],
    ended_at: float,
    receiver: Mapping[str, int] | None,
    interrupted: bool,
    outcomes: Mapping[str, int] | None,
) -> list[str]:
    counted = outcomes if outcomes is not None else _outcomes_from_counters(rows)
    how = "interrupted" if interrupted else "ended"
    head = [f"run {how} at simulated {offset(ended_at)}"]
    head += [f"{label}: {text}" for label, text in totals(rows, counted)]
    if receiver is not None:
        head.append("dev endpoint: " + ", ".join(f"{k} {v:,}" for k, v in receiver.items()))
    return head


def _outcomes_from_counters(rows: Sequence[Status]) -> dict[str, int]:
    return {
        "acknowledged": sum(row.counters.acknowledged_batches for row in rows),
        "failed": sum(row.counters.failed_attempts for row in rows),
    }


SUMMARY_COLUMNS = ("state", "produced", "acked", "lost", "queued", "oldest", "failed", "ledger")


def summary_cells(row: Status, now: float) -> list[str]:
    """A subscription's row of the summary table: `SUMMARY_COLUMNS` after its name."""
    ledger = row.ledger
    lost = ledger.expired + ledger.discarded + ledger.dropped
    return [
        row.name,
        f"[{STATE_STYLE.get(row.state, '')}]{row.state}[/]",
        f"{ledger.produced:,}",
        f"{ledger.acknowledged:,}",
        f"{lost:,}",
        f"{ledger.queued + ledger.in_flight:,}",
        duration(now - row.oldest) if row.oldest is not None else "-",
        f"{row.counters.failed_attempts:,}",
        _balance(ledger, markup=True),
    ]


def summary_line(row: Status, now: float) -> str:
    """A subscription's line of the plain summary: its name, state, then `key=value` fields."""
    values = row.ledger.as_dict() | {
        "batches": row.counters.acknowledged_batches,
        "failed": row.counters.failed_attempts,
    }
    fields = " ".join(f"{key}={values[name]:,}" for key, name in SUMMARY_FIELDS.items())
    oldest = duration(now - row.oldest) if row.oldest is not None else "-"
    return f"{row.name} {row.state} {fields} oldest={oldest} ledger={_balance(row.ledger)}"


def _balance(ledger: Ledger, *, markup: bool = False) -> str:
    if ledger.balanced:
        return "[green]balanced[/]" if markup else "balanced"
    off = f"off by {ledger.produced - ledger.accounted:,}"
    return f"[red]{off}[/]" if markup else off.replace(" ", "-")


# A plain summary line's field -> field of the ledger (or of the extra counters).
SUMMARY_FIELDS = {
    **{name: name for name in LEDGER_FIELDS},
    "batches": "batches",
    "failed": "failed",
}
