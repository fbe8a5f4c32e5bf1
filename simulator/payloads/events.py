"""The event generators: Lead Activity (legacy activity objects, §1b, and Adobe I/O CloudEvents,
§1c), User Audit (§3a) and Notification (§3b).

The delivery queue keeps only ranges of sequence numbers and turns them into events at send time,
so `ActivityStream.activity(seq, at)` is a pure function of (world seed, stream seed, stream name,
seq, at): one 64-bit hash per seq (splitmix64) drives every choice, and each attribute draws its
pool index from that hash with its own salt. Faker runs only in `World.build`; events are integer
arithmetic over the pools it built. The I/O streams follow the same rules; their `eventid`s
(UUID v4 strings) differ for every seq and never change, so retries and replays carry the same one.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import accumulate
from typing import Any, TypeVar

from simulator.payloads.catalog import (
    ActivityType,
    find_activity_type,
    select_activity_types,
)
from simulator.payloads.formats import (
    format_timestamp,
)
from simulator.payloads.pools import (
    ORIGINS,
    TRACKS,
    Campaign,
    Field,
    Lead,
    ProgressionStatus,
    Track,
    make_lead,
)
from simulator.payloads.world import NEW_LEAD_BASE, World

_M = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_SEQ_LIMIT = 1 << 32  # activityLogItemId gives each stream a 2**32 block; the GUID holds 2**48
_LOG_BASE = 1_000_000_000
_DELETE_LOOKBACK = 1024  # seqs a Delete Lead scans back for the New Lead it deletes
_SAMPLE_AT = 1776710636.0  # 2026-04-20T18:43:56Z, the activityDate of the §1b example

T = TypeVar("T")
ValueFn = Callable[[int, Lead, str], Any]  # (event hash, lead, activityDate) -> value


# Types a smart-campaign flow step causes, so the activity names the campaign (§1b draft example).
# Change Data Value names one only when its origin is a flow action.
_CAMPAIGN_CAUSED = frozenset({6, 7, 8, 22, 24, 25, 27, 38, 47, 100, 101, 104, 110, 113, 114, 115})
_FLOW_CAUSED = frozenset({13})


def _salt(name: str) -> int:
    """A stable 64-bit salt per entity, so each entity draws independently from the event hash."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")


def _stream_identity(world: World, seed: int, stream: str) -> bytes:
    """What a stream's hashes are keyed on: world seed, stream seed, stream name."""
    return f"{world.seed}\x1f{seed}\x1f{stream}".encode()


def _mix(z: int) -> int:
    """The splitmix64 finaliser: a cheap, well-spread 64-bit hash of an integer."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    return z ^ (z >> 31)


def _draw(h: int, salt: int, n: int) -> int:
    """An index in range(n) from the event hash; the same salt gives the same index."""
    return ((((h ^ salt) * _GOLDEN) & _M) >> 33) % n


def _pick(pool: Sequence[T], h: int, salt: int) -> T:
    """The item of `pool` that `_draw` chooses."""
    return pool[_draw(h, salt, len(pool))]


# Kinds drawn from a World pool: kind -> (pool, salt name, record field or None for the item).
# Kinds sharing a salt name read the same record, e.g. a Webpage ID and its URL.
_POOL_KINDS: dict[str, tuple[str, str, str | None]] = {
    "ip": ("ips", "ip", None),
    "referrer": ("referrers", "referrer", None),
    "user_agent": ("agents", "agent", "text"),
    "platform": ("agents", "agent", "platform"),
    "device": ("agents", "agent", "device"),
    "is_mobile": ("agents", "agent", "mobile"),
    "webpage_id": ("webpages", "webpage", "id"),
    "webpage_path": ("webpages", "webpage", "path"),
    "form_id": ("forms", "form", "id"),
    "link_id": ("links", "link", "id"),
    "link_url": ("links", "link", "url"),
    "mailing_id": ("mailings", "mailing", "id"),
    "hard_bounce_code": ("hard_bounces", "bounce", "code"),
    "hard_bounce_category": ("hard_bounces", "bounce", "category"),
    "hard_bounce_details": ("hard_bounces", "bounce", "details"),
    "soft_bounce_code": ("soft_bounces", "bounce", "code"),
    "soft_bounce_category": ("soft_bounces", "bounce", "category"),
    "soft_bounce_details": ("soft_bounces", "bounce", "details"),
    "field_name": ("fields", "field", "name"),
    "score_name": ("scores", "score", "name"),
    "list_id": ("lists", "list", "id"),
    "campaign_id": ("campaigns", "campaign", "id"),
    "campaign_name": ("campaigns", "campaign", "name"),
    "campaign_channel": ("campaigns", "campaign", "channel"),
    "sales_user_email": ("sales_users", "sales_user", "email"),
    "sales_user_name": ("sales_users", "sales_user", "name"),
    "alert_list": ("sales_users", "alert", "email"),
    "moment_type": ("moment_types", "moment", "name"),
    "model_id": ("revenue_models", "revenue_model", "id"),
    "program_id": ("programs", "program", "id"),
    "segment_id": ("segments", "segment", "id"),
    "segmentation_id": ("segments", "segment", "segmentation_id"),
    "friend_lead_id": ("leads", "friend", "id"),
    "sharer_id": ("leads", "sharer", "id"),
    "nurture_program_id": ("tracks", "track", "program_id"),
    "track_id": ("tracks", "track", "id"),
    "track_name": ("tracks", "track", "name"),
    "conference_name": ("conferences", "conference", "name"),
    "webinar_title": ("webinars", "webinar", "name"),
}

# Primary attributes drawn from a World pool: kind -> (pool, salt name, id field, value field).
_PRIMARY_KINDS: dict[str, tuple[str, str, str, str]] = {
    "webpage": ("webpages", "webpage", "id", "url"),
    "form": ("forms", "form", "id", "name"),
    "link": ("links", "link", "id", "url"),
    "mailing": ("mailings", "mailing", "id", "name"),
    "field": ("fields", "field", "id", "name"),
    "sales_user": ("sales_users", "sales_user", "id", "name"),
    "score": ("scores", "score", "id", "name"),
    "list": ("lists", "list", "id", "name"),
    "opportunity": ("opportunities", "opportunity", "id", "name"),
    "moment": ("moment_types", "moment", "id", "name"),
    "revenue_model": ("revenue_models", "revenue_model", "id", "name"),
    "program": ("programs", "program", "id", "name"),
    "webhook": ("webhooks", "webhook", "id", "name"),
    "nurture_program": ("tracks", "track", "program_id", "program_name"),
    "conference": ("conferences", "conference", "id", "name"),
    "product": ("products", "product", "id", "name"),
    "webinar": ("webinars", "webinar", "id", "name"),
}

# Kinds drawn from a fixed list (the kind is the salt). Repeats weight the common values.
_CHOICES: dict[str, tuple[Any, ...]] = {
    "query": ("", "", "", "utm_source=google&utm_medium=cpc&utm_campaign=brand",
              "utm_source=linkedin&utm_medium=social", "utm_source=newsletter&utm_medium=email"),
    "lead_source_type": ("Web form fillout", "Web service API", "List import", "Salesforce.com"),
    "merge_fields": ("Email Address", "Job Title,Phone Number", "Company Name,Industry"),
    "opportunity_primary": (True, False),
    "opportunity_role": ("Decision Maker", "Influencer", "Evaluator", "Economic Buyer"),
    "alert_owner": ("Lead Owner", "None", "Account Owner"),
    "moment_source": ("Marketo Flow Action", "Sales Insight"),
    "request_source": ("Sales Insight", "Web service API", "Salesforce.com"),
    "partition_reason": ("Changed by Smart Campaign action Change Lead Partition",),
    "stage_reason": ("Changed by Revenue Cycle Model transition", "Manual stage change"),
    "webhook_error": (0, 0, 0, 0, 0, 0, 1, 2),
    "nurture_cadence": ("normal", "normal", "paused"),
    "predictive_type": ("Rich Media", "Web Page"),
    "push_reason": ("Lead pushed by integration",),
    "push_source": ("Web service API", "Salesforce.com", "LinkedIn Lead Gen"),
    "sync_as": ("Lead", "Contact"),
    "share_message": ("Check this out!", "Worth a read", ""),
    "social_network": ("Facebook", "LinkedIn", "Twitter"),
    "vote_choice": ("Option A", "Option B", "Option C"),
    "disqualified_reason": ("Duplicate entry", "Ineligible region"),
    "referred_type": ("Email", "Facebook", "LinkedIn"),
    "is_speaker": (False, False, False, True),
    "currency": ("USD", "EUR", "GBP"),
    "gift_note": ("", "", "Happy birthday!", "For the team"),
    "webinar_questions": ("", "Will the slides be shared?", "Is there a recording?"),
}  # fmt: skip

# Integer kinds drawn from an inclusive range (the kind is the salt).
_RANGES: dict[str, tuple[int, int]] = {
    "campaign_run_id": (1000, 99999),
    "step_id": (1, 40),
    "choice_number": (1, 3),
    "artifact_id": (10000, 99999),
    "template_id": (1000, 1999),
    "lead_ad_form_id": (100000, 999999),
    "content_asset_id": (1000, 9999),
    "social_app_type": (1, 8),
    "session_count": (1, 12),
    "order_id": (100000, 999999),
}

_S_CAMPAIGN, _S_WEBPAGE, _S_FIELD, _S_TRACK = map(_salt, ("campaign", "webpage", "field", "track"))
_S_OLD, _S_NEW, _S_ORIGIN, _S_STEP, _S_STATUS = map(_salt, ("old", "new", "origin", "step", "st"))
_S_LEAD, _S_FIRST, _S_LAST, _S_DOMAIN = map(_salt, ("lead", "first", "last", "domain"))
_SCORE_STEPS = (5, 10, 15, 25, -5, -10)


def _pair(h: int, n: int) -> tuple[int, int]:
    """Two different indexes in range(n), n >= 2: an old value and the new one replacing it."""
    old = _draw(h, _S_OLD, n)
    return old, (old + 1 + _draw(h, _S_NEW, n - 1)) % n


def _field_change(w: World, h: int) -> tuple[Field, int, int]:
    field = _pick(w.fields, h, _S_FIELD)
    return (field, *_pair(h, len(field.values)))


def _origin(h: int) -> tuple[str, str, bool]:
    return ORIGINS[_draw(h, _S_ORIGIN, len(ORIGINS))]


def _change_reason(w: World, h: int, lead: Lead, stamp: str) -> str:
    template = _origin(h)[0]
    page = f"https://{_pick(w.webpages, h, _S_WEBPAGE).url}"
    return template.format(campaign=_pick(w.campaigns, h, _S_CAMPAIGN).name, page=page)


def _flow_campaign(w: World, h: int) -> Campaign | None:
    return _pick(w.campaigns, h, _S_CAMPAIGN) if _origin(h)[2] else None


def _score(h: int) -> tuple[int, int]:
    """(old score, change): the new score is their sum."""
    return 10 + _draw(h, _S_OLD, 150), _SCORE_STEPS[_draw(h, _S_STEP, len(_SCORE_STEPS))]


def _progression(w: World, h: int) -> tuple[ProgressionStatus, ProgressionStatus]:
    """A forward move on the status ladder: old status, then a later one."""
    n = len(w.statuses)
    old = _draw(h, _S_STATUS, n - 1)
    return w.statuses[old], w.statuses[old + 1 + _draw(h, _S_STEP, n - 1 - old)]


def _previous_track(w: World, h: int) -> Track:
    """Another track of the same nurture program (tracks come in blocks per program)."""
    size = len(TRACKS)
    i = _draw(h, _S_TRACK, len(w.tracks))
    return w.tracks[i - i % size + (i % size + 1 + _draw(h, _S_OLD, size - 1)) % size]


def _merge_ids(w: World, h: int, lead: Lead) -> str:
    other = _pick(w.leads, h, _S_OLD)
    return str(other.id if other.id != lead.id else w.leads[0].id - 1)


# Kinds that are functions of several draws: (world, event hash, lead, activityDate) -> value.
_COMPUTED: dict[str, Callable[[World, int, Lead, str], Any]] = {
    "lead_email": lambda w, h, lead, stamp: lead.email,
    "form_fields": lambda w, h, lead, stamp: lead.form_fields,
    "activity_date": lambda w, h, lead, stamp: stamp,
    "field_old": lambda w, h, lead, stamp: (c := _field_change(w, h))[0].values[c[1]],
    "field_new": lambda w, h, lead, stamp: (c := _field_change(w, h))[0].values[c[2]],
    "change_reason": _change_reason,
    "change_source": lambda w, h, lead, stamp: _origin(h)[1],
    "flow_campaign_name": lambda w, h, lead, stamp: c.name if (c := _flow_campaign(w, h)) else "",
    "flow_channel": lambda w, h, lead, stamp: c.channel if (c := _flow_campaign(w, h)) else "",
    "score_reason": lambda w, h, lead, stamp: (
        f"Changed by Smart Campaign {_pick(w.campaigns, h, _S_CAMPAIGN).name} action Change Score"
    ),
    "score_old": lambda w, h, lead, stamp: _score(h)[0],
    "score_change": lambda w, h, lead, stamp: f"{_score(h)[1]:+d}",
    "score_new": lambda w, h, lead, stamp: sum(_score(h)),
    "partition_old": lambda w, h, lead, stamp: w.partitions[_pair(h, len(w.partitions))[0]].id,
    "partition_new": lambda w, h, lead, stamp: w.partitions[_pair(h, len(w.partitions))[1]].id,
    "stage_old": lambda w, h, lead, stamp: w.revenue_stages[_pair(h, len(w.revenue_stages))[0]].id,
    "stage_new": lambda w, h, lead, stamp: w.revenue_stages[_pair(h, len(w.revenue_stages))[1]].id,
    "status_old_id": lambda w, h, lead, stamp: _progression(w, h)[0].id,
    "status_old_name": lambda w, h, lead, stamp: _progression(w, h)[0].name,
    "status_new_id": lambda w, h, lead, stamp: _progression(w, h)[1].id,
    "status_new_name": lambda w, h, lead, stamp: _progression(w, h)[1].name,
    "status_success": lambda w, h, lead, stamp: _progression(w, h)[1].success,
    "acquired_by": lambda w, h, lead, stamp: _progression(w, h)[0] is w.statuses[0],
    "track_previous_id": lambda w, h, lead, stamp: _previous_track(w, h).id,
    "track_previous_name": lambda w, h, lead, stamp: _previous_track(w, h).name,
    "merge_ids": lambda w, h, lead, stamp: _merge_ids(w, h, lead),
    "order_amount": lambda w, h, lead, stamp: round(19 + _draw(h, _S_STEP, 98000) / 100, 2),
}


def _pool_fn(pool: Sequence[Any], salt: int, field: str | None) -> ValueFn:
    n = len(pool)
    if field is None:
        return lambda h, lead, stamp: pool[((((h ^ salt) * _GOLDEN) & _M) >> 33) % n]
    i = type(pool[0])._fields.index(field)
    return lambda h, lead, stamp: pool[((((h ^ salt) * _GOLDEN) & _M) >> 33) % n][i]


def _range_fn(low: int, high: int, salt: int) -> ValueFn:
    return lambda h, lead, stamp: low + _draw(h, salt, high - low + 1)


def _value_fn(kind: str, world: World) -> ValueFn:
    """The generator for one attribute value kind of the catalog."""
    if kind in _POOL_KINDS:
        pool, salt, field = _POOL_KINDS[kind]
        return _pool_fn(getattr(world, pool), _salt(salt), field)
    if kind in _CHOICES:
        return _pool_fn(_CHOICES[kind], _salt(kind), None)
    if kind in _RANGES:
        return _range_fn(*_RANGES[kind], _salt(kind))
    if kind in _COMPUTED:
        return partial(_COMPUTED[kind], world)
    raise KeyError(f"no generator for attribute value kind {kind!r}")


def _primary_fn(kind: str, world: World) -> ValueFn:
    """The generator of (primaryAttributeValueId, primaryAttributeValue) for a primary kind."""
    if kind == "lead":
        return lambda h, lead, stamp: (lead.id, lead.name)
    pool_name, salt_name, id_field, value_field = _PRIMARY_KINDS[kind]
    pool, salt = getattr(world, pool_name), _salt(salt_name)
    i, j = (type(pool[0])._fields.index(f) for f in (id_field, value_field))
    n = len(pool)
    return lambda h, lead, stamp: (
        (item := pool[((((h ^ salt) * _GOLDEN) & _M) >> 33) % n])[i],
        item[j],
    )


# ---- the stream -------------------------------------------------------------------------------

LeadFn = Callable[[int, int], Lead]  # (seq, event hash) -> the lead the activity is about
CampaignFn = Callable[[int], Campaign | None]


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
        identity = _stream_identity(world, seed, stream)
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
        if not 0 <= seq < _SEQ_LIMIT:
            raise ValueError(f"seq must be in range(0, {_SEQ_LIMIT}), got {seq}")
        h = _mix((self._key + seq * _GOLDEN) & _M)  # self._hash(seq) minus a call: hot path
        plan = self._plans[bisect_right(self._cumulative, (h >> 11) * self._unit)]
        if plan.lead is None:
            leads = self._leads
            lead = leads[((((h ^ _S_LEAD) * _GOLDEN) & _M) >> 33) % len(leads)]
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

    def activities(self, items: Iterable[tuple[int, float]]) -> list[dict[str, Any]]:
        """`activity(seq, at)` for each (seq, at), in the order given."""
        activity = self.activity
        return [activity(seq, at) for seq, at in items]

    def _hash(self, seq: int) -> int:
        return _mix((self._key + seq * _GOLDEN) & _M)

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
        campaign: CampaignFn | None = None
        if type_id in _CAMPAIGN_CAUSED:
            campaign = partial(_pick, world.campaigns, salt=_S_CAMPAIGN)
        elif type_id in _FLOW_CAUSED:
            campaign = partial(_flow_campaign, world)
        return _Plan(
            type_id=type_id,
            name=activity_type.name,
            io_type=activity_type.io_type,
            lead={12: self._new_lead, 37: self._deleted_lead}.get(type_id),
            primary=_primary_fn(activity_type.primary, world) if activity_type.primary else None,
            campaign=campaign,
            attributes=tuple(
                (a.name, a.data_type, _value_fn(a.value, world)) for a in activity_type.attributes
            ),
        )

    def _new_lead(self, seq: int, h: int | None = None) -> Lead:
        """The lead a New Lead at `seq` creates: its id is new and its name comes from `seq`."""
        h = self._hash(seq) if h is None else h
        w = self._world
        first, last = _pick(w.first_names, h, _S_FIRST), _pick(w.last_names, h, _S_LAST)
        email = f"{first}.{last}@{_pick(w.email_domains, h, _S_DOMAIN)}".lower()
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
        return _pick(self._leads, h, _S_LEAD)


def sample_activities(
    type_ref: str | int | None, *, count: int, seed: int = 0, at: float | None = None
) -> list[dict[str, Any]]:
    """`count` activities of one type (every type mixed when None), one second apart.

    Deterministic from `seed`; `at` defaults to the §1b example's activityDate so the output is
    the same on every run.
    """
    types = select_activity_types("all") if type_ref is None else (find_activity_type(type_ref),)
    stream = ActivityStream(World.build(seed), types, seed=seed, stream="sample")
    start = _SAMPLE_AT if at is None else at
    return stream.activities((seq, start + seq) for seq in range(count))
