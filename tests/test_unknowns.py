"""What a consumer has never seen and must still take: one named change per case, per profile and
stream, each made in place to one event's payload."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.payloads.formats import IoEvent, flat_envelope, nested_envelope
from simulator.payloads.unknowns import Change, cloudevent, unknowns

LEAD_ACTIVITY = "com.adobe.platform.marketo.activity.standard.visitwebpage"


def activity() -> dict[str, Any]:
    return {
        "activityTypeId": 1,
        "activityType": "Visit Webpage",
        "attributes": [{"name": "Webpage ID", "dataType": "object", "value": 7}],
    }


def flat() -> IoEvent:
    cloudevent = {"type": LEAD_ACTIVITY, "data": {"activityTypeId": 1}}
    return flat_envelope(cloudevent, event_id="e", recipient_client_id="c")


def nested(kind: str, *, body: bool = True) -> IoEvent:
    cloudevent = {"type": f"com.adobe.platform.marketo.{kind}", "data": {"componentType": "x"}}
    return nested_envelope(cloudevent, event_id="e", recipient_client_id="c", body=body)


def change(profile: str, stream: str, what: str) -> Change:
    return dict(unknowns(profile, stream))[what]


@pytest.mark.parametrize(
    ("profile", "stream", "cases"),
    [
        pytest.param(
            "marketo-legacy",
            "lead-activity",
            [
                "an unknown activity type",
                "a custom activity type",
                "an unknown field",
                "an unknown attribute",
            ],
            id="legacy",
        ),
        pytest.param(
            "adobe-io",
            "lead-activity",
            [
                "an unknown activity type",
                "a custom activity type",
                "an unknown envelope field",
                "an unknown data field",
            ],
            id="io-lead-activity",
        ),
        pytest.param(
            "adobe-io",
            "user-audit",
            [
                "an unknown component type",
                "an unknown eventAction",
                "an unknown envelope field",
                "an unknown data field",
            ],
            id="user-audit",
        ),
        pytest.param(
            "adobe-io",
            "notification",
            [
                "an unknown notification type",
                "an unknown subType",
                "an unknown envelope field",
                "an unknown data field",
            ],
            id="notification",
        ),
    ],
)
def test_the_cases_of_each_profile_and_stream(profile: str, stream: str, cases: list[str]) -> None:
    """Four cases each, in the order the unknown-types check sends them."""
    assert [what for what, _ in unknowns(profile, stream)] == cases


def test_a_legacy_custom_type_is_numbered_above_100000() -> None:
    """Customer-defined activity types have ids from 100000; ours is 100999."""
    payload = activity()
    change("marketo-legacy", "lead-activity", "a custom activity type")(payload)
    assert (payload["activityTypeId"], payload["activityType"]) == (
        100_999,
        "Simulator Custom Activity",
    )


def test_a_legacy_unknown_type_is_an_unlisted_id() -> None:
    """The type id 999999 and a name no catalog has."""
    payload = activity()
    change("marketo-legacy", "lead-activity", "an unknown activity type")(payload)
    assert (payload["activityTypeId"], payload["activityType"]) == (
        999_999,
        "Simulator Unknown Activity",
    )


def test_a_legacy_unknown_attribute_is_appended() -> None:
    """The activity's attributes stay, and one more follows them."""
    payload = activity()
    change("marketo-legacy", "lead-activity", "an unknown attribute")(payload)
    assert payload["attributes"][1:] == [
        {"name": "Simulator Unknown Attribute", "dataType": "string", "value": "never seen before"}
    ]
    assert payload["attributes"][0]["name"] == "Webpage ID"


def test_an_io_custom_type_is_the_custom_cloudevent_type() -> None:
    """On Adobe I/O every custom activity has the type `...activity.custom`."""
    event = flat()
    change("adobe-io", "lead-activity", "a custom activity type")(event)
    assert cloudevent(event)["type"] == "com.adobe.platform.marketo.activity.custom"
    assert cloudevent(event)["data"]["activityTypeId"] == 100_999


@pytest.mark.parametrize(
    ("stream", "what", "kind", "type_"),
    [
        pytest.param(
            "user-audit",
            "an unknown component type",
            "audit.user.email",
            "com.adobe.platform.marketo.audit.user.simulatorunknown",
            id="user-audit",
        ),
        pytest.param(
            "notification",
            "an unknown notification type",
            "notification.campaign_abort",
            "com.adobe.platform.marketo.notification.simulatorunknown",
            id="notification",
        ),
    ],
)
def test_an_unknown_nested_type_keeps_its_streams_prefix(
    stream: str, what: str, kind: str, type_: str
) -> None:
    """A type the stream could send one day, with a componentType nobody knows."""
    event = nested(kind)
    change("adobe-io", stream, what)(event)
    body = cloudevent(event)
    assert (body["type"], body["data"]["componentType"]) == (type_, "Simulator Unknown Component")


def test_an_unknown_audit_action_and_notification_subtype() -> None:
    """An eventAction and a subType outside the documented lists."""
    audit, notification = nested("audit.user.email"), nested("notification.campaign_abort")
    change("adobe-io", "user-audit", "an unknown eventAction")(audit)
    change("adobe-io", "notification", "an unknown subType")(notification)
    assert cloudevent(audit)["data"]["eventAction"] == "simulator unknown action"
    assert cloudevent(notification)["data"]["subType"] == "simulatorUnknownSubType"


def test_unknown_fields_go_to_the_envelope_and_to_data() -> None:
    """One at the envelope's top level, one inside the CloudEvent's data."""
    envelope_case, data_case = flat(), flat()
    change("adobe-io", "lead-activity", "an unknown envelope field")(envelope_case)
    change("adobe-io", "lead-activity", "an unknown data field")(data_case)
    never_seen = "a field this consumer has never seen"
    assert envelope_case.envelope["simulatorunknownfield"] == never_seen
    assert cloudevent(data_case)["data"]["simulatorUnknownField"] == never_seen


@pytest.mark.parametrize(
    ("event", "where"),
    [
        pytest.param(flat(), (), id="flat"),
        pytest.param(nested("audit.user.email"), ("event", "body"), id="nested"),
        pytest.param(nested("audit.user.email", body=False), ("event",), id="nested-v1"),
    ],
)
def test_the_cloudevent_is_found_in_every_envelope_shape(
    event: IoEvent, where: tuple[str, ...]
) -> None:
    """Flat: the envelope itself; nested: `event.body`; UADS V1.0: `event`."""
    inner = event.envelope
    for key in where:
        inner = inner[key]
    assert cloudevent(event) is inner
