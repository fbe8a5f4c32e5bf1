"""The retention queue holds spans of sequence numbers, oldest first."""

from simulator.core.queue import RetentionQueue, Span, SpanQueue


def steady(queue: RetentionQueue, count: int, k0: int = 1, spacing: float = 0.5) -> Span:
    return queue.produce(count, origin=0.0, k0=k0, spacing=spacing)


def test_sequence_numbers_follow_production_order() -> None:
    """Each produced event gets the next sequence number."""
    queue = RetentionQueue()
    steady(queue, 3)
    queue.produce(2, origin=10.0, k0=0, spacing=0.0)
    assert [seq for seq, _ in queue.items()] == [0, 1, 2, 3, 4]
    assert queue.next_seq == 5


def test_event_times_lie_on_their_production_line() -> None:
    """Event k of a steady line is at origin + k * spacing."""
    queue = RetentionQueue()
    steady(queue, 3, k0=1, spacing=0.5)
    assert [t for _, t in queue.items()] == [0.5, 1.0, 1.5]


def test_contiguous_production_merges_into_one_span() -> None:
    """A steady rate produced in many steps is stored as a single span."""
    queue = RetentionQueue()
    for step in range(1000):
        steady(queue, 250, k0=1 + step * 250, spacing=0.004)
    assert len(queue.spans) == 1
    assert len(queue) == 250_000


def test_bursts_do_not_merge_with_the_steady_line() -> None:
    """A burst is its own line, so it gets its own span."""
    queue = RetentionQueue()
    steady(queue, 10)
    queue.produce(100, origin=5.0, k0=0, spacing=0.0)
    steady(queue, 10, k0=11)
    assert [s.count for s in queue.spans] == [10, 100, 10]


def test_take_returns_the_oldest_events_and_splits_a_span() -> None:
    """Taking 4 of 10 events leaves the last 6, in order."""
    queue = RetentionQueue()
    steady(queue, 10)
    taken = queue.take(4)
    assert [s.first for s in taken] == [0]
    assert sum(s.count for s in taken) == 4
    assert queue.first_seq == 4
    assert len(queue) == 6


def test_take_crosses_span_boundaries() -> None:
    """A batch can be cut from several spans."""
    queue = RetentionQueue()
    steady(queue, 3)
    queue.produce(3, origin=9.0, k0=0, spacing=0.0)
    taken = queue.take(5)
    assert [(s.first, s.count) for s in taken] == [(0, 3), (3, 2)]
    assert len(queue) == 1


def test_expire_drops_events_strictly_before_the_cutoff() -> None:
    """Events at t=0.5 and 1.0 expire at cutoff 1.5; the one at 1.5 stays."""
    queue = RetentionQueue()
    steady(queue, 4)
    assert queue.expire(1.5) == 2
    assert [t for _, t in queue.items()] == [1.5, 2.0]


def test_expire_removes_whole_bursts_before_the_cutoff() -> None:
    """A burst at t=5 is entirely expired by a cutoff after 5."""
    queue = RetentionQueue()
    queue.produce(1000, origin=5.0, k0=0, spacing=0.0)
    assert queue.expire(5.0) == 0
    assert queue.expire(5.000001) == 1000
    assert len(queue) == 0


def test_expire_is_exact_on_a_long_steady_line() -> None:
    """At 250/s for a week, the count kept after expiry is exact despite float spacing."""
    queue = RetentionQueue()
    steady(queue, 250 * 86_400 * 8, spacing=1 / 250)
    dropped = queue.expire(86_400.0)
    assert dropped == 250 * 86_400 - 1
    assert queue.oldest_time is not None
    assert queue.oldest_time >= 86_400.0


def test_clear_counts_what_it_discards() -> None:
    """Clearing returns the number of events dropped."""
    queue = RetentionQueue()
    steady(queue, 7)
    assert queue.clear() == 7
    assert len(queue) == 0
    assert queue.oldest_time is None


def test_span_queue_rebuilds_from_spans() -> None:
    """A batch's spans can be trimmed by expiry like the queue itself."""
    spans = (Span(0, 4, 0.0, 1, 1.0), Span(4, 2, 10.0, 0, 0.0))
    batch = SpanQueue(spans)
    assert batch.expire(3.0) == 2
    assert [seq for seq, _ in batch.items()] == [2, 3, 4, 5]
