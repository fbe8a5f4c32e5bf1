"""Seeded draws: the integer arithmetic every generated choice comes from, and the simulator's
own event ids.

Lead Activity streams draw in bulk: `block_words` hashes a stream key and a block number with
SHAKE-128 into the 32-bit words of `BLOCK` consecutive sequence numbers (a fixed number of words
per event), so seq n's draws are a pure function of (key, n) whatever was asked before, and a
batch costs one hash per 256 events. Each draw an event makes reads its own word (`templates`).
The User Audit and Notification streams use the older scalar form: one 64-bit hash per seq
(`mix`, the splitmix64 finaliser, over the stream's key and the seq), from which each entity
draws its index with its own salt (`draw`, `pick`). Keys and salts come from BLAKE2b of stable
texts. No clock, no global random state.

Own ids: every id the simulator makes for an event (the legacy marketoGUID, every Adobe I/O
eventid) is `xxxxxxxx-xxxx-xxxx-xxxx-SSSSSSSSSSSS` in lowercase hex: the first 24 characters name
the stream, the last 12 digits are the seq. `own_id` maps such an id back to (prefix, seq).
"""

from __future__ import annotations

import hashlib
import re
import sys
from array import array
from collections.abc import Sequence
from typing import TypeVar

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # 2**64 / the golden ratio, odd: a step that visits every 64-bit value
SEQ_LIMIT = 1 << 32  # activityLogItemId gives each stream a 2**32 block; the GUID holds 2**48
BLOCK = 256  # sequence numbers hashed together by `block_words`
WORD = 1 << 30  # words are uniform in range(WORD): one CPython digit, the cheapest int there is
_LOW_SIX = bytes(b & 0x3F for b in range(256))  # clears the top two bits of a byte

T = TypeVar("T")


def salt_of(name: str) -> int:
    """A stable 64-bit salt per entity, so each entity draws independently from the event hash."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")


def stream_identity(world_seed: int, seed: int, stream: str) -> bytes:
    """What a stream's hashes are keyed on: world seed, stream seed, stream name."""
    return f"{world_seed}\x1f{seed}\x1f{stream}".encode()


def stream_key(kind: str, identity: bytes, purpose: str) -> int:
    """A 64-bit key for one purpose (draws, event ids) of one stream of one kind."""
    text = b"\x1f".join((kind.encode(), identity, purpose.encode()))
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def mix(z: int) -> int:
    """The splitmix64 finaliser: a cheap, well-spread 64-bit hash of an integer."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def draw(h: int, salt: int, n: int) -> int:
    """An index in range(n) from the event hash; the same salt gives the same index."""
    return ((((h ^ salt) * GOLDEN) & MASK) >> 33) % n


def pick(pool: Sequence[T], h: int, salt: int) -> T:
    """The item of `pool` that `draw` chooses."""
    return pool[draw(h, salt, len(pool))]


def checked_seq(seq: int) -> int:
    """`seq`, if a stream can number an event with it; a ValueError otherwise."""
    if not 0 <= seq < SEQ_LIMIT:
        raise ValueError(f"seq must be in range(0, {SEQ_LIMIT}), got {seq}")
    return seq


def block_words(key: bytes, block: int, width: int) -> tuple[array[int], ...]:
    """The draws of the BLOCK seqs of `block`: `width` rows of BLOCK uniform 30-bit words, so
    seq s reads `rows[k][s % BLOCK]` for its k-th draw.

    SHAKE-128 is an extendable-output hash, so one call yields the whole block. Words are read
    little-endian on every machine, so a seed gives the same events everywhere, and 30 bits wide
    because such an int is one CPython digit: indexing, `%` and comparing stay on fast paths.
    Rows, not one row per seq, so an encoder indexes by the seq's small offset alone.
    """
    if not 0 <= block < SEQ_LIMIT // BLOCK:
        raise ValueError(f"seq must be in range(0, {SEQ_LIMIT}), got block {block} of {BLOCK}")
    digest = bytearray(hashlib.shake_128(key + block.to_bytes(4, "big")).digest(BLOCK * width * 4))
    digest[3::4] = digest[3::4].translate(_LOW_SIX)  # little-endian: byte 3 is the top one
    words = array("I", digest)  # 4-byte items on every platform CPython supports
    if sys.byteorder == "big":
        words.byteswap()
    return tuple(words[k * BLOCK : (k + 1) * BLOCK] for k in range(width))


def thresholds(weights: Sequence[float]) -> list[int]:
    """Cumulative bounds over range(WORD) for a weighted draw: `bisect_right(bounds, word)` is
    index i with probability weights[i] / sum(weights). A zero weight is never drawn."""
    total = sum(weights)
    if total <= 0 or min(weights, default=0) < 0:
        raise ValueError("weights must be non-negative with a positive sum")
    bounds, running = [], 0.0
    for weight in weights:
        running += weight
        bounds.append(round(running / total * WORD))
    bounds[-1] = WORD  # every word lands somewhere, whatever the float rounding did
    return bounds


# ---- own ids ----------------------------------------------------------------------------------

OWN_PREFIX_LENGTH = 24  # "xxxxxxxx-xxxx-xxxx-xxxx-": what names the stream
_OWN_ID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)0000([0-9a-f]{8})")


def uuid4_prefix(kind: str, identity: bytes, purpose: str) -> str:
    """The 24-character prefix of the v4-shaped own ids of one stream and purpose: version digit
    "4" opens group 3 and the variant digit (8, 9, a or b) group 4, so `prefix + 12 hex digits`
    reads as a random UUID v4 to any consumer."""
    text = b"\x1f".join((kind.encode(), identity, purpose.encode()))
    x = hashlib.blake2b(text, digest_size=10).hexdigest()
    return f"{x[:8]}-{x[8:12]}-4{x[12:15]}-{'89ab'[int(x[15], 16) & 3]}{x[16:19]}-"


def own_event_id(prefix: str, seq: int) -> str:
    """The own id of `seq` in the stream `prefix` names."""
    return f"{prefix}{seq:012x}"


def own_id(text: str) -> tuple[str, int] | None:
    """(stream prefix, seq) of an id with the own-id layout, else None.

    The layout is `xxxxxxxx-xxxx-xxxx-xxxx-SSSSSSSSSSSS` in lowercase hex, the last 12 digits a
    seq below SEQ_LIMIT (2**32, so they start with "0000"). The prefix keeps its dashes (24
    characters). Any UUID of that shape matches; a random one does with probability 1 in 65536,
    so a foreign id rarely passes for an own one.
    """
    match = _OWN_ID.fullmatch(text)
    if match is None:
        return None
    return match[1], int(match[2], 16)
