"""Seeded draws: block words, splitmix64, salted index draws, stream keys and own ids, all pure
functions."""

from __future__ import annotations

import re
import uuid
from bisect import bisect_right

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.payloads.catalog import ACTIVITY_TYPES, AUDIT_COMPONENTS, NOTIFICATION_KINDS
from simulator.payloads.draws import (
    BLOCK,
    GOLDEN,
    MASK,
    SEQ_LIMIT,
    WORD,
    block_words,
    checked_seq,
    draw,
    mix,
    own_event_id,
    own_id,
    pick,
    salt_of,
    stream_identity,
    stream_key,
    thresholds,
    uuid4_prefix,
)
from simulator.payloads.events import ActivityStream
from simulator.payloads.iostreams import CloudActivityStream, NotificationStream, UserAuditStream
from simulator.payloads.world import World

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_mix_is_splitmix64() -> None:
    """Over a golden-ratio counter from 0, mix gives SplitMix64's reference outputs for seed 0."""
    assert mix(GOLDEN) == 0xE220A8397B1DCDAF
    assert mix((2 * GOLDEN) & MASK) == 0x6E789E6AA1B965F4


@pytest.mark.parametrize("n", [1, 2, 3, 7, 1000])
def test_a_draw_is_an_index_of_the_pool(n: int) -> None:
    """Whatever the hash and salt, the index is in range(n)."""
    salt = salt_of("pool")
    indexes = {draw(mix(h), salt, n) for h in range(5000)}
    assert indexes <= set(range(n))


def test_the_same_salt_draws_the_same_index_and_another_salt_its_own() -> None:
    """One hash, one salt: one index; two salts draw independently of each other."""
    hashes = [mix(h) for h in range(1000)]
    first, second = salt_of("webpage"), salt_of("campaign")
    assert [draw(h, first, 50) for h in hashes] == [draw(h, first, 50) for h in hashes]
    assert sum(draw(h, first, 50) == draw(h, second, 50) for h in hashes) < 100


def test_pick_is_the_drawn_item() -> None:
    """`pick` reads the pool at the index `draw` chooses."""
    pool = ("a", "b", "c", "d", "e")
    salt = salt_of("letters")
    assert [pick(pool, mix(h), salt) for h in range(50)] == [
        pool[draw(mix(h), salt, len(pool))] for h in range(50)
    ]


def test_salts_are_stable_and_distinct() -> None:
    """A salt is a function of its name alone."""
    assert salt_of("lead") == salt_of("lead") == 8875858577103153410
    assert salt_of("lead") != salt_of("leads")


def test_a_stream_identity_joins_the_seeds_and_name() -> None:
    """World seed, stream seed and name, separated by the unit separator."""
    assert stream_identity(11, 1, "sub") == b"11\x1f1\x1fsub"


def test_stream_keys_differ_by_kind_and_purpose() -> None:
    """Draws and event ids of one stream, and the same purpose in another kind, never share."""
    identity = stream_identity(0, 0, "s")
    keys = {
        stream_key(kind, identity, purpose)
        for kind in ("user-audit", "notification")
        for purpose in ("draws", "eventid", "id")
    }
    assert len(keys) == 6


@pytest.mark.parametrize("seq", [0, 1, SEQ_LIMIT - 1])
def test_a_seq_inside_the_range_is_kept(seq: int) -> None:
    """0 to 2**32 - 1 number events."""
    assert checked_seq(seq) == seq


@pytest.mark.parametrize("seq", [-1, SEQ_LIMIT])
def test_a_seq_outside_the_range_is_refused(seq: int) -> None:
    """The message names the range."""
    with pytest.raises(ValueError, match=rf"seq must be in range\(0, 4294967296\), got {seq}"):
        checked_seq(seq)


# ---- block words ------------------------------------------------------------------------------


def test_a_block_holds_width_rows_of_block_words_below_2_to_the_30() -> None:
    """Row k, column lo: seq (block * 256 + lo)'s k-th draw; every word fits one CPython digit."""
    rows = block_words(b"key", 7, 3)
    assert [len(row) for row in rows] == [BLOCK] * 3
    assert all(0 <= word < WORD == 2**30 for row in rows for word in row)


def test_block_words_are_a_function_of_key_and_block() -> None:
    """The same key and block give the same words; another block or key, other words."""
    assert block_words(b"key", 7, 2) == block_words(b"key", 7, 2)
    assert block_words(b"key", 8, 2) != block_words(b"key", 7, 2)
    assert block_words(b"other", 7, 2) != block_words(b"key", 7, 2)


def test_a_wider_block_keeps_the_rows_of_a_narrower_one() -> None:
    """SHAKE-128 output extends its prefix: rows do not depend on how many follow them."""
    assert block_words(b"key", 7, 5)[:2] == block_words(b"key", 7, 2)


def test_block_words_spread_over_their_range() -> None:
    """Each quarter of the range holds about a quarter of 25 600 words."""
    words = [word for block in range(10) for row in block_words(b"key", block, 10) for word in row]
    quarters = [0] * 4
    for word in words:
        quarters[word * 4 // WORD] += 1
    assert all(6000 < count < 6800 for count in quarters)


@pytest.mark.parametrize("block", [-1, SEQ_LIMIT // BLOCK])
def test_a_block_outside_the_seq_range_is_refused(block: int) -> None:
    """Blocks hold seqs of range(2**32) only; the message names the range."""
    with pytest.raises(ValueError, match=r"seq must be in range\(0, 4294967296\)"):
        block_words(b"key", block, 1)


def test_thresholds_draw_each_index_by_its_weight() -> None:
    """Bounds are cumulative shares of 2**30; a zero weight has no room and is never drawn."""
    bounds = thresholds([1, 0, 3])
    assert bounds == [WORD // 4, WORD // 4, WORD]
    assert [bisect_right(bounds, word) for word in (0, WORD // 4 - 1, WORD // 4, WORD - 1)] == [
        0,
        0,
        2,
        2,
    ]


def test_thresholds_need_a_positive_total() -> None:
    """No weights, all zero, or a negative one: refused."""
    for weights in ([], [0, 0], [2, -1]):
        with pytest.raises(ValueError, match="non-negative with a positive sum"):
            thresholds(weights)


# ---- own ids ----------------------------------------------------------------------------------

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SEQS = st.integers(min_value=0, max_value=SEQ_LIMIT - 1)
WORLD = World.build(3)
IDENTITY = stream_identity(3, 1, "sub")


def test_an_own_prefix_is_24_characters_shaped_like_a_uuid_v4() -> None:
    """Version digit 4, variant 8-b, dashes where a UUID has them, ending with the last dash."""
    prefix = uuid4_prefix("user-audit", IDENTITY, "eventid")
    assert len(prefix) == 24
    assert UUID4.match(prefix + "0" * 12)
    assert uuid.UUID(prefix + "0" * 12).version == 4


def test_own_prefixes_differ_by_kind_purpose_and_stream() -> None:
    """Event ids of two streams, or two purposes of one stream, never share a prefix."""
    prefixes = {
        uuid4_prefix(kind, identity, purpose)
        for kind in ("lead-activity", "user-audit", "notification")
        for identity in (IDENTITY, stream_identity(3, 1, "other"))
        for purpose in ("eventid", "id")
    }
    assert len(prefixes) == 12


def test_an_own_event_id_ends_with_the_seq_in_12_hex_digits() -> None:
    """The prefix, then the seq: 54321 is 00000000d431."""
    prefix = uuid4_prefix("notification", IDENTITY, "eventid")
    assert own_event_id(prefix, 54321) == prefix + "00000000d431"


OPTIONS = {"munchkin_id": "123-ABC-456", "recipient_client_id": "client"}
IO_STREAMS = (
    CloudActivityStream(ActivityStream(WORLD, ACTIVITY_TYPES, seed=1, stream="sub"), **OPTIONS),
    UserAuditStream(WORLD, AUDIT_COMPONENTS, seed=1, stream="sub", **OPTIONS),
    NotificationStream(WORLD, NOTIFICATION_KINDS, seed=1, stream="sub", **OPTIONS),
)


@given(SEQS)
def test_own_id_reads_back_an_io_eventid(seq: int) -> None:
    """An eventid of each I/O stream is a UUID v4 that maps back to (its prefix, seq)."""
    for stream in IO_STREAMS:
        event_id = stream.event_id(seq)
        assert UUID4.match(event_id)
        assert own_id(event_id) == (event_id[:24], seq)


def test_io_eventids_name_their_stream() -> None:
    """The three streams' eventids of one seq have three prefixes."""
    assert len({stream.event_id(5)[:24] for stream in IO_STREAMS}) == 3


@given(SEQS)
def test_own_id_reads_back_a_marketo_guid(seq: int) -> None:
    """A legacy marketoGUID maps back to (its stream's GUID prefix, seq)."""
    stream = ActivityStream(WORLD, ACTIVITY_TYPES[:1], seed=1, stream="sub")
    guid = stream.activity(seq, 0.0)["marketoGUID"]
    assert own_id(guid) == (stream.guid_prefix, seq)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("4109a990-da28-4c5b-bad9-22df8903ed9a", id="seq-above-2**32"),
        pytest.param("4109A990-DA28-4C5B-BAD9-00008903ED9A", id="upper-case"),
        pytest.param("4109a990da284c5bbad900008903ed9a", id="no-dashes"),
        pytest.param("4109a990-da28-4c5b-bad9-00008903ed9a ", id="trailing-space"),
        pytest.param("4109a990-da28-4c5b-bad9-00008903ed9g", id="not-hex"),
        pytest.param("evt-42", id="foreign"),
    ],
)
def test_own_id_refuses_other_texts(text: str) -> None:
    """Anything but the lowercase layout with a seq below 2**32 is not an own id."""
    assert own_id(text) is None


def test_own_id_keeps_the_prefix_with_its_dashes() -> None:
    """The first 24 characters name the stream; the seq is read as hex."""
    assert own_id("4109a990-da28-4c5b-bad9-0000000000ff") == ("4109a990-da28-4c5b-bad9-", 255)
