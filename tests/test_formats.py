"""The wire formats against the verbatim examples: legacy wrapper §1b, I/O envelopes §1c/§3."""

from __future__ import annotations

import json

import pytest

from simulator.errors import ConfigError
from simulator.payloads.formats import (
    IoEvent,
    flat_envelope,
    format_timestamp,
    io_body,
    legacy_batch,
    nested_envelope,
    time_formatter,
)

# §1b, verbatim (whitespace aside).
REFERENCE_BODY = """
{
    "sourceApplication": "Marketo",
    "munchkinId": "123-ABC-456",
    "messageId": "12345",
    "messageCreatedDate": "2026-04-21T15:28:49Z",
    "activities": [
        {
            "marketoGUID": "12345678-9876-a191-4567-000000054321",
            "leadId": 12345,
            "activityDate": "2026-04-20T18:43:56Z",
            "primaryAttributeValueId": 1234,
            "primaryAttributeValue": "Attribute Value",
            "activityTypeId": 3,
            "activityType": "Click Link",
            "activityLogItemId": 1234567890,
             "attributes": [
                {"name": "Link ID", "dataType": "object", "value": 1234},
                {"name": "Client IP Address", "dataType": "string", "value": "11.22.33.44"}
              ]
        }
    ]
}
"""
REFERENCE_CREATED = 1776785329.0  # 2026-04-21T15:28:49Z


def reference_batch() -> bytes:
    activities = json.loads(REFERENCE_BODY)["activities"]
    return legacy_batch(
        munchkin_id="123-ABC-456",
        message_id="12345",
        created_at=REFERENCE_CREATED,
        activities=activities,
    )


def test_batch_reproduces_the_reference_example() -> None:
    """Encoding the §1b activities with the §1b header gives the §1b document."""
    assert json.loads(reference_batch()) == json.loads(REFERENCE_BODY)


def test_batch_has_exactly_the_reference_top_level_keys_in_order() -> None:
    """The wrapper keys are the five of §1b, in §1b order, and nothing else."""
    assert list(json.loads(reference_batch())) == [
        "sourceApplication",
        "munchkinId",
        "messageId",
        "messageCreatedDate",
        "activities",
    ]


def test_message_id_is_a_json_string() -> None:
    """messageId is a string on the wire, even when a caller passes a number."""
    body = legacy_batch(munchkin_id="1", message_id=42, created_at=0, activities=[])  # type: ignore[arg-type]
    assert json.loads(body)["messageId"] == "42"
    assert json.loads(reference_batch())["messageId"] == "12345"


def test_batch_is_compact_json_bytes() -> None:
    """The body is bytes without insignificant whitespace."""
    body = legacy_batch(munchkin_id="123-ABC-456", message_id="7", created_at=0.0, activities=[])
    assert body == (
        b'{"sourceApplication":"Marketo","munchkinId":"123-ABC-456","messageId":"7",'
        b'"messageCreatedDate":"1970-01-01T00:00:00Z","activities":[]}'
    )


@pytest.mark.parametrize(
    ("at", "text"),
    [
        pytest.param(0, "1970-01-01T00:00:00Z", id="epoch"),
        pytest.param(1776710636.0, "2026-04-20T18:43:56Z", id="reference-activity-date"),
        pytest.param(1776710636.999, "2026-04-20T18:43:56Z", id="fraction-truncated"),
        pytest.param(REFERENCE_CREATED, "2026-04-21T15:28:49Z", id="reference-created"),
    ],
)
def test_format_timestamp(at: float, text: str) -> None:
    """Epoch seconds become UTC ISO-8601 with whole seconds and a Z."""
    assert format_timestamp(at) == text


# ---- Adobe I/O envelopes ----------------------------------------------------------------------

# §1c single example, verbatim (attributes compacted as in the reference).
LADS_SINGLE = """
{
  "eventid": "4109a990-da28-4c5b-bad9-22df8903ed9a",
  "specversion": "1.0",
  "type": "com.adobe.platform.marketo.activity.standard.clicklink",
  "source": "urn:marketo_activity_stream",
  "id": "570b455e-203f-4983-91a8-5a03f597fda5",
  "time": "2024-12-17T18:43:56Z",
  "datacontenttype": "application/json",
  "data": {
    "munchkinId": "123-ABC-456",
    "leadId": "1234",
    "activityDate": "2024-12-17T18:43:56Z",
    "activityTypeId": 3,
    "activityType": "Click Link",
    "activityLogItemId": 1234567890,
    "primaryAttributeValueId": 1234,
    "primaryAttributeValue": "Attribute Value",
    "attributes": [
      { "name": "Link ID", "dataType": "object", "value": 1234 },
      { "name": "Client IP Address", "dataType": "string", "value": "11.22.33.44" }
    ]
  },
  "recipientclientid": "your_client_id"
}
"""

# §3a User Audit batch example, verbatim.
UADS_BATCH = """
[
    {
        "eventid": "cf904f43-56bc-4f80-935d-a484de6e4181",
        "event": {
            "body": {
                "specversion": "1.0",
                "type": "com.adobe.platform.marketo.audit.user.email",
                "source": "urn:mlm",
                "time": "2024-07-11 13:20:42.755",
                "datacontenttype": "application/json",
                "dataschema": "V2.0",
                "data": {
                    "componentId": 232459,
                    "componentType": "Email",
                    "eventAction": "approve",
                    "munchkinId": "123-ABC-456",
                    "imsOrgId": "your_ims_org_id@AdobeOrg",
                    "userId": "user@marketo.com"
                }
            }
        },
        "recipientclientid": "your_client_id"
    },
    {
        "eventid": "e931c3ec-9d76-406b-ac89-626e9650813a",
        "event": {
            "body": {
                "specversion": "1.0",
                "type": "com.adobe.platform.marketo.audit.user.landingpage",
                "source": "urn:mlm",
                "time": "2024-07-11 13:20:42.755",
                "datacontenttype": "application/json",
                "dataschema": "V2.0",
                "data": {
                    "componentId": 123321,
                    "componentType": "Landing Page",
                    "eventAction": "approve",
                    "munchkinId": "123-ABC-456",
                    "imsOrgId": "your_ims_org_id@AdobeOrg",
                    "userId": "user@marketo.com"
                }
            }
        },
        "recipientclientid": "your_client_id"
    }
]
"""
NEW_PAIR = ("eventid", "recipientclientid")
DEPRECATED_PAIR = ("event_id", "recipient_client_id")


def lads_reference(*, deprecated_fields: bool) -> IoEvent:
    """The §1c single example rebuilt from its CloudEvent part."""
    example = json.loads(LADS_SINGLE)
    cloudevent = {k: v for k, v in example.items() if k not in NEW_PAIR}
    return flat_envelope(
        cloudevent,
        event_id=example["eventid"],
        recipient_client_id=example["recipientclientid"],
        deprecated_fields=deprecated_fields,
    )


def uads_reference(*, deprecated_fields: bool = False) -> list[IoEvent]:
    """The §3a batch example rebuilt from its CloudEvent bodies."""
    return [
        nested_envelope(
            item["event"]["body"],
            event_id=item["eventid"],
            recipient_client_id=item["recipientclientid"],
            deprecated_fields=deprecated_fields,
        )
        for item in json.loads(UADS_BATCH)
    ]


def keys_in_order(text: str) -> list[str]:
    return list(json.loads(text))


def test_flat_envelope_reproduces_the_lads_single_example() -> None:
    """Without the deprecated pair, the LADS envelope is the §1c example, keys in its order."""
    body = io_body([lads_reference(deprecated_fields=False)], batch=False)
    assert json.loads(body) == json.loads(LADS_SINGLE)
    assert keys_in_order(body.decode()) == keys_in_order(LADS_SINGLE)


def test_flat_envelope_appends_the_deprecated_pair_with_the_same_values() -> None:
    """By default event_id and recipient_client_id follow, equal to the new pair (§4.7)."""
    envelope = lads_reference(deprecated_fields=True).envelope
    assert list(envelope)[-4:] == ["data", "recipientclientid", "event_id", "recipient_client_id"]
    assert envelope["event_id"] == envelope["eventid"] == "4109a990-da28-4c5b-bad9-22df8903ed9a"
    assert envelope["recipient_client_id"] == envelope["recipientclientid"] == "your_client_id"


def test_io_event_carries_the_header_values() -> None:
    """IoEvent.event_id is the eventid (x-adobe-event-id), .type the CloudEvent type."""
    event = lads_reference(deprecated_fields=False)
    assert event.event_id == "4109a990-da28-4c5b-bad9-22df8903ed9a"
    assert event.type == "com.adobe.platform.marketo.activity.standard.clicklink"


def test_nested_envelopes_reproduce_the_uads_batch_example() -> None:
    """Two nested envelopes in a batch body are the §3a example, keys in its order."""
    body = io_body(uads_reference(), batch=True)
    assert json.loads(body) == json.loads(UADS_BATCH)
    assert [list(item) for item in json.loads(body)] == [
        ["eventid", "event", "recipientclientid"]
    ] * 2
    assert list(json.loads(body)[0]["event"]["body"]) == list(
        json.loads(UADS_BATCH)[0]["event"]["body"]
    )


def test_nested_envelope_keeps_the_pairs_at_the_top_level() -> None:
    """The deprecated pair sits beside the new one, outside `event`."""
    envelope = uads_reference(deprecated_fields=True)[0].envelope
    assert list(envelope) == ["eventid", "event", "recipientclientid", *DEPRECATED_PAIR]
    assert list(envelope["event"]) == ["body"]


def test_nested_envelope_without_body_is_the_v1_shape() -> None:
    """body=False puts the CloudEvent directly under `event` (UADS schema V1.0)."""
    cloudevent = {"specversion": "1.0", "type": "t", "data": {}}
    event = nested_envelope(cloudevent, event_id="e", recipient_client_id="r", body=False)
    assert event.envelope["event"] is cloudevent


def test_single_body_is_the_one_envelope_object() -> None:
    """A single delivery is a JSON object, compact, exactly the envelope."""
    event = IoEvent("e", "t", {"eventid": "e", "recipientclientid": "r"})
    assert io_body([event], batch=False) == b'{"eventid":"e","recipientclientid":"r"}'


def test_batch_body_is_a_json_array_even_of_one() -> None:
    """A batch delivery is an array of envelopes, in order."""
    first, second = IoEvent("a", "t", {"eventid": "a"}), IoEvent("b", "t", {"eventid": "b"})
    assert io_body([first], batch=True) == b'[{"eventid":"a"}]'
    assert io_body([first, second], batch=True) == b'[{"eventid":"a"},{"eventid":"b"}]'


@pytest.mark.parametrize("count", [0, 2])
def test_a_single_body_needs_exactly_one_event(count: int) -> None:
    """Zero or several events cannot make a single delivery."""
    events = [IoEvent(str(i), "t", {}) for i in range(count)]
    with pytest.raises(ValueError, match=f"exactly one event, got {count}"):
        io_body(events, batch=False)


UADS_AT = 1720704042.755  # 2024-07-11 13:20:42.755 UTC, the §3a example time


@pytest.mark.parametrize(
    ("style", "at", "text"),
    [
        pytest.param("iso", 1734461036.9, "2024-12-17T18:43:56Z", id="lads-truncates"),
        pytest.param("iso", 1734507150.0, "2024-12-18T07:32:30Z", id="notification"),
        pytest.param("space-ms", UADS_AT, "2024-07-11 13:20:42.755", id="uads-example"),
        pytest.param("space-ms", 1720704042.0, "2024-07-11 13:20:42.000", id="uads-whole"),
        pytest.param("iso-ms", UADS_AT, "2024-07-11T13:20:42.755Z", id="rfc3339-ms"),
        pytest.param("iso-ms", 1720704042.9996, "2024-07-11T13:20:43.000Z", id="rounds-up"),
    ],
)
def test_time_styles(style: str, at: float, text: str) -> None:
    """Each style writes epoch seconds as the docs show (ms styles round to the millisecond)."""
    assert time_formatter(style)(at) == text


def test_time_formatter_is_right_after_the_second_changes() -> None:
    """The per-second cache never serves a stale second."""
    format_time = time_formatter("space-ms")
    texts = [format_time(UADS_AT + dt) for dt in (0, 0.1, 1, 0.2, 86_400)]
    assert texts == [
        "2024-07-11 13:20:42.755",
        "2024-07-11 13:20:42.855",
        "2024-07-11 13:20:43.755",
        "2024-07-11 13:20:42.955",
        "2024-07-12 13:20:42.755",
    ]


def test_unknown_time_style_is_a_config_error() -> None:
    """A style that is not documented is refused, naming the ones that are."""
    with pytest.raises(ConfigError, match="unknown time format 'rfc'; use one of: iso, iso-ms"):
        time_formatter("rfc")


def test_nested_envelope_type_comes_from_the_body() -> None:
    """IoEvent.type of a nested envelope is its CloudEvent's type."""
    assert [e.type for e in uads_reference()] == [
        "com.adobe.platform.marketo.audit.user.email",
        "com.adobe.platform.marketo.audit.user.landingpage",
    ]
