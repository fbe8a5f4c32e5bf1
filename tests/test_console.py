"""Observers of a run: the `--log` file, the narrated and live console, the end-of-run summary.
Each is fed records by hand here; the engine that emits them is another file's subject."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from simulator.core.delivery import Counters, Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, StateChange
from simulator.reports.console import (
    MAX_LINES,
    MAX_ROWS,
    AttemptLog,
    ConsoleReport,
    Narrator,
    Recorder,
    attempt_json,
    attempt_line,
    change_line,
    grid,
    print_summary,
    run_summary,
    status_cells,
    summary_lines,
)

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def record(
    at: float = 61.5, outcome: OutcomeKind = OutcomeKind.SUCCESS, **fields: Any
) -> AttemptRecord:
    """A retry of 500 events at `at`: a 200 on success, no status otherwise."""
    status = 200 if outcome is OutcomeKind.SUCCESS else None
    base = AttemptRecord(
        at=at,
        wall=START + at,
        subscription="leads",
        message_id="m-7",
        attempt=2,
        kind="retry",
        events=500,
        outcome=outcome,
        status=status,
        latency=0.0421234,
        state="active",
    )
    return replace(base, **fields)


CHANGE = StateChange(300.0, START + 300, "leads", "active", "retrying", "failed")


@dataclass
class FakeMachine:
    """A delivery machine frozen in one state: what the console reads from a real one."""

    name: str = "leads"
    state: str = "retrying"
    counters: Counters = field(
        default_factory=lambda: Counters(attempts=12, acknowledged_batches=9, failed_attempts=3)
    )
    held: Ledger = field(default_factory=lambda: Ledger(1000, 900, 0, 0, 0, 80, 20))
    oldest: float | None = 30.0
    wake: float | None = 130.0

    def ledger(self) -> Ledger:
        return self.held

    def oldest_event_time(self) -> float | None:
        return self.oldest

    def wakeup(self) -> float | None:
        return self.wake

    def advance(self, now: float) -> None:
        return None

    def inject(self, count: int, now: float) -> None:
        return None

    def abandon(self) -> None:
        return None


def plain_console(*, width: int = 200) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, color_system=None, force_terminal=False), out


def row(table: str, label: str) -> list[str]:
    """The cells of the summary table's row that starts with `label`."""
    line = next(line for line in table.splitlines() if line.startswith(f"│ {label} "))
    return [cell.strip() for cell in line.split("│")[1:-1]]


def fleet(count: int, trouble: dict[int, str] | None = None) -> dict[str, FakeMachine]:
    """`count` active subscriptions sub0000, sub0001, ...; those in `trouble` in the state given."""
    states = trouble or {}
    return {
        f"sub{i:04d}": FakeMachine(name=f"sub{i:04d}", state=states.get(i, "active"))
        for i in range(count)
    }


def test_a_log_line_is_the_attempt_as_json() -> None:
    """Wall time as ISO UTC, simulated time and latency rounded to microseconds."""
    assert attempt_json(record(detail="slow")) == {
        "time": "2026-01-01T00:01:01.500Z",
        "t": 61.5,
        "subscription": "leads",
        "messageId": "m-7",
        "attempt": 2,
        "kind": "retry",
        "events": 500,
        "outcome": OutcomeKind.SUCCESS,
        "status": 200,
        "latency": 0.042123,
        "state": "active",
        "detail": "slow",
    }


def test_the_attempt_log_writes_one_json_line_per_attempt_and_nothing_else() -> None:
    """Attempts become lines; state changes are not the log's business."""
    stream = io.BytesIO()
    log = AttemptLog(stream)
    log.attempt(record(at=1.0))
    log.state_changed(CHANGE)
    log.attempt(record(at=2.0))
    lines = stream.getvalue().splitlines()
    assert [orjson.loads(line)["t"] for line in lines] == [1.0, 2.0]


def test_each_log_line_is_on_disk_as_soon_as_its_attempt_is_recorded(tmp_path: Path) -> None:
    """Flushed line by line: a run killed now leaves every attempt so far, each line whole."""
    path = tmp_path / "attempts.jsonl"
    with path.open("wb") as stream:
        log = AttemptLog(stream)
        for at in (1.0, 2.0, 3.0):
            log.attempt(record(at=at))
            lines = path.read_bytes().split(b"\n")
            assert lines[-1] == b""  # the last line is complete
            assert [orjson.loads(line)["t"] for line in lines[:-1]][-1] == at


def test_an_attempt_reads_as_one_line() -> None:
    """When, who, which attempt, what came back and how fast; a missing status is a dash."""
    assert attempt_line(record()) == (
        "+00:01:01.500 leads: retry (attempt 2) msg=m-7 events=500 -> success 200 after 0.042s"
    )
    assert attempt_line(record(outcome=OutcomeKind.TIMEOUT, detail="no answer in 20s")) == (
        "+00:01:01.500 leads: retry (attempt 2) msg=m-7 events=500 -> timeout - after 0.042s "
        "(no answer in 20s)"
    )


def test_a_state_change_reads_as_one_line() -> None:
    """When, who, from which state to which, and why."""
    assert change_line(CHANGE) == "+00:05:00.000 leads: active -> retrying (failed)"


def test_the_recorder_keeps_every_record_in_order() -> None:
    """What tests and the summary read back."""
    recorder = Recorder()
    recorder.attempt(record(at=1.0))
    recorder.state_changed(CHANGE)
    recorder.attempt(record(at=2.0))
    assert [r.at for r in recorder.attempts] == [1.0, 2.0]
    assert recorder.changes == [CHANGE]


def test_the_narrator_tells_state_changes_and_attempts_only_when_verbose() -> None:
    """Quiet: state changes alone. Verbose: every attempt too."""
    console, out = plain_console()
    Narrator(console).attempt(record())
    Narrator(console).state_changed(CHANGE)
    Narrator(console, verbose=True).attempt(record())
    assert out.getvalue().splitlines() == [
        change_line(CHANGE),
        attempt_line(record(), stamp=record().done),
    ]


def test_status_cells_describe_a_machine_at_a_time() -> None:
    """State, events queued or in flight, age of the oldest, attempts, acks, failures, next."""
    assert status_cells(FakeMachine(), 100.0, markup=False) == [
        "retrying",
        "100",
        "1m10s",
        "12",
        "9",
        "3",
        "in 30s",
    ]
    idle = FakeMachine(state="active", oldest=None, wake=None)
    cells = status_cells(idle, 100.0)
    assert (cells[0], cells[2], cells[6]) == ("[green]active[/]", "-", "-")


def test_off_a_terminal_the_report_prints_failures_and_a_status_block_each_interval() -> None:
    """A failed attempt is printed (stamped when its outcome was known, the order lines come
    in), a success is not; the first attempt past each interval prints the totals and one status
    line per subscription."""
    console, out = plain_console()
    with ConsoleReport(console, {"leads": FakeMachine()}, lambda: 100.0, every=60.0) as report:
        report.attempt(record(at=10.0))
        report.attempt(record(at=20.0, outcome=OutcomeKind.TIMEOUT))
        report.attempt(record(at=70.0))
        report.attempt(record(at=80.0))
    assert out.getvalue().splitlines() == [
        attempt_line(record(at=20.0, outcome=OutcomeKind.TIMEOUT), stamp=20.042),
        "+00:01:40.000 totals: subscriptions 1 (1 retrying); events produced 1,000, "
        "acknowledged 900, queued 100, expired 0, discarded 0, dropped 0; "
        "attempts 3 (2 success, 1 timeout)",
        "+00:01:40.000 leads retrying queued=100 oldest=1m10s sent=12 acked=9 failed=3 next=in 30s",
    ]


def test_a_status_block_lists_the_subscriptions_in_trouble_first_and_counts_the_rest() -> None:
    """1,000 subscriptions, two in trouble: totals, the paused one, the retrying one, then the
    first active ones in file order up to `MAX_ROWS` rows, and a line for the other 980."""
    report = ConsoleReport(
        plain_console()[0], fleet(1000, {7: "retrying", 500: "paused"}), lambda: 100.0
    )
    lines = report.lines()
    assert len(lines) == 1 + MAX_ROWS + 1
    assert lines[0].startswith("+00:01:40.000 totals: subscriptions 1,000 (998 active, ")
    names = [line.split()[1] for line in lines[1:-1]]
    assert names[:3] == ["sub0500", "sub0007", "sub0000"]
    assert names[-1] == "sub0018"
    assert lines[-1] == "+00:01:40.000 ... and 980 more, all active"


def test_the_live_view_on_a_terminal_is_totals_and_a_bounded_table() -> None:
    """The table holds `MAX_ROWS` rows, trouble first, and its caption counts the rest."""
    console, out = plain_console()
    report = ConsoleReport(console, fleet(30, {29: "disabled"}), lambda: 100.0)
    console.print(report.view())
    text = out.getvalue()
    assert text.startswith("subscriptions: 30 (29 active, 1 disabled)\n")
    assert row(text, "sub0029")[1] == "disabled"
    assert sum(line.startswith("│ sub") for line in text.splitlines()) == MAX_ROWS
    assert "... and 10 more, all active" in text


def test_on_a_terminal_lines_wait_for_a_frame_which_prints_at_most_max_lines() -> None:
    """Failed attempts are printed above the live status with the next frame, not as they come;
    a frame prints `MAX_LINES` of them and a line counting the rest. (The painter thread is
    slowed to a frame a million seconds, so only `paint` draws here.)"""
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, force_terminal=True)
    failed = [record(at=float(i), outcome=OutcomeKind.TIMEOUT) for i in range(MAX_LINES + 5)]
    with ConsoleReport(
        console, {"leads": FakeMachine()}, lambda: 100.0, refresh_per_second=1e-6
    ) as report:
        for attempt in failed:
            report.attempt(attempt)
        assert attempt_line(failed[0], stamp=failed[0].done) not in out.getvalue()
        report.paint()
        printed = out.getvalue()
    assert all(attempt_line(a, stamp=a.done) in printed for a in failed[:MAX_LINES])
    assert attempt_line(failed[MAX_LINES], stamp=failed[MAX_LINES].done) not in printed
    assert "... and 5 more lines like these, left out (--log keeps every attempt)" in printed


def test_the_live_table_is_drawn_as_rich_draws_its_default_table() -> None:
    """`grid` (the live view's cheap table) shows what a rich `Table` of the same cells, title
    and caption shows, line for line (rich pads the title and caption with spaces)."""
    columns = ("name", "state", "count")
    cells = [
        [("a", None), ("active", "green"), ("1,000", None)],
        [("long-name", None), ("paused", "red"), ("7", None)],
    ]
    title, caption = "simulated +00:00:01.000", "... and 3 more, all active"
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < 2 else "right")
    for row_cells in cells:
        table.add_row(*(text for text, _ in row_cells))
    drawn = []
    for renderable in (table, grid(columns, cells, left=2, title=title, caption=caption)):
        console, out = plain_console()
        console.print(renderable)
        drawn.append([line.rstrip() for line in out.getvalue().splitlines()])
    assert drawn[1] == drawn[0]
    assert drawn[1][5] == "│ long-name │ paused │     7 │"


def test_the_plain_summary_is_totals_then_a_line_per_subscription() -> None:
    """Title, subscriptions by state, events, attempts by outcome, the ledger, the dev
    endpoint, then `key=value` lines: the unbalanced ledger first, then the file's order."""
    ledgers = {"leads": Ledger(1000, 900, 0, 0, 0, 80, 20), "io": Ledger(10, 4, 0, 0, 0, 1, 0)}
    machines = {"leads": FakeMachine(), "io": FakeMachine(name="io", state="active")}
    lines = summary_lines(
        ledgers,
        machines,
        ended_at=1200.0,
        receiver={"requests": 1234},
        outcomes={"timeout": 3, "success": 9},
    )
    assert lines == [
        "run ended at simulated +00:20:00.000",
        "subscriptions: 2 (1 active, 1 retrying)",
        "events: produced 1,010, acknowledged 904, queued 81, in flight 20, expired 0, "
        "discarded 0, dropped 0",
        "attempts: 12 (9 success, 3 timeout)",
        "ledger: off in 1 of 2 subscriptions",
        "dev endpoint: requests 1,234",
        "io active produced=10 acknowledged=4 expired=0 discarded=0 dropped=0 queued=1 "
        "in_flight=0 batches=9 failed=3 oldest=19m30s ledger=off-by-5",
        "leads retrying produced=1,000 acknowledged=900 expired=0 discarded=0 dropped=0 "
        "queued=80 in_flight=20 batches=9 failed=3 oldest=19m30s ledger=balanced",
    ]


def test_a_summary_of_many_subscriptions_lists_a_bounded_number() -> None:
    """25 subscriptions, one paused at the end of the file: it comes first, then 19 more, then
    a line for the other five and their states."""
    lines = summary_lines({}, fleet(25, {24: "paused", 22: "pending"}), ended_at=60.0)
    assert lines[1:5] == [
        "subscriptions: 25 (23 active, 1 pending, 1 paused)",
        "events: produced 25,000, acknowledged 22,500, queued 2,000, in flight 500, expired 0, "
        "discarded 0, dropped 0",
        "attempts: 300 (225 acknowledged, 75 failed)",
        "ledger: balanced in all 25 subscriptions",
    ]
    names = [line.split()[0] for line in lines[5:-1]]
    assert (len(names), names[:3]) == (MAX_ROWS, ["sub0024", "sub0022", "sub0000"])
    assert lines[-1] == "... and 5 more, all active"


def test_the_rest_line_counts_each_state_when_they_differ() -> None:
    """Past `MAX_ROWS` trouble rows, the rest may be in trouble too: each state counted."""
    trouble = {i: "paused" for i in range(22)} | {22: "retrying"}
    lines = summary_lines({}, fleet(30, trouble), ended_at=60.0)
    assert lines[-1] == "... and 10 more: 7 active, 1 retrying, 2 paused"


def test_off_a_terminal_the_summary_is_never_wrapped() -> None:
    """On an 80-column pipe, a 140-character line stays one line."""
    console, out = plain_console(width=80)
    ledgers = {"leads": Ledger(1_000_000, 900_000, 0, 0, 0, 80_000, 20_000)}
    print_summary(console, ledgers, {"leads": FakeMachine()}, ended_at=5.0)
    lines = out.getvalue().splitlines()
    assert lines == summary_lines(ledgers, {"leads": FakeMachine()}, ended_at=5.0)
    assert max(map(len, lines)) > 80


def test_on_a_terminal_the_summary_is_a_table_of_the_subscriptions() -> None:
    """State, events, loss, queue, oldest age, failures and the ledger, one row each; without
    outcomes counted, the attempts are split by the machines' counters."""
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, force_terminal=True)
    ledgers = {"leads": Ledger(1000, 900, 0, 0, 0, 80, 20), "io": Ledger(10, 4, 0, 0, 0, 1, 0)}
    machines = {"leads": FakeMachine(), "io": FakeMachine(name="io", state="active")}
    print_summary(console, ledgers, machines, ended_at=1200.0)
    text = out.getvalue()
    assert "attempts: 24 (18 acknowledged, 6 failed)" in text
    assert row(text, "io") == ["io", "active", "10", "4", "0", "1", "19m30s", "3", "off by 5"]
    assert row(text, "leads")[1] == "retrying"


def test_an_interrupted_run_says_so() -> None:
    """Ctrl-C still ends with the summary, titled as interrupted."""
    console, out = plain_console()
    ledgers = {"leads": Ledger(1, 1, 0, 0, 0, 0, 0)}
    console.print(run_summary(ledgers, {"leads": FakeMachine()}, ended_at=5.0, interrupted=True))
    assert "run interrupted at simulated +00:00:05.000" in " ".join(out.getvalue().split())
