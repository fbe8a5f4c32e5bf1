"""Observers of a run: the `--log` file, the narrated and live console, the end-of-run summary.
Each is fed records by hand here; the engine that emits them is another file's subject."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from simulator.core.delivery import Counters, Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, StateChange
from simulator.reports.console import (
    AttemptLog,
    ConsoleReport,
    Narrator,
    Recorder,
    attempt_json,
    attempt_line,
    change_line,
    run_summary,
    status_cells,
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
    assert out.getvalue().splitlines() == [change_line(CHANGE), attempt_line(record())]


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
    """A failed attempt is printed, a success is not; the first attempt past each interval
    prints one status line per subscription."""
    console, out = plain_console()
    with ConsoleReport(console, {"leads": FakeMachine()}, lambda: 100.0, every=60.0) as report:
        report.attempt(record(at=10.0))
        report.attempt(record(at=20.0, outcome=OutcomeKind.TIMEOUT))
        report.attempt(record(at=70.0))
        report.attempt(record(at=80.0))
    assert out.getvalue().splitlines() == [
        attempt_line(record(at=20.0, outcome=OutcomeKind.TIMEOUT)),
        "+00:01:40.000 leads retrying queued=100 oldest=1m10s sent=12 acked=9 failed=3 next=in 30s",
    ]


def test_the_summary_has_a_column_per_subscription_and_says_whether_it_balances() -> None:
    """State, the ledger's rows and the counters, and balanced or by how much it is off."""
    console, out = plain_console()
    ledgers = {"leads": Ledger(1000, 900, 0, 0, 0, 80, 20), "io": Ledger(10, 4, 0, 0, 0, 1, 0)}
    machines = {"leads": FakeMachine(), "io": FakeMachine(name="io", state="active")}
    console.print(run_summary(ledgers, machines, ended_at=1200.0, receiver={"requests": 1234}))
    text = out.getvalue()
    assert "run ended at simulated +00:20:00.000" in text
    assert "balanced" in text
    assert "off by 5" in text
    assert "dev endpoint: requests 1,234" in text
    assert row(text, "produced") == ["produced", "1,000", "10"]
    assert row(text, "state") == ["state", "retrying", "active"]


def test_an_interrupted_run_says_so() -> None:
    """Ctrl-C still ends with the summary, titled as interrupted."""
    console, out = plain_console()
    ledgers = {"leads": Ledger(1, 1, 0, 0, 0, 0, 0)}
    console.print(run_summary(ledgers, {"leads": FakeMachine()}, ended_at=5.0, interrupted=True))
    assert "run interrupted at simulated +00:00:05.000" in " ".join(out.getvalue().split())
