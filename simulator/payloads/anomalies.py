"""Anomalies a scenario can force on purpose, to test that a consumer tolerates them.

Pure functions over the event objects of one push, applied just before encoding. A duplicate is
not here: it re-sends a body that was already acknowledged, which only a lane can do.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, get_args

from simulator.payloads.formats import IoEvent

UNKNOWN_TYPE_ID = 999_999
UNKNOWN_TYPE_NAME = "Simulator Unknown Activity"
UNKNOWN_IO_TYPE = "com.adobe.platform.marketo.activity.standard.simulatorunknownactivity"
UNKNOWN_FIELD = "simulatorUnknownField"
AnomalyKind = Literal["duplicate", "reorder", "unknown-activity-type", "unknown-field"]
KINDS: tuple[AnomalyKind, ...] = get_args(AnomalyKind)


def legacy(kind: str, activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The activities of a legacy batch with one anomaly."""
    if kind == "reorder":
        return activities[::-1]
    out = [dict(a) for a in activities]
    if kind == "unknown-activity-type" and out:
        out[0] |= {"activityTypeId": UNKNOWN_TYPE_ID, "activityType": UNKNOWN_TYPE_NAME}
    elif kind == "unknown-field":
        for activity in out:
            activity[UNKNOWN_FIELD] = "a field this consumer has never seen"
    return out


def unknown_io_type(known: str) -> str:
    """A type no consumer knows, in the family of `known` (its dotted prefix kept): a User Audit
    or Notification stream gets one of its own kind, which a consumer routing by prefix still
    receives, rather than a lead activity's."""
    family = known.rpartition(".")[0]
    activities = UNKNOWN_IO_TYPE.rpartition(".")[0]
    return UNKNOWN_IO_TYPE if family in ("", activities) else f"{family}.simulatorunknown"


def io(kind: str, events: list[IoEvent]) -> list[IoEvent]:
    """The events of an Adobe I/O delivery with one anomaly."""
    if kind == "reorder":
        return events[::-1]
    out = [IoEvent(e.event_id, e.type, copy.deepcopy(e.envelope)) for e in events]
    if kind == "unknown-activity-type" and out:
        first = out[0]
        body = first.envelope.get("event", {}).get("body", first.envelope)
        body["type"] = unknown = unknown_io_type(str(body.get("type", first.type)))
        out[0] = IoEvent(first.event_id, unknown, first.envelope)
    elif kind == "unknown-field":
        for event in out:
            event.envelope[UNKNOWN_FIELD.lower()] = "a field this consumer has never seen"
    return out
