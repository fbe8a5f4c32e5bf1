"""What CI reads: exit codes that tell the truth, the `--json` document, output for pipes, and
attempt logs that repeat byte for byte. Everything runs on 127.0.0.1, mostly on the virtual clock.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from loopback import refusing_port

from simulator import __main__ as entry
from simulator import __version__
from simulator.cli import main
from simulator.core.delivery import Ledger
from simulator.core.recording import Recording, Verdict
from simulator.reports.console import ConsoleReport
from simulator.reports.jsondoc import (
    Latencies,
    ResultDocument,
    ledger_totals,
    result_json_schema,
)
from simulator.reports.junit import render_junit
from simulator.shell import signals
from simulator.timeline.gate import cut_short, default_verdicts

ROOT = Path(__file__).resolve().parent.parent
STAMP = re.compile(r"^\+(\d\d):(\d\d):(\d\d\.\d{3}) ")


@pytest.fixture(autouse=True)
def narrow_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """A narrow terminal width: output for pipes must not wrap at it."""
    monkeypatch.setenv("COLUMNS", "40")


def write(tmp_path: Path, text: str, name: str = "run.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


EMBEDDED = """\
munchkinId: 123-ABC-456
seed: 3
duration: 1m
subscriptions:
  - name: leads
    rate: 5
    delivery: {phase: aligned}
"""


# ---- exit codes ---------------------------------------------------------------------------------


def test_a_run_against_a_dead_endpoint_exits_1_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without `expect:`, the default threshold: a subscription that produced events and had
    none acknowledged fails the run (exit 1), named with what was expected and observed."""
    with refusing_port() as port:
        run = EMBEDDED.replace(
            "    rate: 5\n", f"    rate: 5\n    endpoint: http://127.0.0.1:{port}/\n"
        )
        argv = ["run", str(write(tmp_path, run)), "--speed", "60", "--duration", "10s"]
        assert main(argv) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("FAIL leads"))
    assert re.fullmatch(
        r"FAIL leads: acknowledged at least one event: expected at least 1 of \d+ events "
        r"acknowledged, observed 0 acknowledged",
        line,
    )


def test_a_run_honours_its_expect_block_as_replay_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run` judges `expect:` exactly as `replay`: the same verdict lines, exit 1 on a miss."""
    path = write(tmp_path, EMBEDDED + "expect:\n  - {subscription: leads, produced: 301}\n")
    assert main(["run", str(path), "--virtual"]) == 1
    run_lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("FAIL")]
    assert main(["replay", str(path)]) == 1
    replay_lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("FAIL")]
    expected = "FAIL leads: produced 301: expected 301, observed 300 at +00:01:00.000"
    assert run_lines == replay_lines == [expected]


def test_a_run_where_every_subscription_was_acknowledged_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default threshold holds: exit 0, and its count line says so."""
    assert main(["run", str(write(tmp_path, EMBEDDED)), "--virtual"]) == 0
    assert "1 passed, 0 failed; ledger balanced" in capsys.readouterr().out


def test_the_default_threshold_judges_only_subscriptions_that_produced() -> None:
    """One verdict per subscription with events; none for one that produced nothing."""
    verdicts = default_verdicts(
        {
            "quiet": Ledger(0, 0, 0, 0, 0, 0, 0),
            "acked": Ledger(10, 10, 0, 0, 0, 0, 0),
            "lost": Ledger(5, 0, 0, 0, 0, 5, 0),
        }
    )
    assert [(v.subscription, v.passed) for v in verdicts] == [("acked", True), ("lost", False)]


# ---- interruption, as values ---------------------------------------------------------------


def test_an_interruption_keeps_settled_verdicts_and_errors_the_rest() -> None:
    """A state at a time already reached stands, failed or passed; a count at the end and a
    check settled only after the interruption did not finish: errors, never passes."""
    early = Verdict("a: paused at +1m", False, "paused", "active", 60.0, "a", settled=60.0)
    late = Verdict("a: paused at +9m", True, "paused", "paused", 540.0, "a", settled=540.0)
    end = Verdict("a: produced 10", True, "10", "10", 100.0, "a")
    judged = cut_short([early, late, end], 100.0, "interrupted by SIGTERM")
    assert judged[0] == early
    assert [(v.passed, v.unfinished) for v in judged[1:]] == [(False, True), (False, True)]
    assert judged[2].observed == "not judged: interrupted by SIGTERM at +00:01:40.000"


def test_junit_marks_an_unfinished_verdict_as_an_error() -> None:
    """An unfinished check is an `<error>`, counted in `errors`, with the interruption named."""
    verdict = Verdict("a: produced 10", False, "10", "not judged", None, "a", unfinished=True)
    recording = Recording("s.yaml", "123-ABC-456", 1, 0.0, 5.0, ["a"], verdicts=[verdict])
    recording.interrupted = "SIGTERM"
    root = ET.fromstring(render_junit(recording))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("0", "1")
    error = suite.find("testcase/error")
    assert error is not None
    assert error.get("message") == "not judged"
    interrupted = suite.find("properties/property[@name='interrupted']")
    assert interrupted is not None
    assert interrupted.get("value") == "SIGTERM"


@pytest.fixture
def own_handlers() -> Iterator[None]:
    """`python -m simulator` installs its handlers for good; put this process's back after."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)
    signals.reset()


@pytest.mark.usefixtures("own_handlers")
def test_a_keyboard_interrupt_while_importing_ends_quietly_with_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the command line is still being imported: exit 130, nothing printed."""
    real_import = builtins.__import__

    def interrupted(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "simulator.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    monkeypatch.delitem(sys.modules, "simulator.cli")
    assert entry.main() == 130
    assert capsys.readouterr() == ("", "")


@pytest.mark.usefixtures("own_handlers")
def test_a_sigterm_while_importing_ends_quietly_with_143(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGTERM while the command line is being imported: the handlers are already in place, so
    it ends with 143 and prints nothing."""
    real_import = builtins.__import__

    def terminated(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "simulator.cli":
            os.kill(os.getpid(), signal.SIGTERM)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", terminated)
    monkeypatch.delitem(sys.modules, "simulator.cli")
    assert entry.main() == 143
    assert capsys.readouterr() == ("", "")


# ---- the --json document ------------------------------------------------------------------------


def test_the_json_document_of_a_run_has_version_endpoint_totals_and_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Versioned; the endpoint; totals and each subscription's ledger as numbers, equal to the
    summary's; latency percentiles and rates as numbers; the verdicts; it parses as the model."""
    out = tmp_path / "result.json"
    assert main(["run", str(write(tmp_path, EMBEDDED)), "--virtual", "--json", str(out)]) == 0
    document = orjson.loads(out.read_bytes())
    ResultDocument.model_validate(document)
    assert (document["schemaVersion"], document["tool"]) == (
        1,
        {"name": "marketo-stream-simulator", "version": __version__},
    )
    assert (document["command"], document["endpoint"], document["exitCode"]) == (
        "run",
        "embedded",
        0,
    )
    assert (document["interrupted"], document["passed"]) == (None, True)
    (sub,) = document["subscriptions"]
    ledger = sub["ledger"]
    assert (ledger["produced"], ledger["acknowledged"], ledger["queued"]) == (300, 290, 10)
    assert document["totals"]["ledger"] == ledger
    assert sub["attempts"] == document["totals"]["attempts"] == sub["outcomes"]["success"] == 29
    assert (sub["producedPerSecond"], sub["acknowledgedPerSecond"]) == (5.0, round(290 / 60, 6))
    assert sub["latency"]["count"] == 29
    assert all(isinstance(sub["latency"][p], float) for p in ("p50", "p90", "p99", "max"))
    assert [v["status"] for v in document["verdicts"]] == ["passed"]
    assert f"produced={ledger['produced']}" in capsys.readouterr().out


def test_latency_percentiles_are_bucket_edges_within_5_percent() -> None:
    """100 acknowledged attempts answered in 1..100 ms: p50 near 50 ms, p99 near 99 ms, each at
    most 5 % above, and the max exact."""
    from tests.test_console import record  # the console tests' attempt record

    latencies = Latencies()
    for ms in range(1, 101):
        latencies.attempt(record(latency=ms / 1000))
    got = latencies.of("leads")
    assert got.count == 100
    assert got.p50 is not None
    assert 0.050 <= got.p50 <= 0.050 * 1.05
    assert got.p99 is not None
    assert 0.099 <= got.p99 <= 0.1
    assert got.max == 0.1


def test_the_json_document_of_a_replay_lists_its_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`replay --json -`: the document alone on standard output, people's lines on stderr."""
    scenario = ROOT / "scenarios" / "steady-state.yaml"
    assert main(["replay", str(scenario), "--json", "-"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["command"] == "replay"
    assert len(document["verdicts"]) == 12
    assert {v["status"] for v in document["verdicts"]} == {"passed"}
    assert "12 passed, 0 failed" in captured.err


def test_the_published_result_schema_is_current() -> None:
    """scenarios/result.schema.json is what `marketo-sim schema --result` prints (make schema)."""
    published = ROOT / "scenarios" / "result.schema.json"
    assert json.loads(published.read_text()) == result_json_schema()


def test_the_documents_ledger_is_the_core_ledger_field_for_field() -> None:
    """The `--json` ledger has the core's counts in their order (camelCase), then `balanced`;
    its counts read back as the same `Ledger`."""
    ledger = Ledger(
        produced=12, acknowledged=7, expired=1, discarded=1, dropped=0, queued=2, in_flight=1
    )
    totals = ledger_totals([ledger])
    assert list(totals.model_dump(by_alias=True)) == [
        *("produced", "acknowledged", "expired", "discarded", "dropped", "queued", "inFlight"),
        "balanced",
    ]
    assert totals.balanced is True
    assert totals.counts() == ledger


# ---- pipes ---------------------------------------------------------------------------------------


def test_log_dash_writes_the_attempt_log_to_stdout_and_the_rest_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--log -`: standard output is the attempt log alone, one JSON object a line."""
    assert main(["run", str(write(tmp_path, EMBEDDED)), "--virtual", "--log", "-"]) == 0
    captured = capsys.readouterr()
    attempts = [orjson.loads(line) for line in captured.out.splitlines()]
    assert len(attempts) == 29
    assert {a["outcome"] for a in attempts} == {"success"}
    assert "run ended at simulated +00:01:00.000" in captured.err
    assert not Path("-").exists()


def test_two_files_on_stdout_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only one file can be standard output: exit 2, nothing sent."""
    argv = ["replay", str(write(tmp_path, EMBEDDED)), "--log", "-", "--json", "-"]
    assert main(argv) == 2
    assert "--log - and --json -: only one file can go to standard output" in (
        capsys.readouterr().err
    )


FLAKY = """\
munchkinId: 123-ABC-456
seed: 4
duration: 3m
receiver: {failureRate: 0.4, latency: 300ms}
subscriptions:
"""


@pytest.mark.parametrize("argv", [["run", "--virtual"], ["replay", "-v"]], ids=["run", "replay"])
def test_piped_output_is_one_unwrapped_line_per_event_in_time_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Three subscriptions against a flaky endpoint, 40 columns, not a terminal: every line
    with a time is stamped no earlier than the one before, and none is wrapped or boxed."""
    subs = "".join(
        f"  - name: subscription-with-a-long-name-{i}\n    rate: 20\n"
        "    delivery: {retryInterval: 1s, probeInterval: 1s}\n"
        for i in range(3)
    )
    command, flag = argv
    assert main([command, str(write(tmp_path, FLAKY + subs)), flag]) in (0, 1)
    lines = capsys.readouterr().out.splitlines()
    stamps = [int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) for m in map(STAMP.match, lines) if m]
    assert len(stamps) > 20
    assert stamps == sorted(stamps)
    assert any(len(line) > 100 for line in lines)  # lines far wider than 40 columns stay whole
    assert not any(set(line) & set("│┃━─") for line in lines)


def test_the_live_status_brings_production_up_to_now() -> None:
    """A subscription waiting to retry keeps producing: its queued column grows with the
    clock, though no attempt polled the machine in between."""
    from simulator.core.delivery import Policy, Subscription
    from simulator.core.traffic import Traffic

    machine = Subscription("leads", Policy(), Traffic(10.0))
    clock = [0.0]
    report = ConsoleReport(
        __import__("tests.test_console", fromlist=["plain_console"]).plain_console()[0],
        {"leads": machine},
        lambda: clock[0],
    )
    queued = []
    for t in (10.0, 20.0, 30.0):
        clock[0] = t
        queued.append(next(ln for ln in report.lines() if " leads " in ln).split()[3])
    assert queued == ["queued=100", "queued=200", "queued=300"]


def test_events_prints_json_lines_for_every_stream(capsys: pytest.CaptureFixture[str]) -> None:
    """One JSON object a line for each stream and profile, as many as asked."""
    for argv in (
        [],
        ["--profile", "adobe-io"],
        ["--stream", "user-audit"],
        ["--stream", "notification"],
    ):
        assert main(["events", "--count", "4", *argv]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [type(orjson.loads(line)) for line in lines] == [dict] * 4, argv


def test_events_batch_prints_one_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    """--batch: the body of one delivery, one document `json.loads` reads whole."""
    for argv in ([], ["--stream", "notification"]):
        assert main(["events", "--count", "3", "--batch", *argv]) == 0
        json.loads(capsys.readouterr().out)


def test_a_closed_pipe_ends_events_quietly() -> None:
    """`events | head -1` under pipefail: exit 0, one line through, nothing on stderr."""
    command = f'set -o pipefail; "{sys.executable}" -m simulator events --count 20000 | head -1'
    done = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert len(done.stdout.splitlines()) == 1


def test_ten_million_events_into_head_end_at_once() -> None:
    """`events --count 10000000 | head -3`: the events are written as they are made, so the
    closed pipe ends the command after the first chunk: exit 0, three lines, nothing on stderr
    (made whole first, ten million events would not fit in the bound below, nor in memory)."""
    command = (
        f'set -o pipefail; "{sys.executable}" -m simulator events --count 10000000 '
        "--stream notification | head -3"
    )
    done = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert [orjson.loads(line)["event"]["body"]["time"] for line in done.stdout.splitlines()] == [
        "2026-04-20T18:43:56Z",
        "2026-04-20T18:43:57Z",
        "2026-04-20T18:43:58Z",
    ]


@pytest.mark.parametrize(
    ("argv", "most"),
    [
        ([], "one marketo-legacy delivery (--batch) carries 1 to 500 events"),
        (["--profile", "adobe-io"], "one adobe-io delivery (--batch) carries 1 to 1000 events"),
    ],
    ids=["legacy", "adobe-io"],
)
def test_events_batch_is_bounded_by_the_largest_delivery(
    argv: list[str], most: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--batch is one delivery's body: more events than a run file's largest batch (batchSize
    500, io.maxEvents 1000) is refused with exit 2 and nothing printed."""
    count = "501" if not argv else "1001"
    assert main(["events", "--batch", "--count", count, *argv]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"marketo-sim: error: --count {count}: {most}\n")


# ---- repeatable attempt logs ---------------------------------------------------------------------


IDP = """\
munchkinId: 123-ABC-456
seed: 9
duration: 1m
receiver:
  oauth: {clientIdEnv: CIA_ID, clientSecretEnv: CIA_SECRET}
subscriptions:
  - name: secured
    rate: 5
    auth: {type: oauth, tokenUrl: embedded, clientIdEnv: CIA_ID, clientSecretEnv: CIA_WRONG}
"""


def test_two_replays_with_the_embedded_idp_give_identical_attempt_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded identity provider refuses the credentials: each attempt's detail names it by
    role, not by its random port, so the same seed gives the same log, byte for byte."""
    monkeypatch.setenv("CIA_ID", "client")
    monkeypatch.setenv("CIA_SECRET", "right")
    monkeypatch.setenv("CIA_WRONG", "wrong")
    path = write(tmp_path, IDP)
    logs = [tmp_path / "first.jsonl", tmp_path / "second.jsonl"]
    for log in logs:
        assert main(["replay", str(path), "--log", str(log)]) == 0
    first = logs[0].read_bytes()
    assert first == logs[1].read_bytes()
    details = {orjson.loads(line)["detail"] for line in first.splitlines()}
    assert details == {"the embedded identity provider refused the client credentials (401)"}


def test_a_replay_interrupted_while_starting_has_one_check_in_error(tmp_path: Path) -> None:
    """Cancelled before its first push: no traceback, no ledger, and one check in error (the run
    did not start), never a pass."""
    import asyncio

    from simulator.runfile.scenario import load_run
    from simulator.shell import clock
    from simulator.timeline.replay import replay

    run = load_run(write(tmp_path, EMBEDDED + "expect:\n  - {subscription: leads, noLoss: true}\n"))

    async def cancelled_at_once() -> Recording:
        task = asyncio.create_task(replay(run, virtual=True))
        await asyncio.sleep(0)  # it runs up to its first wait: starting the dev endpoint
        task.cancel()
        return await task

    recording = clock.run_virtual(cancelled_at_once())
    assert (recording.ledgers, recording.interrupted) == ({}, "cancelled")
    assert [(v.name, v.passed, v.unfinished) for v in recording.verdicts] == [
        ("the run", False, True)
    ]
