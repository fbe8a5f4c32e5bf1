"""`marketo-sim` end to end, by exit code and output, on the virtual clock."""

from __future__ import annotations

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


def test_the_attempt_log_has_one_json_object_per_attempt(tmp_path: Path) -> None:
    """Each line has time, subscription, messageId, attempt, events, outcome, status, latency."""
    log = tmp_path / "attempts.jsonl"
    assert main(["run", str(write(tmp_path, RUN)), "--virtual", "--log", str(log)]) == 0
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
    """`events "Visit Webpage" --count 3` prints three Visit Webpage activities as JSON."""
    assert main(["events", "Visit Webpage", "--count", "3"]) == 0
    activities = orjson.loads(capsys.readouterr().out)
    assert [a["activityType"] for a in activities] == ["Visit Webpage"] * 3


def test_events_rejects_an_unknown_type(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown activity type exits 2 with a suggestion."""
    assert main(["events", "Visit Webpag"]) == 2
    assert "Visit Webpage" in capsys.readouterr().err
