"""What `make bench` computes from what it measured, and the run files it writes: no timing here.

The bench itself runs for minutes and is never run by the suite; these tests hold its arithmetic
(slots, cadence, percentiles, acknowledged events) and check that the run files it generates are
still valid run files, so a change of the run-file language cannot break it unseen.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.bench import delivery, realtime
from simulator.bench.figures import Figure, at_least, at_most, percentile, table
from simulator.bench.realtime import Push, cadence_errors, slots_used
from simulator.bench.replays import acknowledged_events
from simulator.runfile.scenario import load_run


def pushes_every_2s(first: float, until: float = 40.0) -> list[Push]:
    times = []
    t = first
    while t < until:
        times.append(t)
        t += 2.0
    return [Push(t, 1_767_225_600.0 + t, True) for t in times]


@given(st.floats(min_value=0.0, max_value=1.999))
def test_a_punctual_subscription_uses_every_slot_whatever_its_phase(phase: float) -> None:
    """Pushes every 2 s from any phase fill all 15 slots of the 30 s window: share 1."""
    assert slots_used({"a": pushes_every_2s(phase)}, subscriptions=1) == 1.0


def test_a_missed_slot_counts_against_the_share() -> None:
    """One subscription misses the push of t = 10 s: 14 of its 15 slots; with a punctual second
    subscription, 29 of 30."""
    late = [p for p in pushes_every_2s(0.0) if p.t != 10.0]
    assert slots_used({"a": late}, subscriptions=1) == 14 / 15
    assert slots_used({"a": late, "b": pushes_every_2s(0.5)}, subscriptions=2) == 29 / 30


def test_a_subscription_that_never_pushed_counts_as_empty() -> None:
    """The share is over every subscription of the run, including those absent from the log."""
    assert slots_used({"a": pushes_every_2s(0.0)}, subscriptions=4) == 0.25


def test_cadence_error_is_each_gap_off_by_its_distance_from_2_s() -> None:
    """Pushes at 2, 4.1 and 6 s are 0.1 s off twice; another subscription's gaps stand apart."""
    pushes = {
        "a": [Push(t, t, True) for t in (2.0, 4.1, 6.0)],
        "b": [Push(t, t, True) for t in (1.0, 3.0)],
    }
    assert [round(e, 9) for e in cadence_errors(pushes)] == [0.1, 0.1, 0.0]


def test_percentile_is_the_nearest_rank() -> None:
    """p50 of 1..10 is 5 and p99 is 10 (nearest rank, no interpolation)."""
    values = [float(v) for v in range(10, 0, -1)]
    assert percentile(values, 0.5) == 5.0
    assert percentile(values, 0.99) == 10.0


def test_acknowledged_events_sum_the_successes_of_an_attempt_log(tmp_path: Path) -> None:
    """Failed attempts, a duplicate send, a step's line and the interruption are not counted."""
    log = tmp_path / "attempts.jsonl"
    lines = [
        {"kind": "push", "outcome": "success", "events": 500},
        {"t": 5.0, "kind": "step", "at": 5.0, "step": {"rotateKeys": True}, "text": "rotate"},
        {"kind": "push", "outcome": "http_error", "events": 500},
        {"kind": "retry", "outcome": "success", "events": 500},
        {"kind": "duplicate", "outcome": "success", "events": 500},
        {"kind": "interrupted", "signal": "SIGINT"},
    ]
    log.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    assert acknowledged_events(log) == 1000


def test_the_table_names_every_missed_target() -> None:
    """A failed figure says FAIL in its row and is named in the last line."""
    figures = [
        at_least("rate", 0.2, 0.5, ""),
        at_most("memory", 100e6, 256e6, "MB"),
        Figure("information", "42"),
    ]
    text = table(figures)
    assert text.splitlines()[-1] == "1 of 2 targets met; missed: rate"
    assert "FAIL" in text.splitlines()[2]


def test_the_drain_run_file_is_a_valid_run_file(tmp_path: Path) -> None:
    """The delivery rate's run file loads: each subscription has its backlog at t=0 and no rate."""
    path = tmp_path / "drain.yaml"
    path.write_text(delivery.drain_run_file(["drain-1", "drain-2"], 200_000, "http://127.0.0.1:9/"))
    run = load_run(path)
    assert [s.name for s in run.subscriptions] == ["drain-1", "drain-2"]
    assert all(s.rate == 0 and s.bursts[0].count == 200_000 for s in run.subscriptions)


@pytest.mark.parametrize("count", [1, 1000])
def test_the_realtime_run_file_is_a_valid_run_file(tmp_path: Path, count: int) -> None:
    """The many-subscriptions run file loads with every subscription pushing to the sink."""
    path = tmp_path / "realtime.yaml"
    path.write_text(realtime.run_file_text(count, 10.0, "http://127.0.0.1:9/"))
    run = load_run(path)
    assert len(run.subscriptions) == count
    assert {s.endpoint for s in run.subscriptions} == {"http://127.0.0.1:9/"}
    assert {s.rate for s in run.subscriptions} == {10.0}


def test_the_workers_load_splits_evenly_over_two_shards(tmp_path: Path) -> None:
    """The workers section's run file is valid and each of two shards holds half its
    subscriptions, so the ratio measures processes, not an uneven split."""
    from simulator.bench.workers import SUBSCRIPTIONS, run_file
    from simulator.fleet.shard import Shard, members
    from simulator.runfile.scenario import load_run

    run = load_run(run_file(tmp_path / "workers.yaml"))
    names = [s.name for s in run.subscriptions]
    assert len(set(names)) == SUBSCRIPTIONS
    assert [len(members(names, Shard(i, 2))) for i in (1, 2)] == [4, 4]
