"""`run --record-scenario`: the run file with every step applied live merged into its timeline
at the simulated time it was applied, the run's seed and its end (`simulator.control.record`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fleetruns import FLEET

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


def test_a_shards_recording_names_the_shard_and_how_to_replay_it() -> None:
    """`run --shard 2/3 --record-scenario`: the whole file, its header naming the shard, the
    replay command with the same --shard, and that the session played that shard only."""
    text = recorded(parse_run(SOURCE), SOURCE, [], duration=30.0, ended_at=30.0, shard="2/3")
    header = [line for line in text.splitlines() if line.startswith("# ")]
    assert header[0].startswith("# Recorded by marketo-sim ")
    assert header[0].endswith(" run --shard 2/3 --record-scenario from <string>")
    assert header[3] == (
        "# `marketo-sim replay THIS_FILE --shard 2/3`. The original's comments and layout are "
        "not kept."
    )
    assert header[4:] == [
        "# The session played shard 2/3 of the file only: without --shard, a",
        "# replay plays every subscription, which this session did not.",
    ]
    assert yaml.safe_load(text)["subscriptions"] == [
        {"name": "leads", "endpoint": "embedded", "rate": 5}
    ]


def test_a_shards_recording_replays_as_that_shard_to_the_same_attempts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """FLEET's shard 1/3 run for a simulated minute on the virtual clock and recorded: the
    recording is the whole file (six subscriptions), and replayed as shard 1/3 it gives the
    same attempt log: the 28 pushes of mobile and programs."""
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET)
    out, first, again = tmp_path / "out.yaml", tmp_path / "run.jsonl", tmp_path / "replay.jsonl"
    argv = ["--virtual", "--duration", "1m", "--shard", "1/3", "--log", str(first)]
    assert main(["run", str(fleet), *argv, "--record-scenario", str(out)]) == 0
    assert main(["replay", str(out), "--shard", "1/3", "--log", str(again)]) == 0
    capsys.readouterr()
    assert again.read_bytes() == first.read_bytes()
    assert len(first.read_bytes().splitlines()) == 28
    assert len(yaml.safe_load(out.read_text())["subscriptions"]) == 6
    assert "run --shard 1/3 --record-scenario" in out.read_text().splitlines()[0]


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
