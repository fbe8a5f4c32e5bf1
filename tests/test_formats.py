"""The legacy batch wrapper against the verbatim example of reference §1b."""

from __future__ import annotations

import json

import pytest

from simulator.formats import CONTENT_TYPE, format_timestamp, legacy_batch

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


def test_content_type_is_plain_json() -> None:
    """Legacy pushes are labelled application/json."""
    assert CONTENT_TYPE == "application/json"


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
