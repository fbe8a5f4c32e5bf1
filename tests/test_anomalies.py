"""Anomalies forced on purpose: each changes a copy of one push's events, never the events given."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulator.payloads import anomalies
from simulator.payloads.formats import IoEvent, flat_envelope, nested_envelope


def activities() -> list[dict[str, Any]]:
    """Three legacy activities, told apart by their log item id."""
    return [
        {"activityTypeId": 1, "activityType": "Visit Webpage", "activityLogItemId": n}
        for n in (1, 2, 3)
    ]


def flat(n: int) -> IoEvent:
    cloudevent = {"type": "com.adobe.platform.marketo.activity.standard.visitwebpage", "id": n}
    return flat_envelope(cloudevent, event_id=f"e{n}", recipient_client_id="c")


def nested(n: int) -> IoEvent:
    cloudevent = {"type": "com.adobe.platform.marketo.audit.user.email", "data": {"n": n}}
    return nested_envelope(cloudevent, event_id=f"e{n}", recipient_client_id="c")


def test_the_kinds_a_scenario_can_force() -> None:
    """Four kinds, by the names run files use."""
    assert anomalies.KINDS == ("duplicate", "reorder", "unknown-activity-type", "unknown-field")


def test_reorder_sends_a_legacy_batch_newest_first() -> None:
    """The activities in reverse order."""
    given = activities()
    out = anomalies.legacy("reorder", given)
    assert [a["activityLogItemId"] for a in out] == [3, 2, 1]
    assert [a["activityLogItemId"] for a in given] == [1, 2, 3]


def test_an_unknown_activity_type_replaces_the_first_activitys_type() -> None:
    """Only the first activity gets type 999999, "Simulator Unknown Activity"; the input stays."""
    given = activities()
    before = copy.deepcopy(given)
    out = anomalies.legacy("unknown-activity-type", given)
    assert (out[0]["activityTypeId"], out[0]["activityType"]) == (
        999_999,
        "Simulator Unknown Activity",
    )
    assert out[1:] == before[1:]
    assert given == before


def test_an_unknown_field_is_added_to_every_legacy_activity() -> None:
    """Each activity carries simulatorUnknownField; the input stays as it was."""
    given = activities()
    out = anomalies.legacy("unknown-field", given)
    assert [a["simulatorUnknownField"] for a in out] == ["a field this consumer has never seen"] * 3
    assert all("simulatorUnknownField" not in a for a in given)


@pytest.mark.parametrize("kind", ["unknown-activity-type", "unknown-field", "reorder"])
def test_an_empty_legacy_batch_stays_empty(kind: str) -> None:
    """Nothing to change is no error."""
    assert anomalies.legacy(kind, []) == []


def test_a_duplicate_leaves_the_events_as_they_are() -> None:
    """Resending is the lane's business: the events themselves are unchanged copies."""
    given = activities()
    out = anomalies.legacy("duplicate", given)
    assert out == given
    assert out[0] is not given[0]


def test_reorder_sends_an_io_delivery_newest_first() -> None:
    """The I/O events in reverse order."""
    out = anomalies.io("reorder", [flat(1), flat(2)])
    assert [event.event_id for event in out] == ["e2", "e1"]


def test_an_unknown_io_type_renames_the_first_cloudevent_and_its_header_type() -> None:
    """The envelope's type and the IoEvent's type (x-adobe-event-code) both change; the given
    events keep theirs."""
    given = [flat(1), flat(2)]
    out = anomalies.io("unknown-activity-type", given)
    unknown = "com.adobe.platform.marketo.activity.standard.simulatorunknownactivity"
    assert (out[0].type, out[0].envelope["type"]) == (unknown, unknown)
    assert out[1].envelope == given[1].envelope
    assert given[0].envelope["type"] == "com.adobe.platform.marketo.activity.standard.visitwebpage"


def test_an_unknown_io_type_reaches_a_nested_body_in_its_own_stream() -> None:
    """In a nested envelope the CloudEvent under `event.body` is the one renamed, to an unknown
    type of its own stream (a User Audit type here), not a lead activity's."""
    (out,) = anomalies.io("unknown-activity-type", [nested(1)])
    unknown = "com.adobe.platform.marketo.audit.user.simulatorunknown"
    assert (out.envelope["event"]["body"]["type"], out.type) == (unknown, unknown)
    assert "type" not in out.envelope


def test_an_unknown_field_is_added_to_every_io_envelope() -> None:
    """Each envelope carries simulatorunknownfield at its top level."""
    given = [flat(1), nested(2)]
    out = anomalies.io("unknown-field", given)
    assert [e.envelope["simulatorunknownfield"] for e in out] == [
        "a field this consumer has never seen"
    ] * 2
    assert all("simulatorunknownfield" not in e.envelope for e in given)
