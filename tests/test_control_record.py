"""`run --record-scenario`: the run file with every step applied live merged into its timeline
at the simulated time it was applied, the run's seed and its end (`simulator.control.record`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from simulator.control.record import recorded
from simulator.runfile.scenario import parse_run
from simulator.runfile.steps import BurstStep, StepSpec

SOURCE = """\
# a comment the recording does not keep
munchkinId: 123-ABC-456
seed: 11
subscriptions:
  - name: leads
    endpoint: embedded
    rate: 5
timeline:
  - {at: 5s, endpoint: {status: 503}}
  - {after: 10s, endpoint: normal}
"""


def burst(at: float, count: int) -> tuple[float, StepSpec]:
    return at, StepSpec(at=at, burst=BurstStep(subscription="leads", count=count))


def test_live_steps_are_merged_into_the_files_timeline_at_their_time() -> None:
    """The file's steps with their absolute time, the live ones between them in time order."""
    live = [burst(3.25, 100), burst(12.000000000000002, 7)]
    text = recorded(parse_run(SOURCE), SOURCE, live, duration=None, ended_at=20.5)
    assert yaml.safe_load(text)["timeline"] == [
        {"at": 3.25, "burst": {"subscription": "leads", "count": 100}},
        {"at": 5.0, "endpoint": {"status": 503}},
        {"at": 12.000000000000002, "burst": {"subscription": "leads", "count": 7}},
        {"at": 15.0, "endpoint": "normal"},
    ]


def test_the_recording_reads_back_to_the_same_steps_at_the_same_floats() -> None:
    """Every time is written so that the run file reads it back to the same float."""
    live = [burst(3.1415926535897931, 100), burst(17.300000000000001, 2)]
    text = recorded(parse_run(SOURCE), SOURCE, live, duration=None, ended_at=20.123456789012345)
    again = parse_run(text)
    times = [at for at, _ in again.step_times()]
    assert times == [3.1415926535897931, 5.0, 15.0, 17.300000000000001]
    assert again.duration == 20.123456789012345
    assert again.timeline[0].burst == BurstStep(subscription="leads", count=100)


@pytest.mark.parametrize(
    ("duration", "interrupted", "expected"),
    [(None, "", 20.5), (60.0, "", 60.0), (60.0, "SIGINT", 20.5)],
)
def test_the_recording_ends_where_the_run_ended(
    duration: float | None, interrupted: str, expected: float
) -> None:
    """Its duration: the run's, or where it was stopped (no end planned, or interrupted)."""
    text = recorded(
        parse_run(SOURCE), SOURCE, [], duration=duration, ended_at=20.5, interrupted=interrupted
    )
    assert yaml.safe_load(text)["duration"] == expected


def test_the_recording_keeps_the_files_content_and_says_how_it_was_made() -> None:
    """The file's keys are kept, the seed written; a header says what it is and that the
    original's comments are not kept."""
    text = recorded(parse_run(SOURCE), SOURCE, [], duration=None, ended_at=20.5)
    data = yaml.safe_load(text)
    assert data["seed"] == 11
    assert data["subscriptions"] == [{"name": "leads", "endpoint": "embedded", "rate": 5}]
    assert text.startswith("# Recorded by marketo-sim ")
    assert "comments and layout are not kept" in text
    assert "a comment the recording does not keep" not in text


def test_a_file_with_expectations_is_told_they_are_the_originals() -> None:
    """The original's `expect:` block is kept as written; the header says it was written for
    the run without the session's steps."""
    source = SOURCE + "expect:\n  - {subscription: leads, state: active}\n"
    text = recorded(parse_run(source), source, [burst(3.0, 10)], duration=30.0, ended_at=30.0)
    assert "# Its expect: block is the original's: edit it to what this session shows.\n" in text
    assert yaml.safe_load(text)["expect"] == [{"subscription": "leads", "state": "active"}]
    assert "expect: block" not in recorded(parse_run(SOURCE), SOURCE, [], duration=1, ended_at=1)


def test_marketo_sim_check_passes_on_a_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`marketo-sim check` takes the recording as the run file it is."""
    out = tmp_path / "out.yaml"
    out.write_text(
        recorded(parse_run(SOURCE), SOURCE, [burst(3.5, 9)], duration=None, ended_at=30.0)
    )
    assert main(["check", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: ok (1 subscription(s): leads)\n"


def test_make_runs_file_records_and_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file `make run` plays, recorded on the virtual clock with no step given (its first 3
    minutes), replays to the same attempts (the --log lines, step lines included)."""
    quickstart = str(Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.yaml")
    out, first, again = tmp_path / "out.yaml", tmp_path / "run.jsonl", tmp_path / "replay.jsonl"
    argv = ["--virtual", "--duration", "3m", "--log", str(first), "--record-scenario", str(out)]
    main(["run", quickstart, *argv])  # its checks are for 25 minutes: some fail at 3
    assert main(["check", str(out)]) == 0
    main(["replay", str(out), "--log", str(again)])
    capsys.readouterr()
    assert again.read_bytes() == first.read_bytes()
    data = yaml.safe_load(out.read_text())
    assert (data["start"], data["duration"]) == ("2026-01-01T09:00:00Z", 180.0)
