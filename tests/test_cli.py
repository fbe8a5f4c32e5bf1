"""`marketo-sim` end to end, by exit code and output, on the virtual clock."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from simulator.cli import main


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at the terminal width; the summary must fit on one line to be read back."""
    monkeypatch.setenv("COLUMNS", "200")


SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

RUN = """\
munchkinId: 123-ABC-456
seed: 1
duration: 1m
subscriptions:
  - name: leads
    rate: 5
"""


def aligned(text: str) -> str:
    """`text` with its subscription's push slots at 0, 2, 4 s, so that times are whole seconds
    (the default phase is seeded: somewhere in the interval)."""
    return text.replace("    rate: 5\n", "    rate: 5\n    delivery: {phase: aligned}\n")


def write(tmp_path: Path, text: str, name: str = "run.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_quickstart_plays_on_the_virtual_clock_and_balances(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The `make run` scenario ends with exit 0 and a balanced ledger, shown in the summary."""
    log = tmp_path / "attempts.jsonl"
    assert main(["run", str(SCENARIOS / "quickstart.yaml"), "--virtual", "--log", str(log)]) == 0
    out = capsys.readouterr().out
    assert "balanced" in out
    assert "retrying -> paused" in out
    assert "paused -> active" in out


def test_a_run_of_many_subscriptions_ends_with_a_plain_summary_on_a_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """25 subscriptions, 80 columns, not a terminal: totals, 20 unwrapped `key=value` lines in
    file order (none is in trouble), a line for the other five, then the default threshold's
    count (every subscription had events acknowledged); no table."""
    monkeypatch.setenv("COLUMNS", "80")
    subscriptions = "".join(f"  - name: sub{i:02d}\n    rate: 1\n" for i in range(25))
    run = RUN.split("subscriptions:")[0].replace("1m", "10s") + "subscriptions:\n" + subscriptions
    assert main(["run", str(write(tmp_path, run)), "--virtual"]) == 0
    lines = capsys.readouterr().out.splitlines()
    summary = lines[lines.index("run ended at simulated +00:00:10.000") :]
    assert summary[1] == "subscriptions: 25 (25 active)"
    assert summary[2].startswith("events: produced 250, acknowledged ")
    assert re.fullmatch(r"attempts: ([\d,]+) \(\1 success\)", summary[3])
    assert summary[4] == "ledger: balanced in all 25 subscriptions"
    rows = summary[6:-2]
    assert [line.split()[0] for line in rows] == [f"sub{i:02d}" for i in range(20)]
    keys = ("produced", "acknowledged", "expired", "discarded", "dropped", "queued", "in_flight")
    keys += ("batches", "failed", "oldest", "ledger")
    fields = " ".join(rf"{key}=\S+" for key in keys)
    assert all(re.fullmatch(rf"sub\d\d active {fields}", line) for line in rows)
    assert summary[-2] == "... and 5 more, all active"
    assert summary[-1].startswith("25 passed, 0 failed; ledger balanced; +00:00:10.000 simulated")
    assert not any(set(line) & set("│┃━─") for line in lines)


def test_the_attempt_log_has_one_json_object_per_attempt(tmp_path: Path) -> None:
    """Each line has time, subscription, messageId, attempt, events, outcome, status, latency."""
    log = tmp_path / "attempts.jsonl"
    assert main(["run", str(write(tmp_path, aligned(RUN))), "--virtual", "--log", str(log)]) == 0
    lines = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    assert len(lines) == 29  # one push every 2 s, from 2 s to 58 s: a run ends before its end
    assert lines[0] == {
        "time": "2026-01-01T00:00:02.000Z",
        "t": 2.0,
        "subscription": "leads",
        "messageId": lines[0]["messageId"],
        "attempt": 1,
        "kind": "push",
        "events": 10,
        "outcome": "success",
        "status": 200,
        "latency": 0.0,
        "state": "active",
        "detail": "",
    }


def test_the_same_seed_gives_the_same_attempt_log(tmp_path: Path) -> None:
    """Two virtual runs of one file write byte-identical logs."""
    logs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for log in logs:
        assert main(["run", str(write(tmp_path, RUN)), "--virtual", "--log", str(log)]) == 0
    assert logs[0].read_bytes() == logs[1].read_bytes()


def test_a_bad_file_exits_2_naming_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """batchSize 50 is refused before anything is sent."""
    path = write(tmp_path, RUN + "    batchSize: 50\n")
    assert main(["run", str(path), "--virtual"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:7: subscriptions[0].batchSize" in err


def test_broken_yaml_exits_2_with_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A badly indented file is reported at its line."""
    path = write(tmp_path, "munchkinId: 123-ABC-456\nsubscriptions:\n  - name: a\n   rate: 1\n")
    assert main(["check", str(path)]) == 2
    assert f"{path}:4" in capsys.readouterr().err


def test_virtual_runs_refuse_real_endpoints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real consumer cannot follow virtual time: exit 2 with advice."""
    path = write(tmp_path, RUN + "    endpoint: http://127.0.0.1:9/\n")
    assert main(["run", str(path), "--virtual"]) == 2
    assert "--speed" in capsys.readouterr().err


def test_check_accepts_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`check` validates without running."""
    assert main(["check", str(write(tmp_path, RUN))]) == 0
    assert "ok" in capsys.readouterr().out


def test_events_prints_sample_payloads(capsys: pytest.CaptureFixture[str]) -> None:
    """`events "Visit Webpage" --count 3` prints three Visit Webpage activities as JSON Lines."""
    assert main(["events", "Visit Webpage", "--count", "3"]) == 0
    activities = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["activityType"] for a in activities] == ["Visit Webpage"] * 3


def test_events_rejects_an_unknown_type(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown activity type exits 2 with a suggestion."""
    assert main(["events", "Visit Webpag"]) == 2
    assert "Visit Webpage" in capsys.readouterr().err


# ---- `events`: Adobe I/O streams --------------------------------------------------------------


def json_documents(text: str) -> list[dict]:
    """The JSON documents printed one after another (one per single delivery)."""
    import json  # here, not at the top: this block is appended to a file others edit

    decoder, documents, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    return documents


def test_events_batch_prints_the_legacy_wrapper(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a profile, --batch wraps the activities in the §1b batch wrapper."""
    assert main(["events", "Click Link", "--count", "2", "--batch"]) == 0
    wrapper = orjson.loads(capsys.readouterr().out)
    assert list(wrapper) == [
        "sourceApplication",
        "munchkinId",
        "messageId",
        "messageCreatedDate",
        "activities",
    ]
    assert [a["activityType"] for a in wrapper["activities"]] == ["Click Link"] * 2


def test_events_batch_is_created_after_its_last_activity(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The wrapper's messageCreatedDate is the push after its last activity, never before."""
    assert main(["events", "--count", "3", "--batch"]) == 0
    wrapper = orjson.loads(capsys.readouterr().out)
    dates = [a["activityDate"] for a in wrapper["activities"]]
    assert dates == ["2026-04-20T18:43:56Z", "2026-04-20T18:43:57Z", "2026-04-20T18:43:58Z"]
    assert wrapper["messageCreatedDate"] == "2026-04-20T18:44:00Z"


def test_events_all_mixes_every_type_as_run_files_do(capsys: pytest.CaptureFixture[str]) -> None:
    """`events all` is accepted, as the error message and run files say: a mix of types."""
    assert main(["events", "all", "--count", "40"]) == 0
    activities = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(activities) == 40
    assert len({a["activityTypeId"] for a in activities}) > 5


def test_events_adobe_io_prints_one_envelope_per_delivery(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--profile adobe-io prints each event as its single-delivery body: a flat CloudEvent."""
    assert main(["events", "Click Link", "--profile", "adobe-io", "--count", "3"]) == 0
    envelopes = json_documents(capsys.readouterr().out)
    assert len(envelopes) == 3
    for envelope in envelopes:
        assert envelope["type"] == "com.adobe.platform.marketo.activity.standard.clicklink"
        assert envelope["source"] == "urn:marketo_activity_stream"
        assert envelope["event_id"] == envelope["eventid"]


def test_events_adobe_io_batch_prints_one_array(capsys: pytest.CaptureFixture[str]) -> None:
    """--batch on Adobe I/O prints the JSON array of a batch delivery."""
    assert main(["events", "--profile", "adobe-io", "--count", "4", "--batch"]) == 0
    batch = orjson.loads(capsys.readouterr().out)
    assert len(batch) == 4
    assert len({envelope["eventid"] for envelope in batch}) == 4


def test_events_user_audit_of_one_component_and_action(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--stream user-audit --component "Landing Page" --action approve prints only those."""
    argv = ["events", "--stream", "user-audit", "--component", "Landing Page", "--action"]
    assert main([*argv, "approve", "--count", "2"]) == 0
    envelopes = json_documents(capsys.readouterr().out)
    assert [e["event"]["body"]["type"] for e in envelopes] == [
        "com.adobe.platform.marketo.audit.user.landingpage"
    ] * 2
    assert {e["event"]["body"]["data"]["eventAction"] for e in envelopes} == {"approve"}


def test_events_notification_of_one_kind(capsys: pytest.CaptureFixture[str]) -> None:
    """--stream notification --kind "Campaign Abort" prints one campaign_abort envelope."""
    assert main(["events", "--stream", "notification", "--kind", "Campaign Abort"]) == 0
    envelope = orjson.loads(capsys.readouterr().out)
    assert envelope["event"]["body"]["type"] == (
        "com.adobe.platform.marketo.notification.campaign_abort"
    )
    assert envelope["event"]["body"]["data"]["subType"] == "user_campaign_abort"


def test_events_notification_mixes_kinds_without_one(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --kind, the notification samples mix kinds."""
    assert main(["events", "--stream", "notification", "--count", "30", "--batch"]) == 0
    types = {e["event"]["body"]["type"] for e in orjson.loads(capsys.readouterr().out)}
    assert len(types) > 3


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        pytest.param(
            ["--stream", "user-audit", "--component", "Landing Pag"],
            "Did you mean 'Landing Page' or 'Landing Page Form' or 'Landing Page Template'?",
            id="component",
        ),
        pytest.param(
            ["--stream", "user-audit", "--component", "Email", "--action", "aprove"],
            "unknown eventAction 'aprove' for 'Email'. Did you mean 'approve'",
            id="action",
        ),
        pytest.param(
            ["--stream", "notification", "--kind", "Campaign Abrot"],
            "Did you mean 'Campaign Abort'",
            id="kind",
        ),
        pytest.param(["--kind", "Campaign Abort"], "--kind needs --stream notification", id="flag"),
        pytest.param(
            ["--stream", "user-audit", "--profile", "marketo-legacy"],
            "exists only on Adobe I/O",
            id="legacy-audit",
        ),
        pytest.param(
            ["Email", "--stream", "user-audit", "--component", "Form"],
            "name one activity type, component or kind",
            id="two-refs",
        ),
    ],
)
def test_events_rejects_bad_names_with_exit_2(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown component, action or kind, or a flag of another stream: exit 2 and a hint."""
    assert main(["events", *argv]) == 2
    assert hint in capsys.readouterr().err


SCENARIO = """\
munchkinId: 123-ABC-456
duration: 10m
subscriptions:
  - name: leads
    rate: 5
timeline:
  - at: 1m
    endpoint: {status: 503}
expect:
  - {subscription: leads, state: retrying, by: 1m}
"""


def test_replay_exits_0_when_every_expectation_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scenario whose expectations hold passes, and says so."""
    assert main(["replay", str(write(tmp_path, aligned(SCENARIO)))]) == 0
    assert "PASS leads: retrying by +00:01:00.000" in capsys.readouterr().out


def test_a_wrong_expectation_fails_with_expected_observed_and_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The failure names the check, what was expected, what happened and when."""
    path = write(tmp_path, aligned(SCENARIO) + "  - {subscription: leads, state: paused, by: 5m}\n")
    assert main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        "FAIL leads: paused by +00:05:00.000: expected paused by +00:05:00.000, "
        "observed never reached at +00:05:00.000"
    ) in out


def test_replay_writes_a_junit_file_a_parser_reads(tmp_path: Path) -> None:
    """--junit: one test case per check."""
    import xml.etree.ElementTree as ET

    junit = tmp_path / "out.xml"
    assert main(["replay", str(write(tmp_path, aligned(SCENARIO))), "--junit", str(junit)]) == 0
    cases = ET.parse(junit).getroot().iter("testcase")
    assert [case.get("name") for case in cases] == ["leads: retrying by +00:01:00.000"]


def test_replay_writes_a_self_contained_html_report(tmp_path: Path) -> None:
    """--report: one HTML file with the timeline drawn inline."""
    report = tmp_path / "out.html"
    assert main(["replay", str(write(tmp_path, aligned(SCENARIO))), "--report", str(report)]) == 0
    html = report.read_text()
    assert "<svg" in html
    assert "http://" not in html
    assert "https://" not in html


@pytest.mark.parametrize(
    ("delivery", "message"),
    [
        pytest.param(
            "{phase: sideways}",
            "subscriptions[0].delivery.phase: must be 'seeded' or 'aligned' (got 'sideways')",
            id="phase",
        ),
        pytest.param(
            "{maxDrainRate: 0.5}",
            "subscriptions[0].delivery.maxDrainRate: must be between 1 and 100000 (got 0.5)",
            id="drain-rate",
        ),
    ],
)
def test_a_bad_phase_or_drain_cap_exits_2_naming_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], delivery: str, message: str
) -> None:
    """The new delivery keys are checked like the rest: exit 2, file:line: field: reason."""
    path = write(tmp_path, RUN + f"    delivery: {delivery}\n")
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err.strip() == f"marketo-sim: error: {path}:7: {message}"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(SCENARIO.replace("    rate: 5", "     rate: 5"), 5, id="bad-indentation"),
        pytest.param(
            SCENARIO.replace("endpoint: {status: 503}", "explode: true"), 8, id="unknown-step"
        ),
        pytest.param(SCENARIO.replace("at: 1m", "at: -1m"), 7, id="negative-duration"),
        pytest.param(
            SCENARIO.replace("    rate: 5", "    activityTypes: [Visit Webpagez]"),
            5,
            id="unknown-activity-type",
        ),
    ],
)
def test_malformed_scenarios_exit_2_with_one_line_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int
) -> None:
    """Each mistake is one line of error, with file:line, and nothing is sent."""
    path = write(tmp_path, text)
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"marketo-sim: error: {path}:{line}:")
    assert "\n" not in err


def test_a_run_needing_more_open_files_than_allowed_exits_2_before_sending(tmp_path: Path) -> None:
    """100 subscriptions to the embedded endpoint keep 200 sockets open, more than a hard limit
    of 300 leaves room for: exit 2 with how many are needed and what to do, nothing sent."""
    import subprocess
    import sys

    resource = pytest.importorskip("resource")
    subscriptions = "".join(f"  - {{name: s{i}, rate: 1}}\n" for i in range(100))
    path = write(
        tmp_path, f"munchkinId: 123-ABC-456\nduration: 4s\nsubscriptions:\n{subscriptions}"
    )

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300))

    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(path), "--virtual"],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "marketo-sim: error: this run needs about 456 open files (a connection per "
        "subscription), but the process may open at most 300: raise the limit "
        "(ulimit -n 456) or split the subscriptions over several runs"
    )
    assert "dev endpoint" not in done.stdout
