"""Lead Activity as the legacy push carries it (§1b): `ActivityStream` makes the activity
objects of one subscription, and `sample_activities` a few of one type.

The delivery queue keeps only ranges of sequence numbers and turns them into events at send time,
so `ActivityStream.activity(seq, at)` is a pure function of (world seed, stream seed, stream name,
seq, at): one 64-bit hash per seq (`draws.mix`, splitmix64) drives every choice, and each
attribute draws its pool index from that hash with its own salt (`values`). Faker runs only in
`World.build`; events are integer arithmetic over the pools it built. `iostreams` wraps the same
activities as Adobe I/O CloudEvents (§1c).
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from simulator.payloads.catalog import (
    ActivityType,
    find_activity_type,
    select_activity_types,
)
from simulator.payloads.draws import (
    GOLDEN,
    MASK,
    SEQ_LIMIT,
    mix,
    pick,
    salt_of,
    stream_identity,
)
from simulator.payloads.formats import (
    format_timestamp,
)
from simulator.payloads.pools import Lead, make_lead
from simulator.payloads.values import CampaignFn, ValueFn, campaign_fn, primary_fn, value_fn
from simulator.payloads.world import NEW_LEAD_BASE, World

_LOG_BASE = 1_000_000_000
_DELETE_LOOKBACK = 1024  # seqs a Delete Lead scans back for the New Lead it deletes
SAMPLE_AT = 1776710636.0  # 2026-04-20T18:43:56Z, the activityDate of the §1b example

_S_LEAD, _S_FIRST, _S_LAST, _S_DOMAIN = map(salt_of, ("lead", "first", "last", "domain"))


LeadFn = Callable[[int, int], Lead]  # (seq, event hash) -> the lead the activity is about


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    """Everything about one activity type that does not change per event, resolved once."""

    type_id: int
    name: str
    io_type: str
    lead: LeadFn | None  # None: a lead from the static pool (drawn inline, the common case)
    primary: ValueFn | None
    campaign: CampaignFn | None
    attributes: tuple[tuple[str, str, ValueFn], ...]


class ActivityStream:
    """One subscription's activities: `activity(seq, at)` is a pure function of its inputs."""

    def __init__(
        self, world: World, types: Sequence[ActivityType], *, seed: int, stream: str
    ) -> None:
        unique = tuple({t.id: t for t in types}.values())
        if any(t.weight < 0 for t in unique) or sum(t.weight for t in unique) <= 0:
            raise ValueError("an activity stream needs at least one type, and no negative weight")
        self._world = world
        self._leads = world.leads
        identity = stream_identity(world.seed, seed, stream)
        self._identity = identity
        digest = hashlib.blake2b(identity, digest_size=16).digest()
        self._key = int.from_bytes(digest[:8], "big")
        # GUID: 20 hex digits name the stream, the last 12 are the seq, so streams never collide.
        prefix = digest[6:].hex()
        self._guid = f"{prefix[:8]}-{prefix[8:12]}-{prefix[12:16]}-{prefix[16:]}-"
        # Each stream owns a 2**32 block of log item ids, kept below 2**53 for JSON consumers.
        self._log_base = _LOG_BASE + (int.from_bytes(digest[8:11], "big") % (1 << 20) << 32)
        self._cumulative = list(accumulate(t.weight for t in unique))
        self._unit = self._cumulative[-1] / (1 << 53)
        ids = [t.id for t in unique]
        self._new_lead_index = ids.index(12) if 12 in ids else None
        self._delete_index = ids.index(37) if 37 in ids else None
        self._plans = tuple(self._plan(t) for t in unique)
        self._stamp_cache: tuple[int | None, str] = (None, "")

    def activity(self, seq: int, at: float) -> dict[str, Any]:
        """The legacy activity object number `seq` of this stream, dated `at` (epoch seconds)."""
        if not 0 <= seq < SEQ_LIMIT:
            raise ValueError(f"seq must be in range(0, {SEQ_LIMIT}), got {seq}")
        h = mix((self._key + seq * GOLDEN) & MASK)  # self._hash(seq) minus a call: hot path
        plan = self._plans[bisect_right(self._cumulative, (h >> 11) * self._unit)]
        if plan.lead is None:
            leads = self._leads
            lead = leads[((((h ^ _S_LEAD) * GOLDEN) & MASK) >> 33) % len(leads)]
        else:
            lead = plan.lead(seq, h)
        stamp = self._stamp(at)
        event: dict[str, Any] = {
            "marketoGUID": f"{self._guid}{seq:012x}",
            "leadId": lead.id,
            "activityDate": stamp,
            "activityTypeId": plan.type_id,
            "activityType": plan.name,
            "activityLogItemId": self._log_base + seq,
        }
        if plan.primary is not None:
            event["primaryAttributeValueId"], event["primaryAttributeValue"] = plan.primary(
                h, lead, stamp
            )
        if plan.campaign is not None and (campaign := plan.campaign(h)) is not None:
            event["campaignId"], event["campaignName"] = campaign.id, campaign.name
        event["attributes"] = [
            {"name": name, "dataType": data_type, "value": value(h, lead, stamp)}
            for name, data_type, value in plan.attributes
        ]
        return event

    @property
    def identity(self) -> bytes:
        """What this stream's hashes are keyed on; an I/O stream over it derives its keys too."""
        return self._identity

    @property
    def io_types(self) -> dict[int, str]:
        """The Adobe I/O `type` of each activity type id this stream makes."""
        return {plan.type_id: plan.io_type for plan in self._plans}

    def activities(self, items: Iterable[tuple[int, float]]) -> list[dict[str, Any]]:
        """`activity(seq, at)` for each (seq, at), in the order given."""
        activity = self.activity
        return [activity(seq, at) for seq, at in items]

    def _hash(self, seq: int) -> int:
        return mix((self._key + seq * GOLDEN) & MASK)

    def _type_index(self, h: int) -> int:
        return bisect_right(self._cumulative, (h >> 11) * self._unit)

    def _stamp(self, at: float) -> str:
        # Batches are dated in order, so one cached second saves nearly every strftime.
        # One tuple, swapped whole, so a reader never pairs one second with another's text.
        second = math.floor(at)
        cached = self._stamp_cache
        if cached[0] == second:
            return cached[1]
        self._stamp_cache = (second, format_timestamp(second))
        return self._stamp_cache[1]

    def _plan(self, activity_type: ActivityType) -> _Plan:
        world, type_id = self._world, activity_type.id
        return _Plan(
            type_id=type_id,
            name=activity_type.name,
            io_type=activity_type.io_type,
            lead={12: self._new_lead, 37: self._deleted_lead}.get(type_id),
            primary=primary_fn(activity_type.primary, world) if activity_type.primary else None,
            campaign=campaign_fn(type_id, world),
            attributes=tuple(
                (a.name, a.data_type, value_fn(a.value, world)) for a in activity_type.attributes
            ),
        )

    def _new_lead(self, seq: int, h: int | None = None) -> Lead:
        """The lead a New Lead at `seq` creates: its id is new and its name comes from `seq`."""
        h = self._hash(seq) if h is None else h
        w = self._world
        first, last = pick(w.first_names, h, _S_FIRST), pick(w.last_names, h, _S_LAST)
        email = f"{first}.{last}@{pick(w.email_domains, h, _S_DOMAIN)}".lower()
        return make_lead(NEW_LEAD_BASE + seq, first, last, email)

    def _deleted_lead(self, seq: int, h: int) -> Lead:
        """The lead a Delete Lead at `seq` deletes: one created earlier, else one from the pool.

        Each Delete Lead is paired with the nearest earlier New Lead not already claimed by a
        Delete Lead in between: bracket matching, scanning back at most _DELETE_LOOKBACK seqs
        with the cheap type choice alone. It equals a forward stack (New Lead pushes, Delete Lead
        pops), so no New Lead is deleted twice, even with the bounded window.
        What random access cannot do is remember deletions: when no New Lead is in reach, the
        deleted lead comes from the static pool, and that lead can still appear in later
        activities (and be deleted again).
        """
        if self._new_lead_index is not None:
            pending = 0
            for earlier in range(seq - 1, max(-1, seq - 1 - _DELETE_LOOKBACK), -1):
                index = self._type_index(self._hash(earlier))
                if index == self._delete_index:
                    pending += 1
                elif index == self._new_lead_index:
                    if not pending:
                        return self._new_lead(earlier)
                    pending -= 1
        return pick(self._leads, h, _S_LEAD)


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
