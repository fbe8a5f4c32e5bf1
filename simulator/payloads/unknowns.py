"""What a consumer has never seen and must still take: unknown and custom types, fields it does
not expect. Each is a change made in place to one event's payload (a legacy activity object or
an Adobe I/O `IoEvent`, already a copy), for the contract's unknown-types check.

Marketo adds activity types and fields over time, and every subscription may add custom
activities (ids 100000 and up; on I/O the type `...activity.custom`), so a consumer that refuses
what it does not know stops the stream: the legacy producer retries and pauses, I/O retries for
24 hours and then drops the events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.payloads import anomalies
from simulator.payloads.catalog import (
    AUDIT_TYPE_PREFIX,
    CUSTOM_TYPE_MIN_ID,
    IO_TYPE_PREFIX,
    NOTIFICATION_TYPE_PREFIX,
)
from simulator.payloads.formats import IoEvent

CUSTOM_ID = CUSTOM_TYPE_MIN_ID + 999
CUSTOM_NAME = "Simulator Custom Activity"
UNKNOWN_ATTRIBUTE = "Simulator Unknown Attribute"

Change = Callable[[Any], None]


def unknowns(profile: str, stream: str) -> list[tuple[str, Change]]:
    """(what it is, the change that makes one event so) for each case of a profile and stream."""
    if profile == "marketo-legacy":
        return [
            ("an unknown activity type", _legacy_anomaly("unknown-activity-type")),
            ("a custom activity type", _legacy_custom),
            ("an unknown field", _legacy_anomaly("unknown-field")),
            ("an unknown attribute", _legacy_attribute),
        ]
    firsts: dict[str, tuple[tuple[str, Change], tuple[str, Change]]] = {
        "user-audit": (
            ("an unknown component type", _nested_unknown(AUDIT_TYPE_PREFIX)),
            ("an unknown eventAction", _audit_action),
        ),
        "notification": (
            ("an unknown notification type", _nested_unknown(NOTIFICATION_TYPE_PREFIX)),
            ("an unknown subType", _notification_sub_type),
        ),
        "lead-activity": (
            ("an unknown activity type", _io_anomaly("unknown-activity-type")),
            ("a custom activity type", _io_custom),
        ),
    }
    return [
        *firsts[stream],
        ("an unknown envelope field", _io_anomaly("unknown-field")),
        ("an unknown data field", _io_data_field),
    ]


def cloudevent(event: IoEvent) -> dict[str, Any]:
    """The CloudEvent inside an I/O envelope: flat, under `event.body`, or `event` (V1.0)."""
    inner = event.envelope.get("event")
    if isinstance(inner, dict):
        body: dict[str, Any] = inner.get("body", inner)
        return body
    return event.envelope


def _legacy_anomaly(kind: str) -> Change:
    def change(activity: dict[str, Any]) -> None:
        activity.update(anomalies.legacy(kind, [activity])[0])

    return change


def _legacy_custom(activity: dict[str, Any]) -> None:
    activity |= {"activityTypeId": CUSTOM_ID, "activityType": CUSTOM_NAME}


def _legacy_attribute(activity: dict[str, Any]) -> None:
    extra = {"name": UNKNOWN_ATTRIBUTE, "dataType": "string", "value": "never seen before"}
    activity["attributes"] = [*activity.get("attributes", []), extra]


def _io_anomaly(kind: str) -> Change:
    def change(event: IoEvent) -> None:
        event.envelope.update(anomalies.io(kind, [event])[0].envelope)

    return change


def _io_custom(event: IoEvent) -> None:
    body = cloudevent(event)
    body["type"] = f"{IO_TYPE_PREFIX}custom"
    body["data"] |= {"activityTypeId": CUSTOM_ID, "activityType": CUSTOM_NAME}


def _nested_unknown(prefix: str) -> Change:
    def change(event: IoEvent) -> None:
        body = cloudevent(event)
        body["type"] = f"{prefix}simulatorunknown"
        body["data"]["componentType"] = "Simulator Unknown Component"

    return change


def _audit_action(event: IoEvent) -> None:
    cloudevent(event)["data"]["eventAction"] = "simulator unknown action"


def _notification_sub_type(event: IoEvent) -> None:
    cloudevent(event)["data"]["subType"] = "simulatorUnknownSubType"


def _io_data_field(event: IoEvent) -> None:
    cloudevent(event)["data"][anomalies.UNKNOWN_FIELD] = "a field this consumer has never seen"
