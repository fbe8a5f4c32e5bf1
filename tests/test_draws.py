"""Seeded draws: splitmix64, salted index draws, stream keys and event ids, all pure functions."""

from __future__ import annotations

import re

import pytest

from simulator.payloads.draws import (
    GOLDEN,
    MASK,
    SEQ_LIMIT,
    checked_seq,
    draw,
    mix,
    pick,
    salt_of,
    stream_identity,
    stream_key,
    uuid4,
)

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


def test_event_ids_are_version_4_uuids_distinct_for_every_seq() -> None:
    """Version digit 4, variant 8-b, and no two seqs of a key alike."""
    key = stream_key("user-audit", stream_identity(0, 0, "s"), "eventid")
    ids = [uuid4(key, seq) for seq in range(20_000)]
    assert all(UUID4.match(event_id) for event_id in ids)
    assert len(set(ids)) == len(ids)


def test_event_ids_are_a_function_of_key_and_seq() -> None:
    """The same key and seq give the same id on every call; another key another id."""
    assert uuid4(1, 7) == uuid4(1, 7)
    assert uuid4(1, 7) != uuid4(2, 7)
    assert uuid4(0, 1) == "e220a839-7b1d-4cda-bf42-228cc6623a0e"
