"""Seeded draws: the integer arithmetic every generated choice comes from.

A stream turns each sequence number into one 64-bit hash (`mix`, the splitmix64 finaliser, over
the stream's key and the seq); each entity then draws its index from that hash with its own salt
(`draw`, `pick`), so the entities of one event are independent and the same seq always makes the
same choices. Keys and salts come from BLAKE2b of stable texts; event ids are UUID v4 strings that
are a pure function of (key, seq). No clock, no global random state.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TypeVar

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # 2**64 / the golden ratio, odd: a step that visits every 64-bit value
SEQ_LIMIT = 1 << 32  # activityLogItemId gives each stream a 2**32 block; the GUID holds 2**48
_SCRAMBLE = 0xD6E8FEB86659FD93  # an odd 64-bit multiplier: spreads h into the other digits

T = TypeVar("T")
_OWN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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


def uuid4(key: int, seq: int) -> str:
    """A version-4 UUID that is a pure function of (key, seq), and distinct for each seq.

    `h` is a bijection of seq (splitmix64 of an odd-step counter) and all 16 of its hex digits
    are kept, around the version digit "4" and the variant digit (8, 9, a or b); a multiple of
    `h` fills the other 14 digits.
    """
    h = mix((key + seq * GOLDEN) & MASK)
    x = (h.to_bytes(8, "big") + ((h * _SCRAMBLE) & MASK).to_bytes(8, "big")).hex()
    return f"{x[:8]}-{x[8:12]}-4{x[12:15]}-{'89ab'[h & 3]}{x[15:18]}-{x[18:30]}"


def own_id(text: str) -> tuple[str, int] | None:
    """(stream prefix, seq) of an id laid out like the simulator's own: 36 characters,
    8-4-4-4-12 lowercase hex, the first 24 naming the stream and the last 12 the seq; None
    for any other text."""
    if len(text) != 36 or _OWN_ID.fullmatch(text) is None:
        return None
    return text[:24], int(text[24:], 16)
