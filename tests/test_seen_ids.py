"""How the dev endpoint counts duplicates without keeping every id (simulator.endpoint.received):
the simulator's own ids exactly, as runs of sequence numbers per stream, and any other id in a
bounded window of the last ones."""

from __future__ import annotations

import pytest

from simulator.endpoint.bodies import Parsed
from simulator.endpoint.received import IdSpace, RecentIds, SeenIds
from simulator.errors import ConfigError

STREAM = "0a1b2c3d-4e5f-4071-8293-"  # an own id is these 24 characters and a 12-digit seq
OTHER = "ffffffff-0000-4000-8000-"


def own(seq: int, prefix: str = STREAM) -> str:
    return f"{prefix}{seq:012x}"


def batch(first: int, count: int, prefix: str = STREAM) -> list[str]:
    """The ids of a batch as the simulator sends it: consecutive seqs of one stream."""
    return [own(seq, prefix) for seq in range(first, first + count)]


def test_own_ids_in_order_are_one_run() -> None:
    """200 batches of 500 consecutive own ids: no duplicate, and one run held, not 100,000
    ids."""
    space = IdSpace()
    assert sum(space.count_duplicates(batch(b * 500, 500)) for b in range(200)) == 0
    assert (space.runs, len(space.foreign)) == (1, 0)


def test_a_batch_sent_again_is_all_duplicates() -> None:
    """A retried batch whose first delivery was taken counts every event as a duplicate."""
    space = IdSpace()
    space.count_duplicates(batch(0, 500))
    assert space.count_duplicates(batch(0, 500)) == 500


def test_an_overlapping_batch_counts_only_the_overlap() -> None:
    """A batch that overlaps the seqs already seen counts exactly the overlap."""
    space = IdSpace()
    space.count_duplicates(batch(0, 100))
    assert space.count_duplicates(batch(60, 100)) == 40
    assert space.runs == 1


def test_out_of_order_batches_are_exact_and_merge_when_the_gap_fills() -> None:
    """A later batch first leaves a gap (two runs); the batch that fills it merges them."""
    space = IdSpace()
    space.count_duplicates(batch(500, 500))
    space.count_duplicates(batch(1_500, 500))
    assert space.runs == 2
    assert space.count_duplicates(batch(1_000, 500)) == 0
    assert space.count_duplicates(batch(0, 500)) == 0
    assert space.runs == 1


def test_ids_of_a_batch_in_any_order_are_counted_one_by_one() -> None:
    """A batch whose ids are reordered, or repeat within it, is still counted exactly."""
    space = IdSpace()
    assert space.count_duplicates([own(3), own(1), own(2), own(1)]) == 1
    assert space.count_duplicates([own(2), own(4)]) == 1
    assert space.runs == 1


def test_streams_are_counted_apart() -> None:
    """The same seq in two streams is two events."""
    space = IdSpace()
    assert space.count_duplicates(batch(0, 10) + batch(0, 10, prefix=OTHER)) == 0
    assert space.count_duplicates([own(5, OTHER)]) == 1


def test_an_id_not_in_the_own_layout_is_foreign() -> None:
    """Upper-case hex, a short id or any other text is remembered in the foreign window."""
    space = IdSpace()
    ids = [own(1).upper(), "abc", own(1)[:-1]]
    assert space.count_duplicates(ids) == 0
    assert space.count_duplicates(ids) == 3
    assert (len(space.foreign), space.runs) == (3, 0)


def test_streams_past_the_limit_are_counted_as_foreign_ids() -> None:
    """Once `streams` stream prefixes are known, the ids of a new stream go to the foreign
    window, and are still counted exactly within it."""
    space = IdSpace(streams=1)
    space.count_duplicates(batch(0, 5))
    assert space.count_duplicates(batch(0, 5, prefix=OTHER)) == 0
    assert space.count_duplicates(batch(3, 5, prefix=OTHER)) == 2
    assert (space.runs, len(space.foreign)) == (1, 8)


def test_the_foreign_window_forgets_the_oldest_id_past_its_limit() -> None:
    """RecentIds keeps the last `limit` distinct ids by first sighting and counts the forgotten;
    a repeat of a forgotten id counts as new (past the bound, duplicates are under-counted)."""
    recent = RecentIds(limit=3)
    assert [recent.add(key) for key in ("a", "b", "c", "d")] == [True] * 4
    assert (len(recent), recent.forgotten) == (3, 1)
    assert recent.add("d") is False
    assert recent.add("a") is True  # forgotten: taken as new
    assert recent.forgotten == 2


def test_a_zero_window_remembers_no_foreign_id() -> None:
    """foreign_ids 0: every foreign id is new; own ids are still exact."""
    space = IdSpace(foreign=0)
    assert space.count_duplicates(["x", "x", own(1), own(1)]) == 1


@pytest.mark.parametrize("limit", [-1, 1.5, True])
def test_the_foreign_window_must_be_a_count(limit: int) -> None:
    """A negative or non-integer window is a ConfigError naming foreign_ids."""
    with pytest.raises(ConfigError, match="foreign_ids: must be an integer >= 0"):
        RecentIds(limit)


def test_legacy_and_io_ids_are_apart() -> None:
    """The same id as a marketoGUID and as an I/O event id is not a duplicate."""
    seen = SeenIds()
    ids = [*batch(0, 3), "foreign-1"]
    assert seen.count_duplicates(Parsed(kind="legacy", ids=ids)) == 0
    assert seen.count_duplicates(Parsed(kind="io", ids=ids)) == 0
    assert seen.count_duplicates(Parsed(kind="io", ids=ids)) == 4


def test_forgotten_adds_both_spaces() -> None:
    """SeenIds.forgotten is what both foreign windows forgot."""
    seen = SeenIds(foreign=1)
    seen.count_duplicates(Parsed(kind="legacy", ids=["a", "b"]))
    seen.count_duplicates(Parsed(kind="io", ids=["a", "b", "c"]))
    assert seen.forgotten == 3
