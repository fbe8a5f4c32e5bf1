"""The reference consumers in examples/, over loopback HTTP on a looptime loop (virtual time)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from loopback import client_session, served, virtual

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    """Import examples/<name>.py by path: the examples are scripts, not a package."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


good = load_example("good_consumer")
bad = load_example("bad_consumer")

TOKEN = "tok-SECRET-value"
PATH1 = "/prod/keys/pub-key-11111111-aaaa-4bbb-8ccc-000000000001.pem"
PATH2 = "/prod/keys/pub-key-22222222-aaaa-4bbb-8ccc-000000000002.pem"
IO_TYPE = "com.adobe.platform.marketo.activity.standard."


# --- running ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def consumer(module: ModuleType, **kwargs: Any) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session bound to `module.create_app(**kwargs)` served on loopback."""
    async with (
        served(module.create_app(**kwargs), slash=False) as url,
        client_session(base_url=url) as session,
    ):
        yield session


async def post(session: aiohttp.ClientSession, body: bytes, **headers: str) -> int:
    async with session.post("/", data=body, headers=headers) as response:
        await response.read()
        return response.status


async def timed_post(session: aiohttp.ClientSession, body: bytes) -> tuple[int, float]:
    """(status, loop seconds the POST took)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    status = await post(session, body, **{"Content-Type": "application/json"})
    return status, loop.time() - start


async def processed(session: aiohttp.ClientSession) -> list[str]:
    async with session.get("/processed") as response:
        assert response.status == 200
        return (await response.json())["processed"]


async def get_root(session: aiohttp.ClientSession, query: str = "") -> tuple[int, str, str]:
    """(status, content type, body) of `GET /<query>`."""
    async with session.get("/" + query) as response:
        return response.status, response.content_type, await response.text()


# --- bodies (§1b legacy wrapper, §1c flat I/O envelope, §3a nested envelope) -----------------


def activity(guid: str, log_id: int = 1, name: str = "Click Link", **extra: Any) -> dict[str, Any]:
    return {
        "marketoGUID": guid,
        "leadId": 1234,
        "activityDate": "2026-04-20T18:43:56Z",
        "activityTypeId": 3,
        "activityType": name,
        "activityLogItemId": log_id,
        "primaryAttributeValueId": 1234,
        "primaryAttributeValue": "Attribute Value",
        "attributes": [{"name": "Link ID", "dataType": "object", "value": 1234}],
        **extra,
    }


def legacy(*activities: dict[str, Any], message_id: str = "1") -> bytes:
    return json.dumps(
        {
            "sourceApplication": "Marketo",
            "munchkinId": "123-ABC-456",
            "messageId": message_id,
            "messageCreatedDate": "2026-04-21T15:28:49Z",
            "activities": list(activities),
        }
    ).encode()


def numbered(count: int, first_log_id: int = 1) -> list[dict[str, Any]]:
    """`count` Click Link activities g0, g1... with ascending activityLogItemIds."""
    return [activity(f"g{i}", first_log_id + i) for i in range(count)]


def envelope(eventid: str, /, kind: str = "clicklink", **changes: Any) -> dict[str, Any]:
    event = {
        "eventid": eventid,
        "specversion": "1.0",
        "type": IO_TYPE + kind,
        "source": "urn:marketo_activity_stream",
        "id": f"guid-{eventid}",
        "time": "2024-12-17T18:43:56Z",
        "datacontenttype": "application/json",
        "data": {"munchkinId": "123-ABC-456", "leadId": "1234", "activityTypeId": 3},
        "recipientclientid": "your_client_id",
        **changes,
    }
    return {key: value for key, value in event.items() if value is not None}


def io(*envelopes: dict[str, Any]) -> bytes:
    return json.dumps(list(envelopes)).encode()


def audit_event(eventid: str) -> dict[str, Any]:
    body = {
        "specversion": "1.0",
        "type": "com.adobe.platform.marketo.audit.user.email",
        "source": "urn:mlm",
        "data": {"componentId": 232459, "componentType": "Email", "eventAction": "approve"},
    }
    return {"eventid": eventid, "event": {"body": body}, "recipientclientid": "your_client_id"}


GARBAGE = [
    pytest.param(b"not json", id="not-json"),
    pytest.param(b"\xff\xfe\x00", id="not-utf8"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-too-deep"),
    pytest.param(b"42", id="number"),
    pytest.param(b"{}", id="no-activities"),
    pytest.param(b'{"activities": "none"}', id="activities-not-list"),
    pytest.param(b'{"activities": [{"leadId": 1}]}', id="no-marketoGUID"),
    pytest.param(b'{"activities": [{"marketoGUID": 7}]}', id="marketoGUID-not-string"),
    pytest.param(b"[]", id="empty-array"),
    pytest.param(b"[1]", id="event-not-object"),
    pytest.param(b'[{"specversion": "1.0"}]', id="event-without-id"),
    pytest.param(b'{"validationUrl": 5}', id="validationUrl-not-string"),
]


# --- signatures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """Two RSA-2048 key pairs, as I/O Events signs with (made once: ~0.1 s)."""
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def signed(body: bytes, first: rsa.RSAPrivateKey, second: rsa.RSAPrivateKey) -> dict[str, str]:
    """The headers of an I/O delivery of `body` signed with `first` and `second`."""
    return {
        "Content-Type": "application/cloudevents+json; charset=UTF-8",
        "x-adobe-digital-signature-1": sign(first, body),
        "x-adobe-digital-signature-2": sign(second, body),
        "x-adobe-public-key1-path": PATH1,
        "x-adobe-public-key2-path": PATH2,
    }


def key_host(keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey], hits: list[str]) -> web.Application:
    """The public-key host: PATH1 and PATH2 serve the two public PEMs; each GET path is logged."""
    public = {PATH1: pem(keys[0]), PATH2: pem(keys[1])}

    async def handle(request: web.Request) -> web.Response:
        hits.append(request.path)
        found = public.get(request.path)
        return web.Response(body=found) if found else web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    return app


@contextlib.asynccontextmanager
async def verifying(
    module: ModuleType, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey], hits: list[str]
) -> AsyncIterator[aiohttp.ClientSession]:
    """A consumer with verify_signatures on, against a key host that logs its GETs to `hits`."""
    async with (
        served(key_host(keys, hits), slash=False) as key_base_url,
        consumer(module, key_base_url=key_base_url, verify_signatures=True) as session,
    ):
        yield session


# --- good consumer -----------------------------------------------------------------------------


@virtual
async def test_good_echoes_the_challenge_as_text() -> None:
    """GET /?challenge=X answers X as text/plain."""
    async with consumer(good) as session:
        assert await get_root(session, "?challenge=8ec8d794") == (200, "text/plain", "8ec8d794")


@virtual
async def test_good_answers_get_without_challenge() -> None:
    """GET / without a challenge answers 200."""
    async with consumer(good) as session:
        assert await get_root(session) == (200, "text/plain", "ok")


@virtual
async def test_good_refuses_legacy_push_without_token() -> None:
    """With a token set, a legacy push without Authorization is 401 and nothing is processed."""
    async with consumer(good, token=TOKEN) as session:
        assert await post(session, legacy(activity("g1"))) == 401
        assert await processed(session) == []


@virtual
async def test_good_refuses_legacy_push_with_wrong_token() -> None:
    """With a token set, a legacy push with another bearer token is 401."""
    async with consumer(good, token=TOKEN) as session:
        status = await post(session, legacy(activity("g1")), Authorization="Bearer tok-other")
        assert status == 401
        assert await processed(session) == []


@virtual
async def test_good_processes_legacy_push_with_token() -> None:
    """With a token set, a legacy push with `Bearer <token>` is 200 and processed."""
    async with consumer(good, token=TOKEN) as session:
        status = await post(session, legacy(activity("g1")), Authorization=f"Bearer {TOKEN}")
        assert status == 200
        assert await processed(session) == ["g1"]


@virtual
async def test_good_acknowledges_full_legacy_batch_at_once() -> None:
    """A legacy batch of 500 is answered 200 in 0.0 s of loop time, then all 500 processed."""
    async with consumer(good) as session:
        assert await timed_post(session, legacy(*numbered(500))) == (200, 0.0)
        assert await processed(session) == [f"g{i}" for i in range(500)]


@virtual
async def test_good_processes_a_redelivered_legacy_batch_once() -> None:
    """The same legacy batch delivered twice is acknowledged twice and processed once."""
    body = legacy(*numbered(3))
    async with consumer(good) as session:
        assert [await post(session, body), await post(session, body)] == [200, 200]
        assert await processed(session) == ["g0", "g1", "g2"]


@virtual
async def test_good_processes_a_redelivered_io_batch_once() -> None:
    """The same I/O batch delivered twice is acknowledged twice and processed once."""
    body = io(envelope("e1"), envelope("e2"))
    async with consumer(good) as session:
        assert [await post(session, body), await post(session, body)] == [200, 200]
        assert await processed(session) == ["e1", "e2"]


@virtual
async def test_good_takes_a_single_cloudevents_envelope() -> None:
    """A single I/O envelope sent as application/cloudevents+json is processed by its eventid."""
    body = json.dumps(envelope("e1")).encode()
    async with consumer(good) as session:
        content_type = "application/cloudevents+json; charset=UTF-8"
        assert await post(session, body, **{"Content-Type": content_type}) == 200
        assert await processed(session) == ["e1"]


@virtual
async def test_good_dedupes_io_events_by_event_id_then_id() -> None:
    """Without `eventid`, the deprecated `event_id`, else the CloudEvents `id`, is the key."""
    deprecated = envelope("x", event_id="old-1", eventid=None)
    flat = envelope("y", id="ce-1", eventid=None)
    async with consumer(good) as session:
        assert await post(session, io(deprecated, flat, deprecated, flat)) == 200
        assert await processed(session) == ["old-1", "ce-1"]


@virtual
async def test_good_takes_nested_user_audit_envelopes() -> None:
    """User Audit envelopes (`event.body`) are processed by their top-level eventid."""
    async with consumer(good) as session:
        assert await post(session, io(audit_event("a1"), audit_event("a2"))) == 200
        assert await processed(session) == ["a1", "a2"]


@virtual
async def test_good_answers_validation_url_without_processing() -> None:
    """An asynchronous validation POST is 200 and processes nothing."""
    body = b'{"validationUrl": "https://csm.adobe.io/csm/registrations/validate?id=1&challenge=2"}'
    async with consumer(good, token=TOKEN) as session:
        assert await post(session, body) == 200
        assert await processed(session) == []


@virtual
async def test_good_tolerates_unknown_types_custom_activities_and_fields() -> None:
    """Unknown and custom activity types and unknown fields are processed, not refused."""
    unknown = activity("g1", 1, "Simulator Unknown Activity", activityTypeId=999_999)
    custom = activity("g2", 2, "Webinar Attended", activityTypeId=100_001)
    extra = activity("g3", 3, simulatorUnknownField="never seen")
    io_custom = envelope("e1", type="com.adobe.platform.marketo.activity.custom")
    io_extra = envelope("e2", simulatorunknownfield="never seen")
    async with consumer(good) as session:
        assert await post(session, legacy(unknown, custom, extra)) == 200
        assert await post(session, io(io_custom, io_extra)) == 200
        assert await processed(session) == ["g1", "g2", "g3", "e1", "e2"]


@virtual
async def test_good_takes_legacy_batches_out_of_order() -> None:
    """A batch with lower activityLogItemIds after a higher one is taken and processed."""
    later, earlier = activity("g20", 20), activity("g10", 10)
    async with consumer(good) as session:
        assert await post(session, legacy(later, message_id="2")) == 200
        assert await post(session, legacy(earlier, message_id="1")) == 200
        assert await processed(session) == ["g20", "g10"]


@pytest.mark.parametrize("body", GARBAGE)
@virtual
async def test_good_refuses_garbage_with_400(body: bytes) -> None:
    """A body that is not a delivery is 400 and processes nothing."""
    async with consumer(good) as session:
        assert await post(session, body) == 400
        assert await processed(session) == []


@virtual
async def test_good_answers_503_when_the_queue_is_full() -> None:
    """Events past the queue's room are refused whole with 503 (retryable), none queued."""
    body = legacy(*[{"marketoGUID": f"g{i}"} for i in range(good.QUEUE_LIMIT + 1)])
    async with consumer(good) as session:
        assert await post(session, body) == 503
        assert await processed(session) == []


@virtual
async def test_good_lists_processed_ids_in_processing_order() -> None:
    """GET /processed lists every id once, in the order processed, across deliveries."""
    async with consumer(good) as session:
        assert await post(session, legacy(activity("g2"), activity("g1"))) == 200
        assert await post(session, io(envelope("e1"), envelope("e0"))) == 200
        assert await post(session, legacy(activity("g1"), activity("g3"))) == 200
        assert await processed(session) == ["g2", "g1", "e1", "e0", "g3"]


@virtual
async def test_good_accepts_a_valid_signature(keys: Any) -> None:
    """A signed I/O delivery is 200 and processed; only the first key is fetched."""
    body = io(envelope("e1"))
    hits: list[str] = []
    async with verifying(good, keys, hits) as session:
        assert await post(session, body, **signed(body, *keys)) == 200
        assert await processed(session) == ["e1"]
    assert hits == [PATH1]


@virtual
async def test_good_refuses_a_tampered_body(keys: Any) -> None:
    """A body changed after signing verifies under neither key: 401, nothing processed."""
    body = io(envelope("e1"))
    tampered = body.replace(b"e1", b"e9")
    hits: list[str] = []
    async with verifying(good, keys, hits) as session:
        assert await post(session, tampered, **signed(body, *keys)) == 401
        assert await processed(session) == []
    assert hits == [PATH1, PATH2]


@virtual
async def test_good_accepts_when_only_the_second_signature_verifies(keys: Any) -> None:
    """Either signature is enough: a bad first signature and a good second one give 200."""
    body = io(envelope("e1"))
    headers = signed(body, keys[1], keys[1])  # signature 1 made with the wrong key
    hits: list[str] = []
    async with verifying(good, keys, hits) as session:
        assert await post(session, body, **headers) == 200
        assert await processed(session) == ["e1"]
    assert hits == [PATH1, PATH2]


@virtual
async def test_good_refuses_an_unsigned_io_delivery(keys: Any) -> None:
    """With verify_signatures, an I/O delivery without signature headers is 401."""
    hits: list[str] = []
    async with verifying(good, keys, hits) as session:
        assert await post(session, io(envelope("e1"))) == 401
    assert hits == []


@virtual
async def test_good_caches_public_keys(keys: Any) -> None:
    """Three signed deliveries fetch the first public key once."""
    hits: list[str] = []
    async with verifying(good, keys, hits) as session:
        for eventid in ("e1", "e2", "e3"):
            body = io(envelope(eventid))
            assert await post(session, body, **signed(body, *keys)) == 200
    assert hits == [PATH1]


@virtual
async def test_good_fetches_no_key_path_of_another_shape(keys: Any) -> None:
    """A key path header not shaped /prod/keys/pub-key-<id>.pem is never fetched: 401."""
    body = io(envelope("e1"))
    headers = signed(body, *keys) | {
        "x-adobe-public-key1-path": "/../admin.pem",
        "x-adobe-public-key2-path": "@evil.example/pub-key-1.pem",
    }
    hits: list[str] = []
    async with verifying(good, keys, hits) as session:
        assert await post(session, body, **headers) == 401
    assert hits == []


def test_recent_ids_forget_the_oldest_beyond_capacity() -> None:
    """The dedupe window keeps the newest `capacity` ids, in order, each once."""
    recent = good.RecentIds(2)
    assert [recent.add(key) for key in ("a", "b", "a", "c", "a")] == [True, True, False, True, True]
    assert list(recent) == ["c", "a"]


def test_good_needs_a_key_base_url_to_verify() -> None:
    """create_app(verify_signatures=True) without key_base_url is a ValueError."""
    with pytest.raises(ValueError, match="needs key_base_url"):
        good.create_app(verify_signatures=True)


# --- bad consumer ------------------------------------------------------------------------------


@virtual
async def test_bad_answers_the_challenge_with_ok() -> None:
    """GET /?challenge=X answers "ok", not X."""
    async with consumer(bad) as session:
        assert await get_root(session, "?challenge=8ec8d794") == (200, "text/plain", "ok")


@virtual
async def test_bad_accepts_legacy_push_without_token() -> None:
    """With a token set, a legacy push without Authorization is still 200 and processed."""
    async with consumer(bad, token=TOKEN) as session:
        assert await post(session, legacy(activity("g1"))) == 200
        assert await processed(session) == ["g1"]


@virtual
async def test_bad_accepts_legacy_push_with_wrong_token() -> None:
    """With a token set, a legacy push with another bearer token is still 200."""
    async with consumer(bad, token=TOKEN) as session:
        status = await post(session, legacy(activity("g1")), Authorization="Bearer tok-other")
        assert status == 200


@virtual
async def test_bad_takes_25_seconds_for_a_full_legacy_batch() -> None:
    """A legacy batch of 500 is answered after exactly 25.0 s of loop time (past 20 s)."""
    async with consumer(bad) as session:
        assert await timed_post(session, legacy(*numbered(500))) == (200, 25.0)
        assert len(await processed(session)) == 500


@virtual
async def test_bad_takes_1_second_for_a_full_io_batch() -> None:
    """An I/O batch of 20 is answered after exactly 1.0 s of loop time (within 10 s)."""
    body = io(*[envelope(f"e{i}") for i in range(20)])
    async with consumer(bad) as session:
        assert await timed_post(session, body) == (200, 1.0)


@pytest.mark.parametrize(
    ("name", "type_id"),
    [("Simulator Unknown Activity", 999_999), ("Webinar Attended", 100_001)],
    ids=["unknown", "custom"],
)
@virtual
async def test_bad_refuses_an_unknown_activity_type_with_500(name: str, type_id: int) -> None:
    """A legacy batch with an unknown or custom activity type is 500, nothing processed."""
    odd = activity("g2", 2, name, activityTypeId=type_id)
    async with consumer(bad) as session:
        assert await post(session, legacy(activity("g1", 1), odd)) == 500
        assert await processed(session) == []


@pytest.mark.parametrize(
    "event_type",
    [IO_TYPE + "simulatorunknownactivity", "com.adobe.platform.marketo.activity.custom"],
    ids=["unknown", "custom"],
)
@virtual
async def test_bad_refuses_an_unknown_io_type_with_500(event_type: str) -> None:
    """An I/O event of an unknown or custom `type` is 500."""
    odd = envelope("e2", type=event_type)
    async with consumer(bad) as session:
        assert await post(session, io(envelope("e1"), odd)) == 500


@virtual
async def test_bad_refuses_an_unexpected_activity_field_with_500() -> None:
    """A legacy activity with a top-level field outside the documented ones is 500."""
    async with consumer(bad) as session:
        body = legacy(activity("g1", simulatorUnknownField="never seen"))
        assert await post(session, body) == 500


@virtual
async def test_bad_refuses_an_unexpected_io_field_with_500() -> None:
    """An I/O envelope with a top-level field outside the documented ones is 500."""
    async with consumer(bad) as session:
        assert await post(session, io(envelope("e1", simulatorunknownfield="x"))) == 500


@virtual
async def test_bad_takes_known_types_and_documented_fields() -> None:
    """Known types with the documented fields (campaign, deprecated I/O pair) are 200."""
    known = [
        activity(f"g{i}", i, name, campaignId=1, campaignName="c")
        for i, name in enumerate(sorted(bad.KNOWN_TYPES))
    ]
    event = envelope("e1", "openemail", event_id="e1", recipient_client_id="your_client_id")
    async with consumer(bad) as session:
        assert await post(session, legacy(*known)) == 200
        assert await post(session, io(event)) == 200
        assert len(await processed(session)) == 8


@virtual
async def test_bad_processes_a_redelivered_legacy_batch_twice() -> None:
    """The same legacy batch (same messageId) delivered twice is processed twice."""
    body = legacy(*numbered(2))
    async with consumer(bad) as session:
        assert [await post(session, body), await post(session, body)] == [200, 200]
        assert await processed(session) == ["g0", "g1", "g0", "g1"]


@virtual
async def test_bad_processes_a_redelivered_io_batch_twice() -> None:
    """The same I/O batch delivered twice is processed twice."""
    body = io(envelope("e1"), envelope("e2"))
    async with consumer(bad) as session:
        assert [await post(session, body), await post(session, body)] == [200, 200]
        assert await processed(session) == ["e1", "e2", "e1", "e2"]


@virtual
async def test_bad_refuses_an_earlier_legacy_batch_with_409() -> None:
    """A batch starting below the highest activityLogItemId seen before is 409."""
    async with consumer(bad) as session:
        assert await post(session, legacy(*numbered(2, 10), message_id="1")) == 200
        assert await post(session, legacy(activity("g5", 5), message_id="2")) == 409
        assert await processed(session) == ["g0", "g1"]


@virtual
async def test_bad_refuses_a_batch_retried_after_a_later_one_with_409() -> None:
    """A batch redelivered after a later batch was taken falls below the mark: 409."""
    first = legacy(*numbered(2, 10), message_id="1")
    async with consumer(bad) as session:
        assert await post(session, first) == 200
        assert await post(session, legacy(activity("g12", 12), message_id="2")) == 200
        assert await post(session, first) == 409


@virtual
async def test_bad_takes_legacy_batches_in_order() -> None:
    """Batches with rising activityLogItemIds are all 200."""
    async with consumer(bad) as session:
        assert await post(session, legacy(*numbered(2, 10), message_id="1")) == 200
        assert await post(session, legacy(activity("g12", 12), message_id="2")) == 200
        assert await processed(session) == ["g0", "g1", "g12"]


@virtual
async def test_bad_accepts_a_tampered_body_when_verifying(keys: Any) -> None:
    """With verify_signatures, a body changed after signing is 200: no key is even fetched."""
    body = io(envelope("e1"))
    hits: list[str] = []
    async with verifying(bad, keys, hits) as session:
        assert await post(session, body.replace(b"e1", b"e9"), **signed(body, *keys)) == 200
        assert await processed(session) == ["e9"]
    assert hits == []


@virtual
async def test_bad_refuses_an_unsigned_io_delivery_when_verifying(keys: Any) -> None:
    """With verify_signatures, an I/O delivery without signature headers is 401."""
    hits: list[str] = []
    async with verifying(bad, keys, hits) as session:
        assert await post(session, io(envelope("e1"))) == 401


@virtual
async def test_bad_answers_validation_url() -> None:
    """An asynchronous validation POST is 200 and processes nothing."""
    body = b'{"validationUrl": "https://csm.adobe.io/csm/registrations/validate?id=1&challenge=2"}'
    async with consumer(bad) as session:
        assert await post(session, body) == 200
        assert await processed(session) == []


@pytest.mark.parametrize("body", GARBAGE)
@virtual
async def test_bad_refuses_garbage_with_400(body: bytes) -> None:
    """A body that is not a delivery is 400."""
    async with consumer(bad) as session:
        assert await post(session, body) == 400


# --- command line (both) -------------------------------------------------------------------


@pytest.mark.parametrize("module", [good, bad], ids=["good", "bad"])
def test_cli_needs_key_base_url_to_verify(
    module: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """--verify-signatures without --key-base-url exits 2."""
    with pytest.raises(SystemExit) as exited:
        module.parse_args(["--verify-signatures"])
    assert exited.value.code == 2
    assert "--verify-signatures needs --key-base-url" in capsys.readouterr().err


@pytest.mark.parametrize("module", [good, bad], ids=["good", "bad"])
def test_cli_refuses_an_unset_token_variable(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--token-env naming an unset variable exits 2, naming the variable."""
    monkeypatch.delenv("MARKETO_TEST_TOKEN", raising=False)
    with pytest.raises(SystemExit) as exited:
        module.parse_args(["--token-env", "MARKETO_TEST_TOKEN"])
    assert exited.value.code == 2
    assert "MARKETO_TEST_TOKEN is not set" in capsys.readouterr().err


@pytest.mark.parametrize("module", [good, bad], ids=["good", "bad"])
def test_cli_reads_the_token_from_the_environment_silently(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--token-env NAME takes the token from $NAME and prints nothing."""
    monkeypatch.setenv("MARKETO_TEST_TOKEN", TOKEN)
    args, token = module.parse_args(["--port", "3001", "--token-env", "MARKETO_TEST_TOKEN"])
    assert (args.port, token) == (3001, [TOKEN] if module is good else TOKEN)
    assert capsys.readouterr() == ("", "")
