"""Value generators: for each value an event carries, how it is drawn from the world.

The catalog names a value kind for every Lead Activity attribute and primary attribute
(`AttributeSpec.value`, `ActivityType.primary`); the User Audit and Notification kinds name the
asset a componentId points at and the keys of an eventAction.

A Lead Activity value is a `Value`: a projection of one record of a `Group`, of the activity's
lead (`LEAD`), or its activityDate (`DATE`). A group is what one draw picks from: a World pool,
a fixed list, an integer range, or records that tie several values together (a field with its
old and new value, a score with its change). Each activity makes one draw per group it reads, so
values of one group always belong together: a Webpage ID and its URL, a Reason and its Source,
a Change Data Value and the campaign it names. This is the only description of the values;
`templates` turns it into pre-encoded text, and the activity dicts are parsed from that text.

User Audit and Notification values are functions of the event hash, resolved once per stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import permutations, product
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from simulator.payloads.catalog import NotificationKind, find_activity_type
from simulator.payloads.draws import draw, pick, salt_of
from simulator.payloads.pools import (
    ORIGINS,
    TRACKS,
    Campaign,
    MarketoUser,
    Webpage,
)
from simulator.payloads.world import NEW_LEAD_BASE, World

LEAD = "lead"  # Value.source: the activity's lead (a pool lead, or the lead a New Lead creates)
DATE = "date"  # Value.source: the activityDate text


def same(record: Any) -> Any:
    """The record itself: the projection of a group whose records are the values."""
    return record


@dataclass(frozen=True, slots=True, eq=False)
class Group:
    """What one draw picks from: an index into `records`, uniform, or by `weights` when given.

    Every Value of one group in one activity reads the same record.
    """

    name: str
    records: Sequence[Any]
    weights: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Value:
    """How one value of an activity is drawn: `project` of one record of `source`."""

    source: Group | str  # a Group, LEAD or DATE
    project: Callable[[Any], Any] = same


# Groups over a World pool: group -> pool. A Webpage ID and its URL read one record of "webpage".
_POOLS: dict[str, str] = {
    "ip": "ips",
    "referrer": "referrers",
    "agent": "agents",
    "webpage": "webpages",
    "form": "forms",
    "link": "links",
    "hard_bounce": "hard_bounces",
    "soft_bounce": "soft_bounces",
    "score": "scores",
    "campaign": "campaigns",
    "sales_user": "sales_users",
    "alert": "sales_users",
    "moment": "moment_types",
    "revenue_model": "revenue_models",
    "segment": "segments",
    "friend": "leads",
    "sharer": "leads",
    "conference": "conferences",
    "webinar": "webinars",
    "opportunity": "opportunities",
    "webhook": "webhooks",
    "product": "products",
}

# Attribute kinds that read one field of a group's record (None: the record is the value).
_FIELDS: dict[str, tuple[str, str | None]] = {
    "ip": ("ip", None),
    "referrer": ("referrer", None),
    "user_agent": ("agent", "text"),
    "platform": ("agent", "platform"),
    "device": ("agent", "device"),
    "is_mobile": ("agent", "mobile"),
    "webpage_id": ("webpage", "id"),
    "webpage_path": ("webpage", "path"),
    "form_id": ("form", "id"),
    "link_id": ("link", "id"),
    "link_url": ("link", "url"),
    "mailing_id": ("mailing", "id"),
    "hard_bounce_code": ("hard_bounce", "code"),
    "hard_bounce_category": ("hard_bounce", "category"),
    "hard_bounce_details": ("hard_bounce", "details"),
    "soft_bounce_code": ("soft_bounce", "code"),
    "soft_bounce_category": ("soft_bounce", "category"),
    "soft_bounce_details": ("soft_bounce", "details"),
    "score_name": ("score", "name"),
    "list_id": ("list", "id"),
    "campaign_id": ("campaign", "id"),
    "sales_user_email": ("sales_user", "email"),
    "sales_user_name": ("sales_user", "name"),
    "alert_list": ("alert", "email"),
    "moment_type": ("moment", "name"),
    "model_id": ("revenue_model", "id"),
    "program_id": ("program", "id"),
    "segment_id": ("segment", "id"),
    "segmentation_id": ("segment", "segmentation_id"),
    "friend_lead_id": ("friend", "id"),
    "sharer_id": ("sharer", "id"),
    "conference_name": ("conference", "name"),
    "webinar_title": ("webinar", "name"),
}

# Primary attributes: kind -> (group, id field, value field), read from one record.
_PRIMARY: dict[str, tuple[str, str, str]] = {
    "webpage": ("webpage", "id", "url"),
    "form": ("form", "id", "name"),
    "link": ("link", "id", "url"),
    "mailing": ("mailing", "id", "name"),
    "sales_user": ("sales_user", "id", "name"),
    "score": ("score", "id", "name"),
    "list": ("list", "id", "name"),
    "opportunity": ("opportunity", "id", "name"),
    "moment": ("moment", "id", "name"),
    "revenue_model": ("revenue_model", "id", "name"),
    "program": ("program", "id", "name"),
    "webhook": ("webhook", "id", "name"),
    "conference": ("conference", "id", "name"),
    "product": ("product", "id", "name"),
    "webinar": ("webinar", "id", "name"),
}

# Kinds drawn from a fixed list (the kind is the group). Repeats weight the common values.
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

# Integer kinds drawn from an inclusive range (the kind is the group).
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

_SCORE_STEPS = (5, 10, 15, 25, -5, -10)
# Merge Leads names the leads merged into this one; they are gone, so their ids are neither pool
# ids (below 1001 + 20 * 400 000) nor New Lead ids (NEW_LEAD_BASE and up).
_MERGED_IDS = range(NEW_LEAD_BASE - 1_000_000, NEW_LEAD_BASE)


# ---- groups that tie several values together --------------------------------------------------


class Used(NamedTuple):
    """An asset (email, static list, program) with a campaign that uses it: the records of the
    "mailing", "list" and "program" groups. `id` and `name` are the asset's, so every value that
    reads the asset reads them as before; `campaign` is what the activity names (issue 12)."""

    id: int
    name: str
    campaign: Campaign


def _used(name: str, assets: Sequence[Any], w: World) -> Group:
    """Each asset with the campaigns that may use it, the asset uniformly, then its campaign:
    the one that sends it (an email), else any campaign of its program, else any campaign
    (a shared list)."""
    by_id = {c.id: c for c in w.campaigns}
    by_program: dict[int, list[Campaign]] = {}
    for c in w.campaigns:
        by_program.setdefault(c.program_id, []).append(c)
    records: list[Used] = []
    weights: list[float] = []
    for asset in assets:
        sender = getattr(asset, "campaign_id", 0)
        program = getattr(asset, "program_id", asset.id)  # a Program is its own program
        options = [by_id[sender]] if sender else by_program.get(program) or list(w.campaigns)
        records += [Used(asset.id, asset.name, c) for c in options]
        weights += [1 / len(options)] * len(options)
    uniform = len(set(weights)) == 1  # uniform records: a cheaper draw, and may be compounded
    return Group(name, records, None if uniform else tuple(weights))


def _field_changes(w: World) -> Group:
    """(field, old value, new value): a field drawn uniformly, then two different values of it."""
    records = [(f, old, new) for f in w.fields for old, new in permutations(f.values, 2)]
    pairs = {f.id: len(f.values) * (len(f.values) - 1) for f in w.fields}
    return Group("field", records, tuple(1 / pairs[f.id] for f, _, _ in records))


def _origins(w: World) -> Group:
    """(Reason template, Source, campaign or None, webpage or None): where a Change Data Value
    came from (§2), each origin equally likely, then its page or campaign uniformly."""
    records: list[tuple[str, str, Campaign | None, Webpage | None]] = []
    weights: list[float] = []
    for template, source, flow in ORIGINS:
        if flow:
            options: list[tuple[Campaign | None, Webpage | None]] = [(c, None) for c in w.campaigns]
        elif "{page}" in template:
            options = [(None, page) for page in w.webpages]
        else:
            options = [(None, None)]
        records += [(template, source, campaign, page) for campaign, page in options]
        weights += [1 / len(options)] * len(options)
    return Group("origin", records, tuple(weights))


def _reason(origin: tuple[str, str, Campaign | None, Webpage | None]) -> str:
    template, _, campaign, page = origin
    return template.format(
        campaign=campaign.name if campaign else "", page=f"https://{page.url}" if page else ""
    )


def _tracks(w: World) -> Group:
    """(track, another track of the same nurture program): tracks come in blocks per program,
    so Change Nurture Track moves within one program."""
    size = len(TRACKS)
    records = [
        (track, w.tracks[i - i % size + (i % size + step) % size])
        for i, track in enumerate(w.tracks)
        for step in range(1, size)
    ]
    return Group("track", records)


def _progressions(w: World) -> Group:
    """(old status, new status): a forward move on the status ladder."""
    statuses = w.statuses
    return Group("progression", [(a, b) for i, a in enumerate(statuses) for b in statuses[i + 1 :]])


_GROUPS: dict[str, Callable[[World], Group]] = {
    "mailing": lambda w: _used("mailing", w.mailings, w),
    "list": lambda w: _used("list", w.lists, w),
    "program": lambda w: _used("program", w.programs, w),
    "field": _field_changes,
    "origin": _origins,
    "track": _tracks,
    "progression": _progressions,
    "score_change": lambda w: Group(
        "score_change", [(old, step) for old in range(10, 160) for step in _SCORE_STEPS]
    ),
    "partition": lambda w: Group("partition", list(permutations(w.partitions, 2))),
    "stage": lambda w: Group("stage", list(permutations(w.revenue_stages, 2))),
    "merged": lambda w: Group("merged", _MERGED_IDS),
    "order_amount": lambda w: Group("order_amount", range(98000)),
}

# Kinds read from a group of _GROUPS: kind -> (group, projection of its record).
_TIED: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "field_name": ("field", lambda r: r[0].name),
    "field_old": ("field", itemgetter(1)),
    "field_new": ("field", itemgetter(2)),
    "change_reason": ("origin", _reason),
    "change_source": ("origin", itemgetter(1)),
    "flow_campaign_name": ("origin", lambda r: r[2].name if r[2] else ""),
    "flow_channel": ("origin", lambda r: r[2].channel if r[2] else ""),
    "score_old": ("score_change", itemgetter(0)),
    "score_change": ("score_change", lambda r: f"{r[1]:+d}"),
    "score_new": ("score_change", sum),
    "score_reason": (
        "campaign",
        lambda c: f"Changed by Smart Campaign {c.name} action Change Score",
    ),
    "partition_old": ("partition", lambda r: r[0].id),
    "partition_new": ("partition", lambda r: r[1].id),
    "stage_old": ("stage", lambda r: r[0].id),
    "stage_new": ("stage", lambda r: r[1].id),
    "status_old_id": ("progression", lambda r: r[0].id),
    "status_old_name": ("progression", lambda r: r[0].name),
    "status_new_id": ("progression", lambda r: r[1].id),
    "status_new_name": ("progression", lambda r: r[1].name),
    "status_success": ("progression", lambda r: r[1].success),
    "acquired_by": ("progression", lambda r: r[0].id == STATUS_FIRST_ID),
    "nurture_program_id": ("track", lambda r: r[0].program_id),
    "track_id": ("track", lambda r: r[0].id),
    "track_name": ("track", lambda r: r[0].name),
    "track_previous_id": ("track", lambda r: r[1].id),
    "track_previous_name": ("track", lambda r: r[1].name),
    "merge_ids": ("merged", str),
    "list_campaign_name": ("list", lambda r: r.campaign.name),
    "list_campaign_channel": ("list", lambda r: r.campaign.channel),
    "order_amount": ("order_amount", lambda i: f"{19 + i / 100:.2f}"),
}
STATUS_FIRST_ID = 20  # "Not in Program", the first step of the ladder (pools.STATUSES)

# Kinds read from the lead or the date.
_OWN: dict[str, Value] = {
    "lead_email": Value(LEAD, attrgetter("email")),
    "form_fields": Value(LEAD, attrgetter("form_fields")),
    "activity_date": Value(DATE),
}


class Groups:
    """The draw groups of one world, each built on first use and then shared: every stream of
    the world reads the same records."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._built: dict[str, Group] = {}

    def __getitem__(self, name: str) -> Group:
        group = self._built.get(name)
        if group is None:
            group = self._built[name] = self._build(name)
        return group

    def product(self, names: tuple[str, ...]) -> Group:
        """The groups `names` drawn as one: a uniform record of their product is a uniform,
        independent record of each."""
        name = "*".join(names)
        group = self._built.get(name)
        if group is None:
            records = list(product(*(self[member].records for member in names)))
            group = self._built[name] = Group(name, records)
        return group

    def _build(self, name: str) -> Group:
        if name in _POOLS:
            return Group(name, getattr(self._world, _POOLS[name]))
        if name in _CHOICES:
            return Group(name, _CHOICES[name])
        if name in _RANGES:
            low, high = _RANGES[name]
            return Group(name, range(low, high + 1))
        return _GROUPS[name](self._world)


def value(kind: str, groups: Groups) -> Value:
    """How the attribute value kind `kind` of the catalog is drawn."""
    if kind in _FIELDS:
        name, field = _FIELDS[kind]
        return Value(groups[name], same if field is None else attrgetter(field))
    if kind in _CHOICES or kind in _RANGES:
        return Value(groups[kind])
    if kind in _TIED:
        name, project = _TIED[kind]
        return Value(groups[name], project)
    if kind in _OWN:
        return _OWN[kind]
    raise KeyError(f"no generator for attribute value kind {kind!r}")


def primary(kind: str, groups: Groups) -> Value:
    """How (primaryAttributeValueId, primaryAttributeValue) of a primary kind is drawn."""
    if kind == "lead":
        return Value(LEAD, attrgetter("id", "name"))
    if kind == "field":  # the field a Change Data Value changes
        return Value(groups["field"], lambda r: (r[0].id, r[0].name))
    if kind == "nurture_program":
        return Value(groups["track"], lambda r: (r[0].program_id, r[0].program_name))
    name, id_field, value_field = _PRIMARY[kind]
    return Value(groups[name], attrgetter(id_field, value_field))


# Types a smart-campaign flow step causes, so the activity names the campaign (§1b draft example).
# Change Data Value names one only when its origin is a flow action.
_CAMPAIGN_CAUSED = frozenset({6, 7, 8, 22, 24, 25, 27, 38, 47, 100, 101, 104, 110, 113, 114, 115})
_FLOW_CAUSED = frozenset({13})
# The value kinds that read an asset a campaign uses, by the group of `Used` records they read.
_USED_BY: dict[str, frozenset[str]] = {
    "mailing": frozenset({"mailing", "mailing_id"}),
    "list": frozenset({"list", "list_id"}),
    "program": frozenset({"program", "program_id"}),
}


def campaign(type_id: int, groups: Groups) -> Value | None:
    """The campaign (or None) an activity of `type_id` names; None when the type names none.

    A campaign-caused type always names one, the campaign its Reason attributes name too; when
    the activity is about an email, a list or a program, it is a campaign that uses that asset
    (the email's sender, a campaign of the list's or of the program itself). Change Data Value
    names one only when its origin is a flow action.
    """
    if type_id in _CAMPAIGN_CAUSED:
        t = find_activity_type(type_id)
        kinds = {a.value for a in t.attributes} | {t.primary}
        for name, reads in _USED_BY.items():
            if kinds & reads:
                return Value(groups[name], attrgetter("campaign"))
        return Value(groups["campaign"])
    if type_id in _FLOW_CAUSED:
        return Value(groups["origin"], itemgetter(2))
    return None


# ---- User Audit componentIds and Notification eventActions (§3) -------------------------------

ComponentIdFn = Callable[[int, MarketoUser], int]  # (event hash, acting user) -> componentId

# What componentId points at, per AuditComponent.asset: a World pool and its id field, ...
_COMPONENT_POOLS: dict[str, tuple[str, str]] = {
    "program": ("programs", "id"),
    "nurture_program": ("tracks", "program_id"),
    "mailing": ("mailings", "id"),
    "form": ("forms", "id"),
    "landing_page": ("landing_pages", "id"),
    "list": ("lists", "id"),
    "segment": ("segments", "id"),
    "segmentation": ("segments", "segmentation_id"),
    "campaign": ("campaigns", "id"),
    "role": ("roles", "id"),
    "user": ("users", "id"),
}
# ... or, for assets the World does not model, an id range (inclusive).
_COMPONENT_RANGES: dict[str, tuple[int, int]] = {
    "email_template": (1000, 1999),
    "landing_page_template": (1000, 1999),
    "folder": (100, 999),
    "smart_list": (1000, 9999),
    "snippet": (1000, 1999),
    "integration": (1, 99),  # LaunchPoint services: a handful per instance
}


def component_id_fn(asset: str, world: World) -> ComponentIdFn:
    """The generator of the componentId of an audit event about an `asset` of this kind."""
    salt = salt_of(f"component:{asset}")
    if asset == "actor":  # Login: the user who logs in
        return lambda h, user: user.id
    if asset in _COMPONENT_RANGES:
        low, high = _COMPONENT_RANGES[asset]
        return lambda h, user: low + draw(h, salt, high - low + 1)
    pool_name, field = _COMPONENT_POOLS[asset]
    if pool_name == "landing_pages":
        pool: Sequence[Any] = [w for w in world.webpages if w.path.startswith("/lp/")]
    else:
        pool = getattr(world, pool_name)
    ids = [getattr(item, field) for item in pool]
    return lambda h, user: ids[draw(h, salt, len(ids))]


ActionFn = Callable[[int], Any]  # event hash -> one eventAction value

# eventAction values drawn from a World pool: key -> (pool, field); nurture names a nurture
# program. Values of the inferred kinds (§3b) are ours, like the quota numbers and service names.
_ACTION_POOLS: dict[str, tuple[str, str]] = {
    "campaignId": ("campaigns", "id"),
    "userId": ("users", "email"),
    "programId": ("programs", "id"),
    "nurture.programId": ("tracks", "program_id"),
    "mailingId": ("mailings", "id"),
    "leadId": ("leads", "id"),
}
_ACTION_CHOICES: dict[str, tuple[Any, ...]] = {
    "dailyQuota": (50_000, 100_000, 1_000_000),
    "percent": (25, 50, 75, 90, 100),
    "errorMessage": (
        "REQUIRED_FIELD_MISSING: Required fields are missing: [Company]",
        "INVALID_EMAIL_ADDRESS: Email: invalid email address",
        "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION: Lead Source is required",
    ),
}
_SERVICES = ("syncLead", "getLeadsByFilterType", "getLeadActivities", "createUpdatePrograms",
             "getLeadChanges", "bulkLeadExtract")  # fmt: skip


def action_fn(kind: NotificationKind, key: str, world: World) -> ActionFn:
    """The generator of the value under `key` in the eventAction of a notification of `kind`."""
    salt = salt_of(f"action:{key}")
    if key == "serviceNames":  # one to three REST services, as an array
        n = len(_SERVICES)
        return lambda h: [_SERVICES[(draw(h, salt, n) + i) % n] for i in range(1 + h % 3)]
    if key in _ACTION_CHOICES:
        return partial(pick, _ACTION_CHOICES[key], salt=salt)
    pool_name, field = _ACTION_POOLS.get(f"{kind.component_type}.{key}") or _ACTION_POOLS[key]
    values = [getattr(item, field) for item in getattr(world, pool_name)]
    return lambda h: values[draw(h, salt, len(values))]
