"""Golden bytes: what one seed sends, pinned, so a drift shows (issue 12).

A seed must give the same events byte for byte in any process, on any machine, whatever Faker
version is installed (the world's names are data: `simulator.payloads.names`). These digests
change only when the world, the catalog or an encoder changes on purpose: then update them, and
say so in the change.
"""

from __future__ import annotations

import hashlib

import orjson

from simulator.payloads.catalog import select_activity_types
from simulator.payloads.events import SAMPLE_AT, ActivityStream, encode_legacy_batch
from simulator.payloads.iostreams import sample_events
from simulator.payloads.world import World

SEED = 7


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def test_a_legacy_batch_of_every_type_is_the_same_bytes_for_the_seed() -> None:
    """500 activities of every type, in the legacy wrapper, for seed 7: one digest."""
    stream = ActivityStream(World.build(SEED), select_activity_types("all"), seed=SEED, stream="s")
    body = encode_legacy_batch(
        stream,
        ((seq, SAMPLE_AT + seq / 10) for seq in range(500)),
        munchkin_id="123-ABC-456",
        message_id="1",
        created_at=SAMPLE_AT + 52,
    )
    assert (len(body), digest(body)) == (GOLDEN_LEGACY_LENGTH, GOLDEN_LEGACY)


def test_the_first_send_email_of_the_seed_is_these_bytes() -> None:
    """One activity verbatim: a drift in names, ids or campaigns shows in a readable diff."""
    (envelope,) = sample_events("lead-activity", ref="Send Email", seed=SEED)
    assert orjson.dumps(envelope["data"]).decode() == GOLDEN_SEND_EMAIL


def test_user_audit_and_notification_samples_are_the_same_bytes_for_the_seed() -> None:
    """20 events of each nested stream for seed 7, as a batch body (a JSON array): two digests."""
    bodies = {
        stream: orjson.dumps(sample_events(stream, count=20, seed=SEED))
        for stream in ("user-audit", "notification")
    }
    assert {stream: digest(body) for stream, body in bodies.items()} == GOLDEN_NESTED


GOLDEN_LEGACY_LENGTH = 333187
GOLDEN_LEGACY = "412272bcf0446df5c91c6af71bfdc3e5"
GOLDEN_SEND_EMAIL = (
    '{"munchkinId":"123-ABC-456","leadId":"7537","activityDate":"2026-04-20T18:43:56Z",'
    '"activityTypeId":6,"activityType":"Send Email","activityLogItemId":332598972434944,'
    '"primaryAttributeValueId":5096,'
    '"primaryAttributeValue":"2026-Q2 Webinar - Harness Vertical Roi.Follow Up",'
    '"campaignId":5344,"campaignName":"2026-Q2 Webinar - Harness Vertical Roi.03 Send Follow Up",'
    '"attributes":[{"name":"Campaign Run ID","dataType":"integer","value":85876},'
    '{"name":"Step ID","dataType":"integer","value":32},'
    '{"name":"Mailing ID","dataType":"object","value":5096}]}'
)
GOLDEN_NESTED = {
    "user-audit": "d76a6022e3fc432b704f839e813fdce2",
    "notification": "e1288d3e4f106914f8ef0756b6c166dd",
}
