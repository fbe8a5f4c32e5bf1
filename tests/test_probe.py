"""The contract's probe: the events it stocks and the deliveries it builds, as the real producer
builds them. Sending is `test_contract`'s subject, against real consumers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from loopback import virtual

from simulator import __version__
from simulator.contract.probe import (
    ADOBE_IO,
    LEGACY,
    Item,
    Probe,
    Stock,
    Target,
    Token,
    build_stock,
    with_payload,
)
from simulator.payloads.catalog import (
    AUDIT_COMPONENTS,
    NOTIFICATION_KINDS,
    select_activity_types,
)
from simulator.payloads.formats import IoEvent
from simulator.payloads.signing import KEY_PATH_HEADERS, SIGNATURE_HEADERS, KeyRing
from simulator.payloads.world import World
from simulator.shell.transport import HttpTransport

WORLD = World.build(0)
RING = KeyRing.generate()  # once per module: RSA key generation is slow
VISIT_AND_NEW_LEAD = select_activity_types("1, 12")
ENDPOINT = "http://127.0.0.1:9/hook"


def labelled(label: str) -> Any:
    """A source that makes an item naming its label and seq."""
    return lambda seq, at: Item(label, (f"{label}{seq}",), None)


def stocked(profile: str, stream: str = "lead-activity") -> Stock:
    """The stock of one subscription to Visit Webpage and New Lead, or to a whole nested stream."""
    return build_stock(
        WORLD, profile=profile, stream=stream, types=VISIT_AND_NEW_LEAD, seed=0, wall=lambda: 0.0
    )


def probe(profile: str = LEGACY, *, token: str | None = "tok", keys: bool = True) -> Probe:
    """A probe of the first Visit Webpage and New Lead seqs; it never sends here."""
    target = Target(
        endpoint=ENDPOINT, profile=profile, activity_types=VISIT_AND_NEW_LEAD, token=token
    )
    return Probe(target, HttpTransport(), keys=RING if keys else None)


def body(delivery_body: bytes) -> Any:
    return json.loads(delivery_body)


# ---- the stock ------------------------------------------------------------------------------


def test_a_stock_hands_out_seqs_in_order_and_kinds_in_turn() -> None:
    """`take` gives the next seqs, the kinds one after the other, carrying on where it stopped."""
    stock = Stock([("a", labelled("a")), ("b", labelled("b"))], wall=lambda: 0.0)
    assert [item.ids for item in stock.take(3)] == [("a0",), ("b1",), ("a2",)]
    assert [item.ids for item in stock.take(2)] == [("b3",), ("a4",)]


def test_reserved_seqs_are_skipped_by_take_and_made_later() -> None:
    """`reserve` keeps seqs aside; `make` builds any kind at one of them afterwards."""
    stock = Stock([("a", labelled("a")), ("b", labelled("b"))], wall=lambda: 0.0)
    assert stock.reserve(2) == range(0, 2)
    assert stock.take(1)[0].ids == ("a2",)
    assert stock.make(1, 1).ids == ("b1",)


def test_a_stock_needs_a_kind() -> None:
    """An empty stock is refused when built, not when first taken from."""
    with pytest.raises(ValueError, match="a stock needs at least one kind of event"):
        Stock([], wall=lambda: 0.0)


@pytest.mark.parametrize(
    ("stream", "count", "first"),
    [
        pytest.param("lead-activity", 2, "1 Visit Webpage", id="lead-activity"),
        pytest.param(
            "user-audit",
            sum(len(c.actions) for c in AUDIT_COMPONENTS),
            "Default Program clone",
            id="user-audit",
        ),
        pytest.param("notification", len(NOTIFICATION_KINDS), "Campaign Abort", id="notification"),
    ],
)
def test_the_stock_has_one_kind_per_type_action_or_notification(
    stream: str, count: int, first: str
) -> None:
    """Activity types by id and name, audit components with each action, notification kinds."""
    stock = stocked(ADOBE_IO, stream)
    assert (len(stock.labels), stock.labels[0]) == (count, first)


def test_a_legacy_item_is_listed_by_guid_and_log_item_id() -> None:
    """A consumer may list a legacy activity by its marketoGUID or its activityLogItemId."""
    item = stocked(LEGACY).take(1)[0]
    assert item.label == "1 Visit Webpage"
    assert item.ids == (item.payload["marketoGUID"], str(item.payload["activityLogItemId"]))


def test_an_io_item_is_listed_by_every_id_it_carries() -> None:
    """Lead Activity on I/O: the eventid, the CloudEvent id (the marketoGUID) and the activity's
    activityLogItemId; a nested V2.0 event has no CloudEvent id, so only its eventid (its
    deprecated event_id is the same)."""
    flat = stocked(ADOBE_IO).take(1)[0]
    nested = stocked(ADOBE_IO, "user-audit").take(1)[0]
    assert isinstance(flat.payload, IoEvent)
    envelope = flat.payload.envelope
    assert flat.ids == (
        flat.payload.event_id,
        envelope["id"],
        str(envelope["data"]["activityLogItemId"]),
    )
    assert nested.ids == (nested.payload.event_id,)


def test_with_payload_changes_a_copy() -> None:
    """The change lands on a deep copy; the item it came from keeps its payload."""
    item = Item("x", ("1",), {"attributes": [{"name": "a"}]})
    changed = with_payload(item, lambda payload: payload["attributes"][0].update(name="b"))
    assert changed.payload == {"attributes": [{"name": "b"}]}
    assert item.payload == {"attributes": [{"name": "a"}]}


# ---- legacy deliveries ----------------------------------------------------------------------


@virtual
async def test_a_legacy_delivery_is_the_batch_wrapper_labelled_json() -> None:
    """The producer's headers (application/json, our User-Agent, the bearer token) and the §1b
    wrapper around the items' activities, with a messageId of its own."""
    p = probe()
    items = p.stock.take(2)
    delivery = p.delivery(items)
    assert delivery.headers == {
        "Content-Type": "application/json",
        "User-Agent": f"marketo-stream-simulator/{__version__}",
        "Authorization": "Bearer tok",
    }
    sent = body(delivery.body)
    assert (sent["munchkinId"], sent["messageId"]) == ("123-ABC-456", "1000001")
    assert sent["activities"] == [item.payload for item in items]
    assert body(p.delivery(items).body)["messageId"] == "1000002"


@pytest.mark.parametrize(
    ("token", "header"),
    [
        pytest.param(Token.VALID, "Bearer tok", id="valid"),
        pytest.param("other", "Bearer other", id="given"),
        pytest.param(None, None, id="none"),
    ],
)
@virtual
async def test_a_legacy_delivery_carries_the_token_asked_for(
    token: str | Token | None, header: str | None
) -> None:
    """The target's token by default, another one when given, none when None."""
    p = probe()
    assert p.delivery(p.stock.take(1), token=token).headers.get("Authorization") == header


@virtual
async def test_without_a_known_token_the_valid_token_is_none() -> None:
    """Token.VALID for a target without a token sends no Authorization header."""
    p = probe(token=None)
    assert "Authorization" not in p.delivery(p.stock.take(1)).headers


@virtual
async def test_a_legacy_redelivery_is_the_same_request() -> None:
    """Marketo resends a legacy batch as it was."""
    p = probe()
    delivery = p.delivery(p.stock.take(1))
    assert p.redelivery(delivery) is delivery


# ---- Adobe I/O deliveries -------------------------------------------------------------------


@virtual
async def test_an_io_delivery_is_labelled_as_adobe_sends_it() -> None:
    """CloudEvents content type, Adobe's User-Agent and the x-adobe headers of the first event."""
    p = probe(ADOBE_IO)
    items = p.stock.take(2)
    headers = p.delivery(items).headers
    first = items[0].payload
    assert headers["Content-Type"] == "application/cloudevents+json; charset=UTF-8"
    assert headers["User-Agent"] == "Adobe/1.0"
    assert headers["Accept-Encoding"] == "deflate,compress,identity"
    assert headers["x-adobe-provider"] == "Marketo Lead Activity Data Stream"
    assert (headers["x-adobe-event-code"], headers["x-adobe-event-id"]) == (
        first.type,
        first.event_id,
    )


@virtual
async def test_an_io_delivery_of_one_is_an_object_of_several_an_array() -> None:
    """One event goes as its envelope; two as an array of envelopes, in order."""
    p = probe(ADOBE_IO)
    one, two = p.stock.take(1), p.stock.take(2)
    assert body(p.delivery(one).body) == one[0].payload.envelope
    assert body(p.delivery(two).body) == [item.payload.envelope for item in two]


@virtual
async def test_an_io_delivery_is_signed_unless_asked_not_to_be() -> None:
    """The key host's two signatures and key paths; none with signed=False or without keys."""
    p = probe(ADOBE_IO)
    items = p.stock.take(1)
    signed = p.delivery(items)
    assert signed.headers | RING.headers(signed.body) == signed.headers
    names = {*SIGNATURE_HEADERS, *KEY_PATH_HEADERS}
    assert names.isdisjoint(p.delivery(items, signed=False).headers)
    unsigned = probe(ADOBE_IO, keys=False)
    assert names.isdisjoint(unsigned.delivery(unsigned.stock.take(1)).headers)


@virtual
async def test_an_io_redelivery_gets_a_new_delivery_id_only() -> None:
    """Adobe redelivers the same body and event headers under a new x-adobe-delivery-id."""
    p = probe(ADOBE_IO)
    delivery = p.delivery(p.stock.take(1))
    again = p.redelivery(delivery)
    assert again.body == delivery.body
    assert again.headers["x-adobe-delivery-id"] != delivery.headers["x-adobe-delivery-id"]
    del again.headers["x-adobe-delivery-id"], delivery.headers["x-adobe-delivery-id"]
    assert again.headers == delivery.headers


@virtual
async def test_ids_are_new_for_each_use_and_the_same_in_every_run() -> None:
    """Each id differs from the ones before it, and two probes give the same sequence, so a
    contract run is reproducible."""
    a, b = probe(), probe()
    ids = [a.new_id("delivery") for _ in range(3)]
    assert ids == [b.new_id("delivery") for _ in range(3)]
    assert len(set(ids)) == 3
