"""SIGINT and SIGTERM end every command alike: the summary, every file asked for with the
interruption marked, exit 130 or 143, and never a traceback.

Each test starts a real `python -m simulator` on 127.0.0.1, waits (bounded) until it has printed a
known line, sends the signal and reads what it left behind. No test sleeps: the line is the cue.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60.0  # seconds: a bound on each wait, never a timing
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
BOTH = pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])

RUN = """\
munchkinId: 123-ABC-456
seed: 2
duration: 1h
subscriptions:
  - name: leads
    rate: 10
expect:
  - {subscription: leads, state: active}
  - {subscription: leads, state: active, at: 1s}
"""


class Process:
    """A running `python -m simulator ...` whose output is read line by line in a thread."""

    def __init__(self, *argv: str, cwd: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "simulator", *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.out: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, text: str) -> str:
        """The first line containing `text`; fails if the process ends or WAIT passes first."""
        while True:
            line = self.lines.get(timeout=WAIT)
            assert line is not None, f"ended before printing {text!r}: {self.out}"
            self.out.append(line)
            if text in line:
                return line

    def stop(self, signum: int) -> tuple[int, list[str], str]:
        """Send `signum`; (exit code, every line of stdout, stderr) once it has ended."""
        self.popen.send_signal(signum)
        code = self.popen.wait(timeout=WAIT)
        while (line := self.lines.get(timeout=WAIT)) is not None:
            self.out.append(line)
        assert self.popen.stderr is not None
        return code, self.out, self.popen.stderr.read()


@contextmanager
def started(*argv: str, cwd: Path) -> Iterator[Process]:
    process = Process(*argv, cwd=cwd)
    try:
        yield process
    finally:
        if process.popen.poll() is None:
            process.popen.kill()
            process.popen.wait(timeout=WAIT)
        process.reader.join(timeout=WAIT)
        for stream in (process.popen.stdout, process.popen.stderr):
            if stream is not None:
                stream.close()


def assert_quiet(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Error" not in stderr


@BOTH
def test_run_ends_with_its_summary_files_and_the_signals_exit_code(
    tmp_path: Path, signum: int
) -> None:
    """`run` at speed 10, stopped once its first push is acknowledged: the summary says
    interrupted, the attempt log ends with an interruption line, the JSON document names the
    signal and the exit code, and the end-of-run check is an error, never a pass."""
    (tmp_path / "run.yaml").write_text(RUN)
    argv = ("run", "run.yaml", "--speed", "10", "-v", "--log", "a.jsonl", "--json", "r.json")
    with started(*argv, cwd=tmp_path) as process:
        process.wait_for("-> success 200")
        code, out, err = process.stop(signum)
    name = signal.Signals(signum).name
    assert code == CODES[signum]
    assert_quiet(err)
    assert any(line.startswith("run interrupted at simulated +") for line in out)
    assert any(line.startswith("leads active produced=") for line in out)
    assert out[-1] == f"interrupted by {name}: exit {CODES[signum]}"
    lines = [orjson.loads(line) for line in (tmp_path / "a.jsonl").read_bytes().splitlines()]
    assert lines[0]["outcome"] == "success"
    assert (lines[-1]["kind"], lines[-1]["signal"]) == ("interrupted", name)
    document = orjson.loads((tmp_path / "r.json").read_bytes())
    assert (document["interrupted"], document["exitCode"], document["passed"]) == (
        name,
        CODES[signum],
        False,
    )
    statuses = {v["name"]: v["status"] for v in document["verdicts"]}
    assert statuses == {
        "leads: active at the end": "error",
        "leads: active at +00:00:01.000": "passed",
    }


def test_replay_writes_junit_html_and_json_marked_interrupted(tmp_path: Path) -> None:
    """`replay --speed 10` stopped with SIGTERM after its first attempt: JUnit counts the
    unfinished check as an error and names the signal; the HTML page and the JSON say so."""
    (tmp_path / "run.yaml").write_text(RUN)
    argv = ("replay", "run.yaml", "--speed", "10", "-v")
    files = ("--junit", "j.xml", "--report", "r.html", "--json", "r.json", "--log", "a.jsonl")
    with started(*argv, *files, cwd=tmp_path) as process:
        process.wait_for("-> success 200")
        code, out, err = process.stop(signal.SIGTERM)
    assert code == 143
    assert_quiet(err)
    assert "ERROR leads: active at the end: not judged: interrupted by SIGTERM at +" in "\n".join(
        out
    )
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "0", "1")
    prop = suite.find("properties/property[@name='interrupted']")
    assert prop is not None
    assert prop.get("value") == "SIGTERM"
    assert "<b>interrupted</b> by SIGTERM at" in (tmp_path / "r.html").read_text()
    assert orjson.loads((tmp_path / "r.json").read_bytes())["exitCode"] == 143
    last = orjson.loads((tmp_path / "a.jsonl").read_bytes().splitlines()[-1])
    assert last["kind"] == "interrupted"


@BOTH
def test_receive_prints_its_stats_and_exits_with_the_signals_code(
    tmp_path: Path, signum: int
) -> None:
    """The dev endpoint, stopped: its stats line, then 130 or 143."""
    with started("receive", "--port", "0", cwd=tmp_path) as process:
        process.wait_for("behaviour:")
        code, out, err = process.stop(signum)
    assert code == CODES[signum]
    assert_quiet(err)
    assert out[-1].startswith("stats: requests=0 batches=0 ")


def test_contract_writes_junit_and_json_with_the_check_under_way_in_error(tmp_path: Path) -> None:
    """A contract's sustained-rate check against the dev endpoint, stopped with SIGTERM: the
    check under way is an error in JUnit and JSON, and the exit code is 143."""
    with started("receive", "--port", "0", "--quiet", cwd=tmp_path) as consumer:
        url = consumer.wait_for("receiving on ").split("receiving on ")[1]
        argv = ("contract", "--endpoint", url, "--check", "sustained-rate", "--sustain", "1h")
        with started(*argv, "--junit", "c.xml", "--json", "c.json", cwd=tmp_path) as contract:
            contract.wait_for("marketo-sim contract ")
            code, out, err = contract.stop(signal.SIGTERM)
    assert code == 143, (out, err)
    assert len(out) == 3, (out, err)  # what it plays, the seed, the summary
    assert_quiet(err)
    assert out[-1].startswith("0 passed, 0 failed, 0 skipped, 1 interrupted: exit 143")
    suite = ET.parse(tmp_path / "c.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")
    document = orjson.loads((tmp_path / "c.json").read_bytes())
    assert (document["interrupted"], document["exitCode"]) == ("SIGTERM", 143)
    assert [(c["name"], c["status"]) for c in document["checks"]] == [("sustained-rate", "error")]


@BOTH
def test_send_prints_what_it_sent_and_that_no_answer_came(tmp_path: Path, signum: int) -> None:
    """`send` to a consumer that answers only after an hour, stopped once the request is printed:
    the request stays printed, the last line says no answer came and why, exit 130 or 143."""
    name = signal.Signals(signum).name
    with started("receive", "--port", "0", "--latency", "3600", cwd=tmp_path) as consumer:
        url = consumer.wait_for("receiving on ").split("receiving on ")[1]
        with started("send", url, "Visit Webpage", "--seed", "7", cwd=tmp_path) as send:
            send.wait_for("  event 1 Visit Webpage: ")
            code, out, err = send.stop(signum)
    assert code == CODES[signum], (out, err)
    assert_quiet(err)
    assert out[0] == "seed 7 (--seed 7 sends these events again)"
    assert out[1].startswith(f"POST {url} (marketo-legacy, lead-activity): 1 event, ")
    assert out[-1] == f"answer: none: interrupted by {name} before the consumer answered"


def test_an_adobe_io_send_interrupted_while_serving_its_keys_ends_the_same_way(
    tmp_path: Path,
) -> None:
    """An Adobe I/O `send` stopped with SIGINT while its key host serves the public keys: the
    key host's address and the request stay printed, the last line says no answer came, 130."""
    with started("receive", "--port", "0", "--latency", "3600", cwd=tmp_path) as consumer:
        url = consumer.wait_for("receiving on ").split("receiving on ")[1]
        with started("send", url, "--profile", "adobe-io", cwd=tmp_path) as send:
            send.wait_for("  event 1 ")
            code, out, err = send.stop(signal.SIGINT)
    assert code == 130, (out, err)
    assert_quiet(err)
    assert out[1].startswith("public keys at http://127.0.0.1:")
    assert out[-1] == "answer: none: interrupted by SIGINT before the consumer answered"


@BOTH
def test_events_stops_between_two_lines_with_the_signals_exit_code(
    tmp_path: Path, signum: int
) -> None:
    """`events --count 10000000`, stopped once its first line is out: 130 or 143, no traceback,
    and every line printed is a whole JSON object (none is cut by the signal)."""
    with started("events", "--count", "10000000", cwd=tmp_path) as process:
        process.wait_for('"activityTypeId"')
        code, out, err = process.stop(signum)
    assert code == CODES[signum]
    assert err == ""
    assert len(out) < 10_000_000
    assert all(isinstance(orjson.loads(line), dict) for line in out)
