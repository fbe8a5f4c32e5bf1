"""`marketo-sim ctl URL ...` steering a real `run --control-port` (a subprocess on the scaled
clock, pushing to its embedded dev endpoint on 127.0.0.1): what ctl applies shows in the run's
attempt log and its live view (plain lines on a pipe), and `--record-scenario` writes a scenario
that `replay` plays to the same pushes, outcomes and state changes on the virtual clock.

One run serves the module (`steered`): at --speed 15 its 40 simulated seconds last under 3 s.
Steps are applied when no attempt is due within a simulated second (read from the status
document), so the scaled clock's lateness cannot move an attempt across a step.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from loopback import refusing_port, simulator_process

from simulator.cli import main
from simulator.control.ctl import step_of
from simulator.control.livestep import parse_live_step
from simulator.reports.console import Recorder
from simulator.runfile.scenario import load_run
from simulator.shell.clock import run_virtual, stopwatch
from simulator.timeline.replay import replay

WAIT = 30.0  # real seconds: a bound on each wait, never a timing
TOKEN = "ctl-test-token"
SPEED = "15"
TOLERANCE = 0.5  # simulated seconds between a scaled-clock attempt and its replay on the virtual
RUN = """\
# steered by tests/test_ctl.py
munchkinId: 123-ABC-456
duration: 40s
receiver: {tokenEnv: CTL_TEST_TOKEN}
subscriptions:
  - name: leads
    endpoint: embedded
    auth: {type: token, tokenEnv: CTL_TEST_TOKEN}
    rate: 5   # a batch holds what was produced by its slot, however late the scaled clock polls
    delivery: {phase: aligned, retryInterval: 3s, retries: 5}
"""
CHANGE = re.compile(r"^\+(\d\d):(\d\d):(\d\d\.\d+) leads: (\w+) -> (\w+) \(")


def ctl(*words: str, token: bool = True) -> tuple[int, str, str]:
    """`marketo-sim ctl ...` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["ctl", *words[:1], *(["--token-env", "CTL_TEST_TOKEN"] if token else []), *words[1:]]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def status(url: str) -> dict[str, Any]:
    code, out, err = ctl(url, "status", "--json")
    assert code == 0, err
    document: dict[str, Any] = orjson.loads(out)
    return document


def when(url: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first status document that is `ready`, polled (bounded by WAIT real seconds)."""
    elapsed = stopwatch()
    while elapsed() < WAIT:  # each poll is a request answered in milliseconds: no sleep needed
        document = status(url)
        if ready(document):
            return document
    raise AssertionError(f"not reached in {WAIT}s: {document}")


def quiet(document: dict[str, Any], at: float) -> bool:
    """At or after `at`, with no attempt due within a simulated second."""
    due = document["subscriptions"][0]["nextAttemptAt"]
    return document["now"] >= at and (due is None or due - document["now"] > 1.0)


@dataclass(frozen=True, slots=True)
class Steered:
    url: str
    code: int
    stdout: list[str]
    log: list[dict[str, Any]]
    recording: Path
    answers: dict[str, tuple[int, str, str]]


@pytest.fixture(scope="module")
def steered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steered]:
    """The run, steered by ctl: a burst of 300 at 3 s; from 8 s the endpoint answers 503 and a
    burst of 200 fails and is retried until the endpoint is normal again; a refused step."""
    tmp = tmp_path_factory.mktemp("ctl")
    (tmp / "run.yaml").write_text(RUN)
    argv = ["run", "run.yaml", "--speed", SPEED, "--control-port", "0"]
    argv += ["--log", "log.jsonl", "--record-scenario", "out.yaml"]
    os.environ["CTL_TEST_TOKEN"] = TOKEN
    try:
        with simulator_process(tmp, *argv, env={"CTL_TEST_TOKEN": TOKEN}) as child:
            stdout = child.until(lambda line: line.startswith("control: "))
            url = stdout[-1].split()[1].rstrip(";")
            answers = {}
            when(url, lambda d: quiet(d, 3.0))
            answers["burst"] = ctl(url, "burst", "leads", "300")
            when(url, lambda d: quiet(d, 8.0))
            answers["outage"] = ctl(url, "endpoint", "status=503")
            answers["burst2"] = ctl(url, "burst", "leads", "200")
            when(url, lambda d: d["subscriptions"][0]["state"] == "retrying")
            at = status(url)["now"]
            when(url, lambda d: quiet(d, at + 4.0))
            answers["normal"] = ctl(url, "endpoint", "normal")
            answers["refused"] = ctl(url, "enable", "leads")
            answers["no token"] = ctl(url, "status", token=False)
            code = child.process.wait(timeout=WAIT)
            stdout += child.rest()
        log = [orjson.loads(line) for line in (tmp / "log.jsonl").read_bytes().splitlines()]
        yield Steered(url, code, stdout, log, tmp / "out.yaml", answers)
    finally:
        os.environ.pop("CTL_TEST_TOKEN", None)


# -- done when: a burst and an outage applied through ctl show in the log and the live view --------


def test_ctl_answers_with_the_time_each_step_was_applied(steered: Steered) -> None:
    """Each applied step: exit 0 and one line with its simulated time and label."""
    code, out, _ = steered.answers["burst"]
    assert code == 0
    assert re.fullmatch(r"applied at \d+\.\d{3}s: burst: subscription=leads, count=300\n", out)
    assert steered.answers["outage"][1].endswith(": endpoint: status=503\n")


def test_the_steps_applied_through_ctl_are_lines_of_the_attempt_log(steered: Steered) -> None:
    """The log has a step line for each, with the step as the scenario language writes it."""
    steps = [(line["step"], line["text"]) for line in steered.log if line["kind"] == "step"]
    assert steps == [
        (
            {"burst": {"subscription": "leads", "count": 300}},
            "burst: subscription=leads, count=300",
        ),
        ({"endpoint": {"status": 503}}, "endpoint: status=503"),
        (
            {"burst": {"subscription": "leads", "count": 200}},
            "burst: subscription=leads, count=200",
        ),
        ({"endpoint": "normal"}, "endpoint: normal"),
    ]


def test_the_burst_and_the_outage_show_as_attempts_in_the_log(steered: Steered) -> None:
    """The 300 go in the next push with the slot's 10 steady events (5/s, a step between slots);
    the 200 with theirs are refused with 503 while the outage lasts, then taken."""
    attempts = [(a["kind"], a["events"], a["status"]) for a in steered.log if "messageId" in a]
    bursts = [a for a in attempts if a[1] >= 200]
    assert bursts[0] == ("push", 310, 200)
    assert bursts[1] == ("push", 210, 503)
    assert bursts[-1] == ("retry", 210, 200)
    assert {a[2] for a in bursts[2:-1]} == {503}


def test_the_live_view_shows_the_steps_and_what_they_did(steered: Steered) -> None:
    """On a pipe the live view prints each step, the state changes and the failed attempts."""
    out = "\n".join(steered.stdout)
    assert re.search(r"\+00:00:\d\d\.\d{3} step: burst: subscription=leads, count=300", out)
    assert re.search(r"step: endpoint: status=503", out)
    assert re.search(r"leads: active -> retrying", out)
    assert re.search(r"leads: retrying -> active", out)
    # 500 of the bursts and 5 a second for 40 s; the last slot's 10 are still queued at the end
    # (its push would be at 40 s, when the run ends).
    assert "events: produced 700, acknowledged 690," in out


def test_a_step_the_run_refuses_exits_1_with_its_message(steered: Steered) -> None:
    """409 from the run: exit 1 and the run's words; nothing is applied."""
    code, out, err = steered.answers["refused"]
    assert (code, out) == (1, "")
    assert err == "marketo-sim ctl: refused (409): enable: applies to adobe-io subscriptions\n"


def test_without_the_runs_token_ctl_is_refused_and_the_token_is_never_printed(
    steered: Steered,
) -> None:
    """401 without --token-env; the token appears in no output of the run."""
    code, _, err = steered.answers["no token"]
    assert code == 1
    assert err.startswith("marketo-sim ctl: refused (401): the control routes need the token")
    assert TOKEN not in "\n".join(steered.stdout)
    assert steered.code == 0


# -- save what you did: the recording replays the same ------------------------------------------


def test_the_recording_replays_to_the_same_pushes_outcomes_and_state_changes(
    steered: Steered,
) -> None:
    """Replayed on the virtual clock, the recording makes the attempts of the steered run (kind,
    outcome, events), each within TOLERANCE simulated seconds, and the same state changes."""
    os.environ["CTL_TEST_TOKEN"] = TOKEN
    try:
        run = load_run(steered.recording)
    finally:
        os.environ.pop("CTL_TEST_TOKEN", None)
    recorder = Recorder()
    run_virtual(replay(run, observers=[recorder]))
    live = [(a["t"], a["kind"], a["status"], a["events"]) for a in steered.log if "messageId" in a]
    again = [(a.at, a.kind, a.status, a.events) for a in recorder.attempts]
    assert [x[1:] for x in again] == [x[1:] for x in live]
    assert all(abs(x[0] - y[0]) <= TOLERANCE for x, y in zip(again, live, strict=True))
    changes = [m for line in steered.stdout if (m := CHANGE.match(line))]
    assert [(c.old, c.new) for c in recorder.changes] == [(m[4], m[5]) for m in changes]
    for change, match in zip(recorder.changes, changes, strict=True):
        at = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])
        assert abs(change.at - at) <= TOLERANCE


def test_marketo_sim_check_passes_on_the_recording(steered: Steered) -> None:
    """The recording is a run file `check` accepts."""
    code, out, _ = _cli("check", str(steered.recording))
    assert code == 0
    assert out.endswith("ok (1 subscription(s): leads)\n")


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# -- the words ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "step"),
    [
        (["burst", "leads", "5000"], {"burst": {"subscription": "leads", "count": 5000}}),
        (["rate", "leads", "2.5"], {"rate": {"subscription": "leads", "rate": 2.5}}),
        (["endpoint", "status=503"], {"endpoint": {"status": 503}}),
        (
            ["endpoint", "status=503", "latency=2s", "failure_rate=0.5"],
            {"endpoint": {"status": 503, "latency": "2s", "failureRate": 0.5}},
        ),
        (["endpoint", "normal"], {"endpoint": "normal"}),
        (["expire-tokens"], {"expireTokens": True}),
        (["idp-failures", "3"], {"idpFailures": 3}),
        (["rotate-keys"], {"rotateKeys": True}),
        (["deprovision", "leads"], {"deprovision": "leads"}),
        (["reprovision", "leads"], {"reprovision": "leads"}),
        (["enable", "io"], {"enable": "io"}),
        (
            ["anomaly", "leads", "duplicate"],
            {"anomaly": {"subscription": "leads", "kind": "duplicate"}},
        ),
        (["step", '{"backfill": "io"}'], {"backfill": "io"}),
    ],
)
def test_each_word_is_a_step_of_the_scenario_language(
    words: list[str], step: dict[str, Any]
) -> None:
    """The words build the step a file would write, which the file's model accepts."""
    from simulator.cli import build_parser

    args = build_parser(only="ctl").parse_args(["ctl", "http://127.0.0.1:1/", *words])
    assert step_of(args) == step
    assert parse_live_step(orjson.dumps(step)).action


@pytest.mark.parametrize(
    ("words", "error"),
    [
        (["endpoint", "colour=red"], "endpoint: unknown key 'colour' (keys: status, failureRate"),
        (["endpoint", "status"], "endpoint: 'status': give KEY=VALUE pairs (status=503) or normal"),
        (["endpoint", "status=99"], "endpoint: endpoint.status: "),
        (["anomaly", "leads", "sideways"], "anomaly: anomaly.kind: must be "),
        (["step", "[1]"], "step: must be a JSON object"),
    ],
)
def test_a_step_the_model_refuses_exits_2_before_anything_is_sent(
    words: list[str], error: str
) -> None:
    """Checked here by the file's model, at an address where nothing listens: exit 2, and the
    field at fault named."""
    with refusing_port() as port:
        code, out, err = _cli("ctl", f"http://127.0.0.1:{port}/", *words)
    assert (code, out) == (2, "")
    assert err.startswith(f"marketo-sim: error: {error}"), err


def test_ctl_says_so_when_nothing_listens() -> None:
    """No run at the URL: exit 3 and a message saying what to check."""
    with refusing_port() as port:
        url = f"http://127.0.0.1:{port}/"
        code, out, err = _cli("ctl", url, "status")
    assert (code, out) == (3, "")
    assert err == (
        f"marketo-sim ctl: nothing listens at {url}: is a run going with --control-port, "
        "and is this the URL it printed?\n"
    )


def test_an_interrupted_run_still_writes_its_recording(tmp_path: Path) -> None:
    """SIGINT ends the run with exit 130 and the recording written: the step applied, and the
    run's end where it was stopped."""
    (tmp_path / "run.yaml").write_text(RUN.replace("duration: 40s", "duration: 1h"))
    argv = ["run", "run.yaml", "--speed", SPEED, "--control-port", "0"]
    argv += ["--record-scenario", "out.yaml"]
    with simulator_process(tmp_path, *argv, env={"CTL_TEST_TOKEN": TOKEN}) as child:
        url = child.until(lambda line: line.startswith("control: "))[-1].split()[1].rstrip(";")
        os.environ["CTL_TEST_TOKEN"] = TOKEN
        try:
            assert ctl(url, "burst", "leads", "9")[0] == 0
        finally:
            os.environ.pop("CTL_TEST_TOKEN", None)
        child.process.send_signal(signal.SIGINT)
        assert child.process.wait(timeout=WAIT) == 130
    text = (tmp_path / "out.yaml").read_text()
    assert "(interrupted by SIGINT at " in text
    data = yaml.safe_load(text)
    [step] = data["timeline"]
    assert step["burst"] == {"subscription": "leads", "count": 9}
    assert step["at"] < data["duration"] < 3600
