"""The I/O Events journal: spans of sequence numbers read as pages of the Journaling API."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.core.journal import MAX_LIMIT, Journal, JournalPage, parse_seek
from simulator.core.queue import RetentionQueue

DAY = 86_400.0
WEEK = 7 * DAY


def journal_of(count: int, *, spacing: float = 1.0, **kwargs: Any) -> Journal:
    """A journal of `count` events, event k (from 0) produced at (k + 1) * spacing seconds."""
    journal = Journal(registration_id="reg-1", **kwargs)
    journal.record(RetentionQueue().produce(count, origin=0.0, k0=1, spacing=spacing))
    return journal


def seqs(page: JournalPage) -> list[int]:
    return [entry.seq for entry in page.entries]


# --- paging --------------------------------------------------------------------------------------


def test_pages_through_25_events_in_pages_of_10_10_5_then_204() -> None:
    """`limit=10` from the start, then `since` each page's last position: 10, 10, 5, then 204."""
    journal = journal_of(25)
    pages = [journal.read(now=30.0, limit=10)]
    while pages[-1].status == 200:
        pages.append(journal.read(now=30.0, limit=10, since=pages[-1].next_since))
    assert [p.status for p in pages] == [200, 200, 200, 204]
    assert [seqs(p) for p in pages[:3]] == [
        list(range(10)),
        list(range(10, 20)),
        [20, 21, 22, 23, 24],
    ]
    assert pages[3].next_since == journal.position(24)


def test_since_is_exclusive() -> None:
    """Reading since event 7's position starts at event 8."""
    journal = journal_of(25)
    assert seqs(journal.read(now=30.0, since=journal.position(7), limit=3)) == [8, 9, 10]


def test_next_position_is_the_last_entry() -> None:
    """A 200 page's next position is its last entry's."""
    page = journal_of(25).read(now=30.0, limit=4)
    assert page.next_since == page.entries[-1].position


def test_entries_carry_position_seq_and_production_time() -> None:
    """Each entry holds its position, sequence number and production time."""
    journal = journal_of(3, spacing=0.5)
    page = journal.read(now=30.0)
    assert [(e.position, e.seq, e.at) for e in page.entries] == [
        (journal.position(0), 0, 0.5),
        (journal.position(1), 1, 1.0),
        (journal.position(2), 2, 1.5),
    ]


def test_default_page_size_comes_from_the_constructor() -> None:
    """Without `limit` a page holds `page_limit` events."""
    assert len(journal_of(25, page_limit=7).read(now=30.0).entries) == 7


def test_limit_is_capped() -> None:
    """A `limit` above MAX_LIMIT is served as MAX_LIMIT events."""
    journal = journal_of(MAX_LIMIT + 5)
    assert len(journal.read(now=0.0, limit=10 * MAX_LIMIT).entries) == MAX_LIMIT


def test_limit_must_be_positive() -> None:
    """`limit=0` is a 400."""
    page = journal_of(3).read(now=30.0, limit=0)
    assert (page.status, page.message) == (400, "limit must be a positive integer.")


def test_pages_cross_span_boundaries() -> None:
    """A burst between two steady runs reads as one ordered sequence."""
    queue = RetentionQueue()
    journal = Journal(registration_id="reg-1")
    journal.record(queue.produce(3, origin=0.0, k0=1, spacing=1.0))
    journal.record(queue.produce(4, origin=3.5, k0=0, spacing=0.0))
    journal.record(queue.produce(3, origin=0.0, k0=4, spacing=1.0))
    page = journal.read(now=30.0, since=journal.position(1), limit=6)
    assert [(e.seq, e.at) for e in page.entries] == [
        (2, 3.0), (3, 3.5), (4, 3.5), (5, 3.5), (6, 3.5), (7, 4.0)
    ]  # fmt: skip


def test_recording_backwards_is_refused() -> None:
    """A span that starts before the journal's end is a bug in the caller."""
    journal = journal_of(5)
    with pytest.raises(ValueError, match="before the end 5"):
        journal.record(RetentionQueue().produce(2, origin=9.0, k0=0, spacing=0.0))


# --- the end of the journal ----------------------------------------------------------------------


def test_empty_journal_without_params_is_204_with_no_position() -> None:
    """A journal that never had events answers 204 and has no end position yet."""
    page = Journal(registration_id="reg-1").read(now=0.0)
    assert page == JournalPage(204, (), None)


def test_latest_returns_no_events_and_the_end() -> None:
    """`latest=true` answers 204 with the newest event's position to tail from."""
    journal = journal_of(25)
    assert journal.read(now=30.0, latest=True) == JournalPage(204, (), journal.position(24))


def test_tailing_from_latest_sees_only_new_events() -> None:
    """After `latest`, the next position yields exactly the events recorded later."""
    queue = RetentionQueue()
    journal = Journal(registration_id="reg-1")
    journal.record(queue.produce(5, origin=0.0, k0=1, spacing=1.0))
    end = journal.read(now=6.0, latest=True).next_since
    journal.record(queue.produce(2, origin=0.0, k0=6, spacing=1.0))
    assert seqs(journal.read(now=8.0, since=end)) == [5, 6]


def test_204_at_the_end_repeats_the_since_position() -> None:
    """Reading since the last event answers 204 pointing at the same position."""
    journal = journal_of(3)
    last = journal.position(2)
    assert journal.read(now=30.0, since=last) == JournalPage(204, (), last)


# --- seek ----------------------------------------------------------------------------------------


def test_seek_starts_at_the_first_event_at_or_after_now_minus_two_hours() -> None:
    """At now=10000 s, `seek=-PT2H` starts at the event produced at exactly 2800 s."""
    journal = journal_of(10_000)  # event k at k + 1 seconds
    page = journal.read(now=10_000.0, seek=parse_seek("-PT2H"), limit=2)
    assert [(e.seq, e.at) for e in page.entries] == [(2799, 2800.0), (2800, 2801.0)]


def test_seek_between_events_starts_at_the_next_one() -> None:
    """A seek instant between two events starts at the later one."""
    journal = journal_of(100, spacing=10.0)  # events at 10, 20, ...
    assert seqs(journal.read(now=1000.0, seek=-975.0, limit=1)) == [2]  # 25 s -> the one at 30


def test_seek_before_the_oldest_event_starts_at_the_oldest() -> None:
    """Seeking further back than the journal holds starts at the oldest retained event."""
    assert seqs(journal_of(5).read(now=6.0, seek=-DAY, limit=2)) == [0, 1]


def test_seek_past_the_newest_event_is_204_at_the_end() -> None:
    """Seeking to after the last event answers 204 with the end position."""
    journal = journal_of(5)
    assert journal.read(now=100.0, seek=-10.0) == JournalPage(204, (), journal.position(4))


def test_seek_with_since_is_400() -> None:
    """`seek` and `since` cannot be combined."""
    journal = journal_of(5)
    page = journal.read(now=6.0, seek=-60.0, since=journal.position(1))
    assert (page.status, page.message) == (400, "seek and since cannot be used together.")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("-PT2H", -7200.0, id="hours"),
        pytest.param("-P1D", -86_400.0, id="days"),
        pytest.param("-P5DT2H", -439_200.0, id="days-hours"),
        pytest.param("-P1DT30M", -88_200.0, id="days-minutes"),
        pytest.param("-PT1H30M15.5S", -5415.5, id="fractional-seconds"),
        pytest.param("-pt90s", -90.0, id="lower-case"),
        pytest.param("-PT0S", 0.0, id="zero"),
    ],
)
def test_parse_seek_reads_negative_durations(text: str, seconds: float) -> None:
    """Negative ISO-8601 durations of days, hours, minutes and seconds become seconds."""
    assert parse_seek(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["PT2H", "+PT2H", "-P", "-PT", "-P1DT", "-P1Y", "-P1M", "-P1W", "-PT2H ", "-2h", "", "-PT1.S"],
)
def test_parse_seek_refuses_anything_else(text: str) -> None:
    """Positive, empty, calendar-unit or malformed durations raise ValueError."""
    with pytest.raises(ValueError, match="expected a negative ISO-8601 duration"):
        parse_seek(text)


# --- expiry --------------------------------------------------------------------------------------


def test_expire_drops_events_older_than_the_retention() -> None:
    """At now = 100 + retention 10, events produced before 90 s are gone."""
    journal = journal_of(100, retention=10.0)  # event k at k + 1 s
    assert journal.expire(100.0) == 89
    assert (journal.first_seq, journal.last_seq, len(journal)) == (89, 99, 11)


def test_expired_since_position_is_410_with_the_exact_message() -> None:
    """A position whose following events expired answers 410 `Events at position ... expired.`"""
    journal = journal_of(100, retention=10.0)
    since = journal.position(50)
    page = journal.read(now=100.0, since=since)
    assert page == JournalPage(410, (), None, f"Events at position {since} have expired.")


def test_reading_expires_even_without_an_expire_call() -> None:
    """Without params, reading starts at the oldest event still inside the retention."""
    assert seqs(journal_of(100, retention=10.0).read(now=100.0, limit=2)) == [89, 90]


def test_position_of_the_newest_expired_event_loses_nothing() -> None:
    """Since the last expired event, reading resumes at the oldest retained one."""
    journal = journal_of(100, retention=10.0)
    journal.expire(100.0)
    assert seqs(journal.read(now=100.0, since=journal.position(88), limit=1)) == [89]


def test_fully_expired_journal_is_204_at_its_old_end() -> None:
    """Once everything has expired, a read without params is 204 at the last position."""
    journal = journal_of(5, retention=10.0)
    assert journal.read(now=100.0) == JournalPage(204, (), journal.position(4))


def test_week_at_250_per_second_keeps_one_span() -> None:
    """Eight days at 250 events/s, recorded and expired hourly: one span, 151,200,001 events."""
    queue, journal = RetentionQueue(), Journal(registration_id="reg-1")
    per_hour = 250 * 3600
    for hour in range(8 * 24):
        journal.record(queue.produce(per_hour, origin=0.0, k0=1 + hour * per_hour, spacing=0.004))
        journal.expire((hour + 1) * 3600.0)
    assert len(journal.spans) == 1
    assert len(journal) == 250 * 7 * 86_400 + 1  # the event at exactly now - 7 days is kept
    page = journal.read(now=8 * DAY, limit=1)
    assert (page.entries[0].seq, page.entries[0].at) == (250 * 86_400 - 1, 86_400.0)


# --- positions -----------------------------------------------------------------------------------


def test_position_round_trips_exactly() -> None:
    """Parsing a position gives back its sequence number, even for huge ones."""
    journal = Journal(registration_id="reg-1")
    for seq in (0, 1, 151_200_000, 2**62):
        assert journal.parse_position(journal.position(seq)) == seq


def test_position_looks_like_adobes() -> None:
    """A position is `animal:uuid:uuid`, like `camel:5aeb25cc-...:ff244403-...`."""
    animal, first, second = Journal(registration_id="reg-1").position(0).split(":")
    assert animal.isalpha()
    assert (len(first), len(second)) == (36, 36)


@pytest.mark.parametrize(
    "since",
    [
        pytest.param("garbage", id="not-a-position"),
        pytest.param("camel:1:2", id="not-uuids"),
        pytest.param(Journal(registration_id="other").position(3), id="other-registration"),
        pytest.param(Journal(registration_id="reg-1").position(3).upper(), id="not-canonical"),
        pytest.param(Journal(registration_id="reg-1").position(900), id="never-issued"),
    ],
)
def test_malformed_or_foreign_position_is_400(since: str) -> None:
    """A position this journal never issued answers 400."""
    page = journal_of(25).read(now=30.0, since=since)
    assert (page.status, page.message) == (400, f"Invalid position {since}.")


def test_latest_with_since_is_400() -> None:
    """`latest=true` cannot be combined with a start position."""
    journal = journal_of(5)
    page = journal.read(now=6.0, latest=True, since=journal.position(1))
    assert (page.status, page.message) == (400, "latest cannot be combined with since or seek.")
