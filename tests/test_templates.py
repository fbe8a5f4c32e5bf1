"""The fast path: activities written as text by compiled encoders, and the one description
behind it. Every text a batch writes is exactly what its dict serialises to, seq for seq."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from bisect import bisect_right
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.queue import Span
from simulator.payloads.catalog import ACTIVITY_TYPES, ActivityType, select_activity_types
from simulator.payloads.draws import SEQ_LIMIT
from simulator.payloads.events import (
    SAMPLE_AT,
    ActivityStream,
    activity_set,
    encode_legacy_batch,
    encode_legacy_spans,
    joined_activities,
    legacy_body,
    legacy_body_around,
)
from simulator.payloads.formats import io_body, legacy_batch
from simulator.payloads.iostreams import CloudActivityStream
from simulator.payloads.templates import compile_type
from simulator.payloads.world import World

WORLD = World.build(11)
MUNCHKIN = "123-ABC-456"


def stream(types: Any = ACTIVITY_TYPES, name: str = "sub") -> ActivityStream:
    return ActivityStream(WORLD, types, seed=1, stream=name)


def dict_bytes(types: Any, seq: int, at: float) -> bytes:
    """Activity `seq` made alone by a fresh stream, as dict, serialised."""
    return orjson.dumps(stream(types).activity(seq, at))


# ---- one description: text and dict agree ---------------------------------------------------

TYPE_SETS = st.lists(
    st.sampled_from(ACTIVITY_TYPES), min_size=1, max_size=4, unique_by=lambda t: t.id
)
STARTS = st.integers(min_value=0, max_value=SEQ_LIMIT - 600)
TIMES = st.floats(min_value=0, max_value=4e9, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(TYPE_SETS, STARTS, st.integers(min_value=1, max_value=300), TIMES)
def test_a_batch_text_is_its_activity_dict_serialised(
    types: list[ActivityType], start: int, count: int, at: float
) -> None:
    """Whatever the types, seqs and dates: each text of a batch is, byte for byte, orjson of the
    dict the same seq makes alone on a fresh stream (random access agrees with the batch)."""
    items = [(seq, at + (seq - start) / 3) for seq in range(start, start + count)]
    texts = stream(types).texts(items)
    probes = sorted({0, count // 2, count - 1})
    for i in probes:
        assert texts[i].encode() == dict_bytes(types, *items[i])


@pytest.mark.parametrize("activity_type", ACTIVITY_TYPES, ids=lambda t: f"{t.id}-{t.name}")
def test_every_type_writes_what_its_dict_says(activity_type: ActivityType) -> None:
    """Across a block boundary (seq 256), each type's texts equal its dicts serialised."""
    types = [activity_type]
    items = [(seq, SAMPLE_AT + seq) for seq in range(236, 276)]
    texts = stream(types).texts(items)
    assert [text.encode() for text in texts] == [dict_bytes(types, *item) for item in items]


def test_a_text_parses_to_its_activity() -> None:
    """`text` is the activity's JSON: parsing it gives `activity`."""
    s = stream()
    assert orjson.loads(s.text(77, SAMPLE_AT)) == s.activity(77, SAMPLE_AT)


def test_a_legacy_body_is_legacy_batch_of_the_dicts() -> None:
    """encode_legacy_batch writes exactly formats.legacy_batch of the same activities."""
    items = [(seq, SAMPLE_AT + seq / 250) for seq in range(1000, 1500)]
    body = encode_legacy_batch(
        stream(), items, munchkin_id=MUNCHKIN, message_id="10000001", created_at=SAMPLE_AT
    )
    activities = stream().activities(items)
    assert body == legacy_batch(
        munchkin_id=MUNCHKIN, message_id="10000001", created_at=SAMPLE_AT, activities=activities
    )


SPACINGS = st.sampled_from([0.0, 1 / 250, 1 / 3, 0.7, 1.0, 2.5, 1e-7])
EPOCHS = st.sampled_from([0.0, SAMPLE_AT, 1767225600.0, 1767225599.999])


@settings(max_examples=80, deadline=None)
@given(
    STARTS,
    st.integers(min_value=1, max_value=600),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.integers(min_value=0, max_value=10**6),
    SPACINGS,
    EPOCHS,
)
def test_the_texts_of_a_span_are_the_texts_of_its_items(
    first: int, count: int, origin: float, k0: int, spacing: float, epoch: float
) -> None:
    """A span (a delivery queue's run of seqs on one time line) encodes byte for byte as its
    (seq, epoch + time) pairs do, whichever seconds and blocks its events fall in: the seconds
    are cut where per-event dating cuts them."""
    span = Span(first, count, origin, k0, spacing)
    items = [(seq, epoch + t) for seq, t in span.items()]
    assert stream().span_texts([span], epoch) == stream().texts(items)


def test_the_texts_of_several_spans_follow_one_another() -> None:
    """Spans with gaps between their seqs and times encode as their items, in order."""
    spans = [Span(10, 300, 5.0, 0, 0.5), Span(900, 40, 400.0, 3, 0.0), Span(940, 1, 9.0, 0, 1.0)]
    items = [(seq, SAMPLE_AT + t) for span in spans for seq, t in span.items()]
    assert stream().span_texts(spans, SAMPLE_AT) == stream().texts(items)


def test_texts_take_items_in_any_order() -> None:
    """Items out of order (an anomaly reorders them) are each the text of their own seq."""
    items = [(seq, SAMPLE_AT + seq) for seq in range(300, 240, -1)]
    texts = stream().texts(items)
    assert texts == [stream().text(seq, at) for seq, at in items]


def test_a_legacy_body_of_spans_is_the_body_of_their_items() -> None:
    """encode_legacy_spans writes exactly encode_legacy_batch of the same events."""
    span = Span(1000, 500, 0.0, 1000, 1 / 250)
    items = [(seq, SAMPLE_AT + t) for seq, t in span.items()]
    ids = {"munchkin_id": MUNCHKIN, "message_id": "10000001", "created_at": SAMPLE_AT}
    body = encode_legacy_spans(stream(), [span], epoch=SAMPLE_AT, **ids)
    assert body == encode_legacy_batch(stream(), items, **ids)


@pytest.mark.parametrize("count", [0, 1, 500])
def test_a_body_around_joined_activities_is_the_body_of_their_texts(count: int) -> None:
    """Texts joined before the wrapper is known (encoded ahead) make the same body."""
    texts = stream().span_texts([Span(40, count, 0.0, 0, 0.01)], SAMPLE_AT)
    ids = {"munchkin_id": MUNCHKIN, "message_id": "3", "created_at": SAMPLE_AT}
    around = legacy_body_around(joined_activities(texts), **ids)
    assert around == legacy_body(texts, **ids)


@pytest.mark.parametrize("count", [0, 1])
def test_an_empty_or_single_legacy_body_is_legacy_batch_too(count: int) -> None:
    """No activity, or one: the wrapper's ends still meet exactly."""
    items = [(seq, SAMPLE_AT) for seq in range(count)]
    body = encode_legacy_batch(stream(), items, munchkin_id=MUNCHKIN, message_id="7", created_at=0)
    expected = legacy_batch(
        munchkin_id=MUNCHKIN, message_id="7", created_at=0, activities=stream().activities(items)
    )
    assert body == expected


@given(st.text(max_size=30), st.text(max_size=12))
def test_the_legacy_wrapper_takes_any_munchkin_id_and_message_id(
    munchkin: str, message: str
) -> None:
    """Quotes, escapes, non-ASCII and even the slot marker itself are encoded, not cut."""
    items = [(3, SAMPLE_AT)]
    body = encode_legacy_batch(
        stream(), items, munchkin_id=munchkin, message_id=message, created_at=1
    )
    expected = legacy_batch(
        munchkin_id=munchkin,
        message_id=message,
        created_at=1,
        activities=stream().activities(items),
    )
    assert body == expected


def test_a_slot_marker_in_a_munchkin_id_is_just_text() -> None:
    """A munchkinId that looks like the wrapper's placeholder does not cut the body."""
    items = [(3, SAMPLE_AT)]
    marker = '"@@activities@@"'
    body = encode_legacy_batch(stream(), items, munchkin_id=marker, message_id="1", created_at=1)
    assert orjson.loads(body)["munchkinId"] == marker


# ---- Lead Activity as CloudEvents -------------------------------------------------------------


def cloud(deprecated_fields: bool = True) -> CloudActivityStream:
    return CloudActivityStream(
        stream(),
        munchkin_id=MUNCHKIN,
        recipient_client_id="client",
        deprecated_fields=deprecated_fields,
    )


@pytest.mark.parametrize("deprecated_fields", [True, False])
@pytest.mark.parametrize("batch", [True, False])
def test_a_cloudevent_body_is_io_body_of_the_events(deprecated_fields: bool, batch: bool) -> None:
    """The text path writes io_body of io_events, byte for byte, in a batch or alone."""
    items = [(seq, SAMPLE_AT + seq) for seq in range(250, 250 + (40 if batch else 1))]
    events, body = cloud(deprecated_fields).encode(items, batch=batch)
    expected = cloud(deprecated_fields).io_events(items)
    assert body == io_body(expected, batch=batch)
    assert len(events) == len(expected)
    assert events[0] == expected[0]
    assert list(events[1:3]) == expected[1:3]


def test_the_envelope_follows_the_flat_envelope_order() -> None:
    """eventid first, the CloudEvent's attributes, then the client and the deprecated pair."""
    events, _ = cloud().encode([(9, SAMPLE_AT)], batch=False)
    assert list(events[0].envelope) == [
        "eventid",
        "specversion",
        "type",
        "source",
        "id",
        "time",
        "datacontenttype",
        "data",
        "recipientclientid",
        "event_id",
        "recipient_client_id",
    ]


# ---- what streams share ----------------------------------------------------------------------


def test_streams_of_one_world_and_type_set_share_their_compiled_types() -> None:
    """Building a stream compiles nothing twice: the set and its encoders come from the world."""
    types = select_activity_types("1, 6, 7")
    assert activity_set(WORLD, types) is activity_set(WORLD, list(types))
    assert compile_type(types[0], WORLD) is compile_type(types[0], WORLD)


def test_another_world_compiles_its_own() -> None:
    """Pools differ per world, so do the tables: nothing is shared across worlds."""
    types = select_activity_types("1")
    assert activity_set(World.build(12), types) is not activity_set(WORLD, types)


def test_the_type_pick_table_agrees_with_the_bounds() -> None:
    """Every bucket the table answers lies within one type's bounds: a bisect at either end of
    the bucket picks the same encoder."""
    chosen = activity_set(WORLD, ACTIVITY_TYPES)
    size = (1 << 30) // len(chosen.legacy_picks)
    for bucket, encoder in enumerate(chosen.legacy_picks):
        if encoder is not None:
            for word in (bucket * size, (bucket + 1) * size - 1):
                assert chosen.legacy[bisect_right(chosen.bounds, word)] is encoder


def test_an_encoder_reads_no_more_words_than_its_set_gives() -> None:
    """The set's stride covers the widest type, and the encoders' code says what they read."""
    chosen = activity_set(WORLD, ACTIVITY_TYPES)
    for compiled in chosen.compiled:
        assert compiled.words <= chosen.stride
        assert f"w[{compiled.words}]" not in compiled.source


# ---- the same seed, the same bytes, in any process --------------------------------------------

_DIGEST = """
import hashlib
from simulator.payloads.catalog import ACTIVITY_TYPES
from simulator.payloads.events import SAMPLE_AT, ActivityStream, encode_legacy_batch
from simulator.payloads.world import World
stream = ActivityStream(World.build(11), ACTIVITY_TYPES, seed=1, stream="sub")
items = [(seq, SAMPLE_AT + seq / 100) for seq in range(2000)]
body = encode_legacy_batch(stream, items, munchkin_id="m", message_id="1", created_at=SAMPLE_AT)
print(hashlib.sha256(body).hexdigest())
"""


def test_another_process_with_another_hash_seed_writes_the_same_bytes() -> None:
    """Nothing depends on str hashing or on what ran before: a fresh interpreter agrees."""
    items = [(seq, SAMPLE_AT + seq / 100) for seq in range(2000)]
    body = encode_legacy_batch(
        stream(), items, munchkin_id="m", message_id="1", created_at=SAMPLE_AT
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", _DIGEST], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == hashlib.sha256(body).hexdigest()
