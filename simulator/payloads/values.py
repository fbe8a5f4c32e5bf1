"""Value generators: for each value an event carries, how it is drawn from the world.

The catalog names a value kind for every Lead Activity attribute and primary attribute
(`AttributeSpec.value`, `ActivityType.primary`); the User Audit and Notification kinds name the
asset a componentId points at and the keys of an eventAction. Here each becomes a function of the
event hash (and, for activities, the lead and the activityDate), resolved once per stream: a pool
of the `World` read by index, a fixed list, an integer range, or a computation over several
draws. Kinds that read one record share a salt, so a Webpage ID and its URL always belong
together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from simulator.payloads.catalog import NotificationKind
from simulator.payloads.draws import GOLDEN, MASK, draw, pick, salt_of
from simulator.payloads.pools import (
    ORIGINS,
    TRACKS,
    Campaign,
    Field,
    Lead,
    MarketoUser,
    ProgressionStatus,
    Track,
)
from simulator.payloads.world import World

ValueFn = Callable[[int, Lead, str], Any]  # (event hash, lead, activityDate) -> value


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

_S_CAMPAIGN, _S_WEBPAGE = salt_of("campaign"), salt_of("webpage")
_S_FIELD, _S_TRACK = salt_of("field"), salt_of("track")
_S_OLD, _S_NEW, _S_ORIGIN, _S_STEP, _S_STATUS = map(salt_of, ("old", "new", "origin", "step", "st"))
_SCORE_STEPS = (5, 10, 15, 25, -5, -10)


def _pair(h: int, n: int) -> tuple[int, int]:
    """Two different indexes in range(n), n >= 2: an old value and the new one replacing it."""
    old = draw(h, _S_OLD, n)
    return old, (old + 1 + draw(h, _S_NEW, n - 1)) % n


def _field_change(w: World, h: int) -> tuple[Field, int, int]:
    field = pick(w.fields, h, _S_FIELD)
    return (field, *_pair(h, len(field.values)))


def _origin(h: int) -> tuple[str, str, bool]:
    return ORIGINS[draw(h, _S_ORIGIN, len(ORIGINS))]


def _change_reason(w: World, h: int, lead: Lead, stamp: str) -> str:
    template = _origin(h)[0]
    page = f"https://{pick(w.webpages, h, _S_WEBPAGE).url}"
    return template.format(campaign=pick(w.campaigns, h, _S_CAMPAIGN).name, page=page)


def _flow_campaign(w: World, h: int) -> Campaign | None:
    return pick(w.campaigns, h, _S_CAMPAIGN) if _origin(h)[2] else None


def _score(h: int) -> tuple[int, int]:
    """(old score, change): the new score is their sum."""
    return 10 + draw(h, _S_OLD, 150), _SCORE_STEPS[draw(h, _S_STEP, len(_SCORE_STEPS))]


def _progression(w: World, h: int) -> tuple[ProgressionStatus, ProgressionStatus]:
    """A forward move on the status ladder: old status, then a later one."""
    n = len(w.statuses)
    old = draw(h, _S_STATUS, n - 1)
    return w.statuses[old], w.statuses[old + 1 + draw(h, _S_STEP, n - 1 - old)]


def _previous_track(w: World, h: int) -> Track:
    """Another track of the same nurture program (tracks come in blocks per program)."""
    size = len(TRACKS)
    i = draw(h, _S_TRACK, len(w.tracks))
    return w.tracks[i - i % size + (i % size + 1 + draw(h, _S_OLD, size - 1)) % size]


def _merge_ids(w: World, h: int, lead: Lead) -> str:
    other = pick(w.leads, h, _S_OLD)
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
        f"Changed by Smart Campaign {pick(w.campaigns, h, _S_CAMPAIGN).name} action Change Score"
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
    "order_amount": lambda w, h, lead, stamp: round(19 + draw(h, _S_STEP, 98000) / 100, 2),
}


def _pool_fn(pool: Sequence[Any], salt: int, field: str | None) -> ValueFn:
    n = len(pool)
    if field is None:
        return lambda h, lead, stamp: pool[((((h ^ salt) * GOLDEN) & MASK) >> 33) % n]
    i = type(pool[0])._fields.index(field)
    return lambda h, lead, stamp: pool[((((h ^ salt) * GOLDEN) & MASK) >> 33) % n][i]


def _range_fn(low: int, high: int, salt: int) -> ValueFn:
    return lambda h, lead, stamp: low + draw(h, salt, high - low + 1)


def value_fn(kind: str, world: World) -> ValueFn:
    """The generator for one attribute value kind of the catalog."""
    if kind in _POOL_KINDS:
        pool, salt, field = _POOL_KINDS[kind]
        return _pool_fn(getattr(world, pool), salt_of(salt), field)
    if kind in _CHOICES:
        return _pool_fn(_CHOICES[kind], salt_of(kind), None)
    if kind in _RANGES:
        return _range_fn(*_RANGES[kind], salt_of(kind))
    if kind in _COMPUTED:
        return partial(_COMPUTED[kind], world)
    raise KeyError(f"no generator for attribute value kind {kind!r}")


def primary_fn(kind: str, world: World) -> ValueFn:
    """The generator of (primaryAttributeValueId, primaryAttributeValue) for a primary kind."""
    if kind == "lead":
        return lambda h, lead, stamp: (lead.id, lead.name)
    pool_name, salt_name, id_field, value_field = _PRIMARY_KINDS[kind]
    pool, salt = getattr(world, pool_name), salt_of(salt_name)
    i, j = (type(pool[0])._fields.index(f) for f in (id_field, value_field))
    n = len(pool)
    return lambda h, lead, stamp: (
        (item := pool[((((h ^ salt) * GOLDEN) & MASK) >> 33) % n])[i],
        item[j],
    )


CampaignFn = Callable[[int], Campaign | None]  # event hash -> the campaign an activity names

# Types a smart-campaign flow step causes, so the activity names the campaign (§1b draft example).
# Change Data Value names one only when its origin is a flow action.
_CAMPAIGN_CAUSED = frozenset({6, 7, 8, 22, 24, 25, 27, 38, 47, 100, 101, 104, 110, 113, 114, 115})
_FLOW_CAUSED = frozenset({13})


def campaign_fn(type_id: int, world: World) -> CampaignFn | None:
    """The campaign an activity of `type_id` names, from its event hash; None when it names none.

    A campaign-caused type always names one, the campaign its Reason attributes name too; Change
    Data Value only when its origin is a flow action.
    """
    if type_id in _CAMPAIGN_CAUSED:
        return partial(pick, world.campaigns, salt=_S_CAMPAIGN)
    if type_id in _FLOW_CAUSED:
        return partial(_flow_campaign, world)
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
