"""Lead Activity as the legacy push carries it (§1b): `ActivityStream` makes the activities of
one subscription, `encode_legacy_batch` the body of one push, and `sample_activities` a few of
one type.

The delivery queue keeps only ranges of sequence numbers and turns them into events at send time,
so activity `seq` is a pure function of (world seed, stream seed, stream name, seq, at). Its draws
are the 32-bit words `draws.block_words` gives it: SHAKE-128 over the stream's key and the block
of 256 seqs it falls in, so a batch costs one hash per 256 events and any seq can be made alone.
Word 0 picks the type by weight, the others the lead and the values (`templates`). Each type is
compiled once per world into a text encoder, shared by every stream of that world and type set,
so a stream costs microseconds to build and an event about a microsecond to encode.

One description: the activity as a dict (`activity`, used by samples, checks and anomalies) is
its JSON text parsed, so the bytes a push sends and the dicts read elsewhere never disagree.
`iostreams` writes the same activities as Adobe I/O CloudEvents.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from simulator.payloads.catalog import (
    ActivityType,
    find_activity_type,
    select_activity_types,
)
from simulator.payloads.draws import (
    BLOCK,
    WORD,
    block_words,
    checked_seq,
    stream_identity,
    thresholds,
)
from simulator.payloads.formats import format_timestamp, legacy_wrapper
from simulator.payloads.pools import Lead, make_lead
from simulator.payloads.templates import (
    GUID_ENDS,
    Compiled,
    Encoder,
    Words,
    compile_type,
    guid_head,
    head,
)
from simulator.payloads.world import NEW_LEAD_BASE, World

_LOG_BASE = 1_000_000_000
_DELETE_LOOKBACK = 1024  # seqs a Delete Lead scans back for the New Lead it deletes
_KEPT_BLOCKS = 1  # blocks of words a stream keeps: the next batch starts where the last ended
_BUCKET_BITS = 18  # the type pick reads a table of WORD >> 18 = 4096 buckets before bisecting
# activityLogItemId = a block's first id + lo, written as leading digits and the last three:
# v = (first id % 1000) + lo < 1256; the leading digits carry one when v >= 1000.
_DIGITS = tuple(f"{i % 1000:03d}" for i in range(1000 + BLOCK))
_CARRY = (0,) * 1000 + (1,) * BLOCK
SAMPLE_AT = 1776710636.0  # 2026-04-20T18:43:56Z, the activityDate of the §1b example


@dataclass(frozen=True, slots=True)
class ActivitySet:
    """The activity types of a stream, compiled over one world: what its streams share."""

    types: tuple[ActivityType, ...]
    compiled: tuple[Compiled, ...]
    legacy: tuple[Encoder, ...]
    cloud: tuple[Encoder, ...]
    bounds: list[int]  # word 0 below bounds[i] (and not below bounds[i-1]) picks type i
    # The encoder of each bucket of word 0 that lies inside one type's bounds, else None: a
    # table read instead of a bisect for all but the few buckets that straddle a bound.
    legacy_picks: list[Encoder | None]
    cloud_picks: list[Encoder | None]
    stride: int  # words per event: the most any of the types reads
    new_lead: int | None  # the index of New Lead, if the set has it
    delete_lead: int | None  # the index of Delete Lead, if the set has it


def activity_set(world: World, types: Sequence[ActivityType]) -> ActivitySet:
    """`types` (each once) compiled over `world`, shared by every stream built with them."""
    unique = tuple({t.id: t for t in types}.values())
    key = ("activity-set", *map(id, unique))
    cached = world.cache.get(key)
    if cached is None:
        cached = world.cache[key] = _build_set(world, unique)
    assert isinstance(cached, ActivitySet)
    return cached


def _build_set(world: World, unique: tuple[ActivityType, ...]) -> ActivitySet:
    if any(t.weight < 0 for t in unique) or sum(t.weight for t in unique) <= 0:
        raise ValueError("an activity stream needs at least one type, and no negative weight")
    compiled = tuple(compile_type(t, world) for t in unique)
    ids = [t.id for t in unique]
    bounds = thresholds([t.weight for t in unique])
    legacy, cloud = tuple(c.legacy for c in compiled), tuple(c.cloud for c in compiled)
    return ActivitySet(
        types=unique,
        compiled=compiled,
        legacy=legacy,
        cloud=cloud,
        bounds=bounds,
        legacy_picks=_picks(bounds, legacy),
        cloud_picks=_picks(bounds, cloud),
        stride=max(c.words for c in compiled),
        new_lead=ids.index(12) if 12 in ids else None,
        delete_lead=ids.index(37) if 37 in ids else None,
    )


def _picks(bounds: list[int], encoders: tuple[Encoder, ...]) -> list[Encoder | None]:
    size = 1 << _BUCKET_BITS
    picks: list[Encoder | None] = []
    for start in range(0, WORD, size):
        first, last = bisect_right(bounds, start), bisect_right(bounds, start + size - 1)
        picks.append(encoders[first] if first == last else None)
    return picks


class Form(Protocol):
    """The text around the activities of one wire format (see `templates.Encoder`)."""

    cloud: bool  # which encoder: the CloudEvent one, or the legacy activity object
    ends: tuple[Sequence[str], Sequence[str], Sequence[str]]  # A, B, C: by a seq's offset lo

    def block(self, guid_block: str, block: int) -> tuple[str, str, str]:
        """a, b, c of the seqs of `block`; `guid_block` is their marketoGUID but for the last
        two hex digits."""
        ...

    def second(self, stamp: str) -> tuple[str, str]:
        """(opening, head) of the events dated `stamp` (the activityDate as JSON)."""
        ...


class _Legacy:
    """The legacy activity object (§1b), alone: a batch's items or one sample."""

    cloud = False
    ends: tuple[Sequence[str], Sequence[str], Sequence[str]] = (GUID_ENDS, (), ())

    def block(self, guid_block: str, block: int) -> tuple[str, str, str]:
        return guid_head(guid_block), "", ""

    def second(self, stamp: str) -> tuple[str, str]:
        return "", head(stamp)


LEGACY = _Legacy()


class ActivityStream:
    """One subscription's activities: `activity(seq, at)` is a pure function of its inputs."""

    def __init__(
        self, world: World, types: Sequence[ActivityType], *, seed: int, stream: str
    ) -> None:
        self._set = activity_set(world, types)
        self._world = world
        identity = stream_identity(world.seed, seed, stream)
        self._identity = identity
        self._key = b"activity\x1f" + identity + b"\x1f"
        digest = hashlib.blake2b(identity, digest_size=16).digest()
        # GUID: 20 hex digits name the stream, the last 12 are the seq, so streams never collide.
        prefix = digest[6:].hex()
        self._guid = f"{prefix[:8]}-{prefix[8:12]}-{prefix[12:16]}-{prefix[16:]}-"
        # Each stream owns a 2**32 block of log item ids, kept below 2**53 for JSON consumers.
        self._log_base = _LOG_BASE + (int.from_bytes(digest[8:11], "big") % (1 << 20) << 32)
        self._words: dict[int, Words] = {}  # the last _KEPT_BLOCKS blocks read
        self._second: tuple[float, str] = (-1.5, "")  # (whole second, activityDate as JSON)

    # -- the dict view: the text parsed ---------------------------------------------------------

    def activity(self, seq: int, at: float) -> dict[str, Any]:
        """The legacy activity object number `seq` of this stream, dated `at` (epoch seconds)."""
        activity: dict[str, Any] = orjson.loads(self.text(seq, at))
        return activity

    def activities(self, items: Iterable[tuple[int, float]]) -> list[dict[str, Any]]:
        """`activity(seq, at)` for each (seq, at), in the order given."""
        activities: list[dict[str, Any]] = orjson.loads(f"[{','.join(self.texts(items))}]")
        return activities

    # -- the text -------------------------------------------------------------------------------

    def text(self, seq: int, at: float) -> str:
        """Activity `seq` as JSON text: `orjson.dumps(activity(seq, at))`, decoded."""
        return self.texts([(checked_seq(seq), at)])[0]

    def texts(self, items: Iterable[tuple[int, float]], form: Form = LEGACY) -> list[str]:
        """The JSON text of each (seq, at) in `form`, in the order given. The hot path: what
        depends on the block (words, GUID, log ids) is looked up once per 256 seqs, the date
        once per second."""
        s = self._set
        encoders, picks = (s.cloud, s.cloud_picks) if form.cloud else (s.legacy, s.legacy_picks)
        bounds, (ends_a, ends_b, ends_c) = s.bounds, form.ends
        out: list[str] = []
        append = out.append
        block: int | None = None
        second = until = 0.0  # the second being dated: [second, until)
        for seq, at in items:
            if seq >> 8 != block:  # BLOCK is 256
                block = seq >> 8
                words = self._block(block)
                types = words[0]
                a, b, c = form.block(f"{self._guid}{block:010x}", block)
                thousands, r0 = divmod(self._log_base + block * BLOCK, 1000)
                leading = (str(thousands), str(thousands + 1))
            if not second <= at < until:
                second = at // 1.0
                until = second + 1.0
                stamp = self._stamp(second)
                opening, head_text = form.second(stamp)
            lo = seq & 255
            v = r0 + lo
            word = types[lo]
            encode = picks[word >> _BUCKET_BITS] or encoders[bisect_right(bounds, word)]
            append(encode(words, lo, a, ends_a, b, ends_b, c, ends_c, opening, head_text,
                          leading[_CARRY[v]], _DIGITS[v], stamp, seq, self))  # fmt: skip
        return out

    def _block(self, block: int) -> Words:
        words = self._words.get(block)
        if words is None:
            words = self._words[block] = block_words(self._key, block, self._set.stride)
            if len(self._words) > _KEPT_BLOCKS:
                del self._words[next(iter(self._words))]
        return words

    def _stamp(self, second: float) -> str:
        # Batches are dated in order, so one cached second saves nearly every strftime.
        # One tuple, swapped whole, so a reader never pairs one second with another's text.
        cached = self._second
        if cached[0] != second:
            cached = self._second = (second, f'"{format_timestamp(second)}"')
        return cached[1]

    # -- what a stream over this one reads ------------------------------------------------------

    @property
    def identity(self) -> bytes:
        """What this stream's hashes are keyed on; an I/O stream over it derives its keys too."""
        return self._identity

    @property
    def guid_prefix(self) -> str:
        """The first 24 characters of every marketoGUID of this stream (the own-id prefix)."""
        return self._guid

    @property
    def io_types(self) -> dict[int, str]:
        """The Adobe I/O `type` of each activity type id this stream makes."""
        return {t.id: t.io_type for t in self._set.types}

    # -- the leads that are not drawn from the pool (templates.LeadSource) ---------------------

    def new_lead(self, seq: int, words: Words, lo: int) -> Lead:
        """The lead a New Lead at `seq` creates: its id is new, its name from words 1-3."""
        w = self._world
        first = w.first_names[words[1][lo] % len(w.first_names)]
        last = w.last_names[words[2][lo] % len(w.last_names)]
        domain = w.email_domains[words[3][lo] % len(w.email_domains)]
        return make_lead(NEW_LEAD_BASE + seq, first, last, f"{first}.{last}@{domain}".lower())

    def deleted_lead(self, seq: int, words: Words, lo: int) -> Lead:
        """The lead a Delete Lead at `seq` deletes: one created earlier, else one from the pool.

        Each Delete Lead is paired with the nearest earlier New Lead not already claimed by a
        Delete Lead in between: bracket matching, scanning back at most _DELETE_LOOKBACK seqs
        with the cheap type choice alone. It equals a forward stack (New Lead pushes, Delete Lead
        pops), so no New Lead is deleted twice, even with the bounded window.
        What random access cannot do is remember deletions: when no New Lead is in reach, the
        deleted lead comes from the static pool (word 1), and that lead can still appear in
        later activities (and be deleted again).
        """
        s = self._set
        if s.new_lead is not None:
            pending = 0
            for earlier in range(seq - 1, max(-1, seq - 1 - _DELETE_LOOKBACK), -1):
                block, k = self._block(earlier // BLOCK), earlier % BLOCK
                index = bisect_right(s.bounds, block[0][k])
                if index == s.delete_lead:
                    pending += 1
                elif index == s.new_lead:
                    if not pending:
                        return self.new_lead(earlier, block, k)
                    pending -= 1
        leads = self._world.leads
        return leads[words[1][lo] % len(leads)]


def encode_legacy_batch(
    stream: ActivityStream,
    items: Iterable[tuple[int, float]],
    *,
    munchkin_id: str,
    message_id: str,
    created_at: float,
) -> bytes:
    """The body of one legacy push: the §1b wrapper around the activities of `items` (seq, at).

    Byte for byte `formats.legacy_batch(..., activities=stream.activities(items))`, without
    building a dict: generation plus encoding of a batch, the figure `make bench` reports.
    """
    before, after = legacy_wrapper(
        munchkin_id=munchkin_id, message_id=message_id, created_at=created_at
    )
    texts = stream.texts(items)
    if not texts:
        return f"{before}{after}".encode()
    texts[0] = before + texts[0]  # the ends join the first and last texts: the body is copied
    texts[-1] += after  # by one join and one encode, not by four
    return ",".join(texts).encode()


def sample_activities(
    type_ref: str | int | None, *, count: int, seed: int = 0, at: float | None = None
) -> list[dict[str, Any]]:
    """`count` activities of one type (every type mixed when None), one second apart.

    Deterministic from `seed`; `at` defaults to the §1b example's activityDate so the output is
    the same on every run.
    """
    types = select_activity_types("all") if type_ref is None else (find_activity_type(type_ref),)
    stream = ActivityStream(World.build(seed), types, seed=seed, stream="sample")
    start = SAMPLE_AT if at is None else at
    return stream.activities((seq, start + seq) for seq in range(count))
