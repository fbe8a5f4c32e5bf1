"""The legacy Lead Activity Data Stream wire format: the batch wrapper of §1b."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import orjson

# Not documented for the legacy stream (§7); the consumer example parses it with express.json().
CONTENT_TYPE = "application/json"


def format_timestamp(at: float) -> str:
    """Epoch seconds as LADS writes dates: UTC, whole seconds, "Z" (2026-04-20T18:43:56Z)."""
    return datetime.fromtimestamp(math.floor(at), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def legacy_batch(
    *, munchkin_id: str, message_id: str, created_at: float, activities: list[dict[str, Any]]
) -> bytes:
    """The JSON body of one legacy push: the §1b wrapper around `activities`, keys in its order."""
    return orjson.dumps(
        {
            "sourceApplication": "Marketo",
            "munchkinId": munchkin_id,
            # §1b: messageId is a JSON string even though it looks numeric.
            "messageId": str(message_id),
            "messageCreatedDate": format_timestamp(created_at),
            "activities": activities,
        }
    )
