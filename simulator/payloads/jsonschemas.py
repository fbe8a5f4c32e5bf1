"""The JSON Schemas (draft 2020-12) of every payload we send, generated from the catalog.

One self-contained file per payload (`SCHEMA_FILES`): the legacy batch wrapper and one legacy
activity (§1b), the Adobe I/O Lead Activity event (§1c), User Audit V2.0 and V1.0 (§3a), and
Notification in its current and its Experience League shape (§3b). An I/O file's root is one
event's envelope as a single delivery carries it; its `$defs/batch` is a batch delivery's body (an
array of the same envelopes, §4.4). Every file is whole, with its own `$defs`, so a consumer can
hand one file to a validator or to a model generator without a resolver for references between
files; the repetition is generated, never written twice.

The catalog's rows become `$defs`: one per activity type (its id and name, its attributes with
their `dataType` and the JSON of the value), per User Audit component (its `type`, `source` and
eventActions) and per Notification kind (its `type`, componentType, subType and eventAction keys).
A `oneOf` picks exactly one: each known branch pins its discriminator with `const`
(`activityTypeId` for an activity, the CloudEvent `type` for the nested streams), and a last
branch takes every id or type the catalog does not know.

Consumers must tolerate what they have never seen (`unknowns`): Marketo adds types, fields and
attributes over time, and our anomalies send them on purpose. So no object is closed
(`additionalProperties` is never false), an unknown activity type, component or kind has its open
branch, an attribute a type does not list is accepted as any `{name, dataType, value}`, and an
eventAction or subType the catalog does not list is still a string (the known ones are an open
enum: `anyOf` of the `enum` and a plain string). What is pinned is what a consumer may rely on:
the keys that are always there, their JSON types, and for a known type its name and the dataType
of each attribute it lists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from simulator.payloads.catalog import (
    ACTIVITY_TYPES,
    AUDIT_COMPONENTS,
    AUDIT_TYPE_PREFIX,
    IO_TYPE_PREFIX,
    NOTIFICATION_ACTION_TYPES,
    NOTIFICATION_KINDS,
    NOTIFICATION_TYPE_PREFIX,
    ActivityType,
    AuditComponent,
    NotificationKind,
)
from simulator.payloads.formats import CONTENT_TYPE
from simulator.payloads.iostreams import LADS_SOURCE, NOTIFICATION_SOURCE

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
PAGE_SOURCE = "https://www.marketo.com"  # `source` of the Experience League shapes (§3a, §3b)

# The JSON of an attribute's `value` for each wire `dataType` (catalog_tables: asset ids are
# "object" and sent as numbers, like the §1b example's Link ID).
VALUE_OF_DATA_TYPE: dict[str, Schema] = {
    "boolean": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "integer": {"type": "integer"},
    "object": {"type": "integer", "description": "the id of a Marketo asset"},
    "string": {"type": "string"},
    "text": {"type": "string"},
}

# Every `time` style a run may choose for the nested streams (formats.TIME_STYLES and the
# Experience League page's two): RFC 3339 with or without milliseconds, "2024-07-11
# 13:20:42.755" (no "T", no zone: UTC), and the page's unpadded offset "-5:00".
_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{1,2}:\d{2})?$"
_DATE_TIME: Schema = {"type": "string", "format": "date-time"}
_STRING: Schema = {"type": "string"}
_INTEGER: Schema = {"type": "integer"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _camel(text: str) -> str:
    """A name as CamelCase letters and digits: the key of its `$defs` entry."""
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", text))


def _object(properties: dict[str, Schema], required: Sequence[str], **more: Any) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required), **more}


def _open_enum(known: Sequence[str], what: str) -> Schema:
    """A string whose known values are listed, that takes others too (see the docstring)."""
    return {
        "anyOf": [{"enum": list(dict.fromkeys(known))}, {"type": "string"}],
        "description": f"{what}: the values the catalog knows, or one it does not",
    }


def _document(title: str, description: str, root: Schema, defs: dict[str, Schema]) -> Schema:
    return {"$schema": DIALECT, "title": title, "description": description, **root, "$defs": defs}


# ---- Lead Activity: the activity, by type ------------------------------------------------------

_ATTRIBUTE: Schema = _object(
    {
        "name": {"type": "string", "description": "the attribute's name"},
        "dataType": {"type": "string", "description": "string, text, integer, boolean, ..."},
        "value": {"description": "its value, whose JSON follows the dataType"},
    },
    ["name", "dataType", "value"],
    title="Attribute",
)


def _activity_fields(lead_id: Schema, legacy: bool) -> Schema:
    """The keys every activity has, whatever its type; `legacy` adds marketoGUID (on I/O it is
    the CloudEvent `id`), the I/O form adds munchkinId (at the top of a legacy batch)."""
    properties: dict[str, Schema] = {
        "leadId": lead_id,
        "activityDate": _DATE_TIME,
        "activityTypeId": {"type": "integer", "description": "the discriminator"},
        "activityType": _STRING,
        "activityLogItemId": _INTEGER,
        "primaryAttributeValueId": _INTEGER,
        "primaryAttributeValue": _STRING,
        "campaignId": {"type": "integer", "description": "the campaign that caused it, if any"},
        "campaignName": _STRING,
        "attributes": {"type": "array", "items": _ref("Attribute")},
    }
    keys = ["leadId", "activityDate", "activityTypeId", "activityType", "activityLogItemId"]
    if legacy:
        properties = {"marketoGUID": _STRING, **properties}
        keys = ["marketoGUID", *keys]
    else:
        properties = {"munchkinId": _STRING, **properties}
        keys = ["munchkinId", *keys]
    return _object(properties, [*keys, "attributes"])


def _known_attribute(name: str, data_type: str) -> Schema:
    return _object(
        {
            "name": {"const": name},
            "dataType": {"const": data_type},
            "value": VALUE_OF_DATA_TYPE[data_type],
        },
        ["name", "dataType", "value"],
    )


def _attributes_of(activity_type: ActivityType) -> Schema:
    """The attributes array of one type: each one it lists with its dataType, any other open."""
    names = [attribute.name for attribute in activity_type.attributes]
    other: Schema = _ref("Attribute")
    if names:
        other = {**other, "properties": {"name": {"not": {"enum": names}}}}
    choices = [_known_attribute(a.name, a.data_type) for a in activity_type.attributes]
    return {
        "type": "array",
        "description": "the attributes the catalog lists for this type (each may be missing), "
        "and any other",
        "items": {"anyOf": [*choices, other]},
    }


def _activity_type(activity_type: ActivityType) -> Schema:
    """What one activity type adds to the fields every type has: its id and name, its
    attributes."""
    t = activity_type
    required = ["activityTypeId"]
    if t.primary is not None:
        required += ["primaryAttributeValueId", "primaryAttributeValue"]
    kind = "custom activity type (a sample)" if t.custom else "activity type"
    return {
        "title": f"{t.name} ({t.id})",
        "description": f"The {kind} {t.id} {t.name!r}; on Adobe I/O its type is {t.io_type}.",
        **_object(
            {
                "activityTypeId": {"const": t.id},
                "activityType": {"const": t.name},
                "attributes": _attributes_of(t),
            },
            required,
        ),
    }


def _when(discriminator: dict[str, Schema], name: str) -> Schema:
    """A branch of a `oneOf`: the definition `name` for an instance whose `discriminator`
    matches, and invalid for any other. Written as if/then/else so that a validator checks the
    one cheap discriminator of every branch, and the whole definition of one only: a `oneOf` of
    plain `$ref`s makes jsonschema walk every definition in full (20 ms an activity, measured,
    against 2 ms)."""
    return {"if": _object(discriminator, list(discriminator)), "then": _ref(name), "else": False}


def _choice(
    branches: list[tuple[dict[str, Schema], str]], defs: dict[str, Schema], union: str
) -> Schema:
    """The `oneOf` of `_when` branches (discriminator, definition name), which validators use.

    Model generators see no types through if/then, so `$defs[union]` lists the same definitions
    as a plain `anyOf`, for them alone: nothing refers to it, and a validator never walks it.
    """
    defs[union] = {
        "title": union,
        "description": "For model generators (datamodel-codegen and the like): the union of the "
        "definitions the root's oneOf chooses from by its discriminator.",
        "anyOf": [_ref(name) for _, name in branches],
    }
    return {"oneOf": [_when(discriminator, name) for discriminator, name in branches]}


def _activity_defs(base: str, fields: Schema) -> tuple[Schema, dict[str, Schema]]:
    """The `oneOf` over every activity type of the catalog and the unknown, and its `$defs`."""
    defs: dict[str, Schema] = {base: fields, "Attribute": _ATTRIBUTE}
    branches: list[tuple[dict[str, Schema], str]] = []
    for t in ACTIVITY_TYPES:
        name = f"Activity{t.id}{_camel(t.name)}"
        defs[name] = {"allOf": [_ref(base)], **_activity_type(t)}
        branches.append(({"activityTypeId": {"const": t.id}}, name))
    unknown: dict[str, Schema] = {
        "activityTypeId": {"not": {"enum": [t.id for t in ACTIVITY_TYPES]}}
    }
    defs["UnknownActivityType"] = {
        "title": "Unknown activity type",
        "description": "A type the catalog does not list: a new standard type, or a custom one "
        "(ids from 100000). Its attributes are any {name, dataType, value}.",
        "allOf": [_ref(base)],
        **_object(unknown, []),
    }
    branches.append((unknown, "UnknownActivityType"))
    return _choice(branches, defs, "AnyActivity"), defs


def legacy_activity_schema() -> Schema:
    """One activity object of a legacy batch (§1b)."""
    root, defs = _activity_defs("LegacyActivityFields", _activity_fields(_INTEGER, legacy=True))
    return _document(
        "Marketo Lead Activity (legacy push)",
        "One activity of the legacy Lead Activity Data Stream's batch (§1b), chosen by its "
        "activityTypeId.",
        root,
        defs,
    )


def legacy_batch_schema() -> Schema:
    """The body of one legacy push: the wrapper around the activities (§1b)."""
    activity, defs = _activity_defs("LegacyActivityFields", _activity_fields(_INTEGER, legacy=True))
    defs["LegacyActivity"] = {"title": "Legacy activity", **activity}
    root = _object(
        {
            "sourceApplication": {"const": "Marketo"},
            "munchkinId": _STRING,
            "messageId": {"type": "string", "description": "numeric text, a JSON string"},
            "messageCreatedDate": _DATE_TIME,
            "activities": {"type": "array", "items": _ref("LegacyActivity")},
        },
        ["sourceApplication", "munchkinId", "messageId", "messageCreatedDate", "activities"],
    )
    return _document(
        "Marketo Lead Activity batch (legacy push)",
        f"The body of one POST of the legacy Lead Activity Data Stream (§1b), {CONTENT_TYPE}.",
        root,
        defs,
    )


# ---- Adobe I/O envelopes -----------------------------------------------------------------------


def _envelope_ids() -> dict[str, Schema]:
    """The envelope's own keys, but for the event: its id and the recipient, and their
    deprecated twins (§4.7)."""

    def deprecated(twin: str) -> Schema:
        note = f"Deprecated (§4.7): the same value as {twin}, sent until the end of 2026."
        return {**_STRING, "deprecated": True, "description": note}

    return {
        "eventid": {"type": "string", "description": "the same on every delivery attempt"},
        "recipientclientid": {"type": "string", "description": "the registration's client id"},
        "event_id": deprecated("eventid"),
        "recipient_client_id": deprecated("recipientclientid"),
    }


def _batch(title: str) -> Schema:
    return {
        "title": title,
        "description": "The body of one batch delivery (§4.4): an array of the events.",
        "type": "array",
        "items": {"$ref": "#"},
        "minItems": 1,
    }


def io_lead_activity_schema() -> Schema:
    """One Adobe I/O Lead Activity event (§1c): the CloudEvent, flat in its envelope."""
    root, defs = _activity_defs("LeadActivityFields", _activity_fields(_STRING, legacy=False))
    defs["LeadActivityData"] = {"title": "Lead activity data", **root}
    defs["Batch"] = _batch("Lead Activity batch")
    ids = _envelope_ids()
    envelope = _object(
        {
            "eventid": ids["eventid"],
            "specversion": {"const": "1.0"},
            "type": {
                "type": "string",
                "pattern": f"^{re.escape(IO_TYPE_PREFIX)}",
                "description": "standard.<name lowercased, no spaces>, or custom",
            },
            "source": {"const": LADS_SOURCE},
            "id": {"type": "string", "description": "the activity's marketoGUID"},
            "time": _DATE_TIME,
            "datacontenttype": {"const": "application/json"},
            "data": _ref("LeadActivityData"),
            **{key: ids[key] for key in ("recipientclientid", "event_id", "recipient_client_id")},
        },
        ["eventid", "specversion", "type", "source", "id", "time", "datacontenttype", "data",
         "recipientclientid"],
    )  # fmt: skip
    return _document(
        "Marketo Lead Activity (Adobe I/O)",
        "One Lead Activity event as Adobe I/O Events delivers it (§1c): the CloudEvent's "
        "attributes at the top of its envelope. A batch delivery is $defs/Batch.",
        envelope,
        defs,
    )


def _nested_envelope(
    event: Schema, title: str, description: str, defs: dict[str, Schema]
) -> Schema:
    defs["Batch"] = _batch(f"{title} batch")
    ids = _envelope_ids()
    eventid = {"eventid": ids.pop("eventid")}
    root = _object({**eventid, "event": event, **ids}, ["eventid", "event", "recipientclientid"])
    return _document(title, description, root, defs)


def _cloudevent_base(
    prefix: str, source: Schema, dataschema: str, data: Schema, *, with_id: bool
) -> Schema:
    properties: dict[str, Schema] = {
        "specversion": {"const": "1.0"},
        # Pinned to the stream's prefix, any name after it: an unknown type of the stream (the
        # unknown-activity-type anomaly's) is one a consumer must take.
        "type": {
            "type": "string",
            "pattern": f"^{re.escape(prefix)}",
            "description": f"{prefix}<name>",
        },
        "source": source,
        "time": {
            "type": "string",
            "pattern": _TIME_PATTERN,
            "description": "in the run's time style: RFC 3339, or the docs' other shapes",
        },
        "datacontenttype": {"const": "application/json"},
        "dataschema": {"const": dataschema},
        "data": data,
    }
    required = ["specversion", "type", "source", "time", "datacontenttype", "dataschema", "data"]
    if with_id:
        properties = {"id": _STRING, **properties}
        required = ["id", *required]
    return _object(properties, required)


def _by_type(
    base: str, branches: dict[str, tuple[str, Schema]], what: str
) -> tuple[Schema, dict[str, Schema]]:
    """The `oneOf` over the branches (name -> (CloudEvent `type`, definition)) and the unknown
    type's, with their `$defs`."""
    defs = {name: {"allOf": [_ref(base)], **schema} for name, (_, schema) in branches.items()}
    chosen: list[tuple[dict[str, Schema], str]] = [
        ({"type": {"const": t}}, name) for name, (t, _) in branches.items()
    ]
    unknown: dict[str, Schema] = {"type": {"not": {"enum": [t for t, _ in branches.values()]}}}
    defs[f"Unknown{what}"] = {
        "title": f"Unknown {what.lower()}",
        "description": "A type the catalog does not list.",
        "allOf": [_ref(base)],
        **_object(unknown, []),
    }
    chosen.append((unknown, f"Unknown{what}"))
    return _choice(chosen, defs, f"Any{base.removesuffix('Fields')}CloudEvent"), defs


def _audit_data(v1: bool) -> Schema:
    properties: dict[str, Schema] = {
        "componentId": {"type": "integer", "description": "the asset, or the user on Login"},
        "componentType": _STRING,
        "eventAction": _STRING,
        "munchkinId": _STRING,
        "imsOrgId": _STRING,
        "userId": {"type": "string", "description": "the user's email"},
    }
    keys = ["componentId", "componentType", "eventAction", "munchkinId", "imsOrgId", "userId"]
    if v1:
        properties["user"] = {"type": "integer", "description": "the user's numeric id (V1.0)"}
        keys.append("user")
    return _object(properties, keys)


def _audit_component(component: AuditComponent, v1: bool) -> Schema:
    c = component
    source = PAGE_SOURCE if v1 else c.source
    return {
        "title": f"{c.name}",
        "description": f"User Audit events about a {c.name}.",
        **_object(
            {
                "type": {"const": c.type},
                "source": {"const": source},
                "data": _object(
                    {
                        "componentType": {"const": c.name},
                        "eventAction": _open_enum(c.actions, "the eventAction"),
                    },
                    [],
                ),
            },
            [],
        ),
    }


def user_audit_schema(schema: str) -> Schema:
    """One User Audit event (§3a) in `schema` "V2.0" (`event.body`) or "V1.0" (`event`)."""
    v1 = schema == "V1.0"
    sources = sorted({c.source for c in AUDIT_COMPONENTS})
    source: Schema = {"const": PAGE_SOURCE} if v1 else {"enum": sources}
    base = "UserAuditFields"
    defs: dict[str, Schema] = {
        base: _cloudevent_base(AUDIT_TYPE_PREFIX, source, schema, _audit_data(v1), with_id=v1)
    }
    branches = {_camel(c.name): (c.type, _audit_component(c, v1)) for c in AUDIT_COMPONENTS}
    root, more = _by_type(base, branches, "Component")
    defs |= more
    defs["UserAuditCloudEvent"] = {"title": f"User Audit CloudEvent {schema}", **root}
    if v1:
        event = _ref("UserAuditCloudEvent")
        shape = "`event` is the CloudEvent itself, with an `id` and the numeric `user`"
    else:
        event = _object({"body": _ref("UserAuditCloudEvent")}, ["body"])
        shape = "the CloudEvent is `event.body`"
    return _nested_envelope(
        event,
        f"Marketo User Audit {schema} (Adobe I/O)",
        f"One User Audit event, dataschema {schema} (§3a): {shape}. A batch delivery is "
        "$defs/Batch.",
        defs,
    )


def _notification_data() -> Schema:
    return _object(
        {
            "munchkinId": _STRING,
            "imsOrgId": _STRING,
            "componentType": _STRING,
            "subType": _STRING,
            "eventAction": {"type": "object"},
        },
        ["munchkinId", "imsOrgId", "componentType", "subType", "eventAction"],
    )


def _notification_kind(kind: NotificationKind, source: str) -> Schema:
    k = kind
    action = _object(
        {
            key: {
                "type": NOTIFICATION_ACTION_TYPES[key],
                **({"items": _STRING} if NOTIFICATION_ACTION_TYPES[key] == "array" else {}),
                "description": f"the {key} of the {k.name.lower()}",
            }
            for key in k.action_fields
        },
        k.action_fields,
    )
    return {
        "title": k.name,
        "description": f"The {k.name} notification"
        + ("" if k.documented else " (its shape inferred: not in the I/O docs)")
        + ".",
        **_object(
            {
                "type": {"const": k.type},
                "source": {"const": source},
                "data": _object(
                    {
                        "componentType": {"const": k.component_type},
                        "subType": _open_enum([k.sub_type], "the subType"),
                        "eventAction": action,
                    },
                    [],
                ),
            },
            [],
        ),
    }


def notification_schema(shape: str) -> Schema:
    """One Notification event (§3b): the "current" shape (`event.body`) or "experience-league"."""
    page = shape == "experience-league"
    source = PAGE_SOURCE if page else NOTIFICATION_SOURCE
    base = "NotificationFields"
    defs: dict[str, Schema] = {
        base: _cloudevent_base(
            NOTIFICATION_TYPE_PREFIX, {"const": source}, "V1.0", _notification_data(), with_id=False
        )
    }
    branches = {_camel(k.name): (k.type, _notification_kind(k, source)) for k in NOTIFICATION_KINDS}
    root, more = _by_type(base, branches, "Kind")
    defs |= more
    defs["NotificationCloudEvent"] = {"title": "Notification CloudEvent", **root}
    if page:
        event = _ref("NotificationCloudEvent")
        title, shape_text = (
            "Marketo Notification, Experience League shape (Adobe I/O)",
            ("the older Experience League example: `event` is the CloudEvent itself"),
        )
    else:
        event = _object({"body": _ref("NotificationCloudEvent")}, ["body"])
        title, shape_text = "Marketo Notification (Adobe I/O)", "the CloudEvent is `event.body`"
    return _nested_envelope(
        event, title, f"One Notification event (§3b), {shape_text}. A batch delivery is "
        "$defs/Batch.", defs
    )  # fmt: skip


# ---- the files ---------------------------------------------------------------------------------

SCHEMA_FILES: dict[str, str] = {
    # file name -> what it describes (README, AsyncAPI messages)
    "legacy-batch.schema.json": "the body of one legacy push",
    "legacy-activity.schema.json": "one activity of a legacy batch",
    "io-lead-activity.schema.json": "one Adobe I/O Lead Activity event",
    "io-user-audit-v2.schema.json": "one User Audit event, V2.0",
    "io-user-audit-v1.schema.json": "one User Audit event, V1.0",
    "io-notification.schema.json": "one Notification event",
    "io-notification-experience-league.schema.json": "one Notification event, older shape",
}


def json_schemas() -> dict[str, Schema]:
    """Every payload schema, by the file name it is published under."""
    made = {
        "legacy-batch.schema.json": legacy_batch_schema(),
        "legacy-activity.schema.json": legacy_activity_schema(),
        "io-lead-activity.schema.json": io_lead_activity_schema(),
        "io-user-audit-v2.schema.json": user_audit_schema("V2.0"),
        "io-user-audit-v1.schema.json": user_audit_schema("V1.0"),
        "io-notification.schema.json": notification_schema("current"),
        "io-notification-experience-league.schema.json": notification_schema("experience-league"),
    }
    assert list(made) == list(SCHEMA_FILES)
    return made


def dump(document: Any) -> bytes:
    """A document as published: sorted keys, two-space indents, a final newline. The same
    document always gives the same bytes, so the shipped copies diff cleanly."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
