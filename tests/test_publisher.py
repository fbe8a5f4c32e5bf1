"""Adobe's side of the I/O path over real HTTP on 127.0.0.1, on a looptime loop: the key host,
the Journaling API, the async validation URL and the manual re-enable."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import pytest
from loopback import client_session, virtual

from simulator.core.journal import Journal, JournalEntry
from simulator.core.queue import RetentionQueue
from simulator.errors import ConfigError
from simulator.shell.publisher import MAX_PAGE_BYTES, Publisher

AUTH = {"Authorization": "Bearer ims-token", "x-api-key": "client-id"}
KEY_PATH = "/prod/keys/pub-key-Ptc2pD9vT9.pem"
PEM = b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----\n"


@dataclass
class FakeRegistration:
    """A registration whose events are tiny dicts and whose clock is set by hand."""

    name: str = "reg-1"
    journal: Journal = field(default_factory=lambda: Journal(registration_id="reg-1"))
    clock: float = 100.0
    pad: int = 0  # bytes of padding per event, to reach the page size cap
    pending: set[str] = field(default_factory=set)
    validations: list[str] = field(default_factory=list)
    state: str = "DISABLED"
    enables: int = 0

    def materialise(self, entries: Sequence[JournalEntry]) -> list[dict[str, Any]]:
        padding = {"pad": "x" * self.pad} if self.pad else {}
        return [{"id": f"evt-{e.seq}", "at": e.at, **padding} for e in entries]

    def enable(self) -> str:
        self.enables += 1
        self.state = "ACTIVE"
        return self.state

    def validate(self, challenge: str) -> bool:
        self.validations.append(challenge)
        if challenge in self.pending:
            self.pending.discard(challenge)
            return True
        return False

    def now(self) -> float:
        return self.clock

    def produce(self, count: int) -> None:
        """`count` events, event k (from 0) at k + 1 seconds."""
        self.journal.record(RetentionQueue().produce(count, origin=0.0, k0=1, spacing=1.0))


def registration(count: int = 0, **kwargs: Any) -> FakeRegistration:
    fake = FakeRegistration(**kwargs)
    fake.produce(count)
    return fake


@contextlib.asynccontextmanager
async def serving(
    *registrations: FakeRegistration,
    keys: Callable[[], Mapping[str, bytes]] | None = None,
    control_token: str | None = None,
) -> AsyncIterator[tuple[Publisher, aiohttp.ClientSession]]:
    publisher = Publisher(keys=keys or (lambda: {KEY_PATH: PEM}), control_token=control_token)
    for r in registrations:
        publisher.add(r)
    await publisher.start()
    try:
        async with client_session() as session:
            yield publisher, session
    finally:
        await publisher.stop()


async def fetch(
    session: aiohttp.ClientSession, url: str, headers: Mapping[str, str] = AUTH
) -> tuple[int, Any, bytes]:
    """(status, headers, body) of a GET."""
    async with session.get(url, headers=headers) as response:
        return response.status, response.headers, await response.read()


# --- key host ------------------------------------------------------------------------------------


@virtual
async def test_public_key_is_served_as_pem() -> None:
    """GET /prod/keys/pub-key-<id>.pem answers the PEM as application/x-pem-file, no auth."""
    async with serving() as (publisher, session):
        status, headers, body = await fetch(session, publisher.url + KEY_PATH[1:], {})
    assert (status, headers["Content-Type"], body) == (200, "application/x-pem-file", PEM)


@virtual
async def test_unknown_key_is_404() -> None:
    """A key path not in the current set answers 404."""
    async with serving() as (publisher, session):
        status, _, _ = await fetch(session, publisher.url + "prod/keys/pub-key-nope.pem")
    assert status == 404


@virtual
async def test_key_rotation_shows_at_once() -> None:
    """The key set is asked for on every request, so a rotated key is served immediately."""
    current = {KEY_PATH: PEM}
    async with serving(keys=lambda: current) as (publisher, session):
        current = {"/prod/keys/pub-key-new.pem": b"NEW"}
        old, _, _ = await fetch(session, publisher.url + KEY_PATH[1:])
        new, _, body = await fetch(session, publisher.url + "prod/keys/pub-key-new.pem")
    assert (old, new, body) == (404, 200, b"NEW")


# --- Journaling API ------------------------------------------------------------------------------


@virtual
async def test_journal_page_has_events_and_page_info() -> None:
    """A 200 page is `{"events": [{"position", "event"}], "_page": {"last", "count"}}`."""
    reg = registration(2)
    async with serving(reg) as (publisher, session):
        status, headers, body = await fetch(session, publisher.journal_url("reg-1"))
    p0, p1 = reg.journal.position(0), reg.journal.position(1)
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert orjson.loads(body) == {
        "events": [
            {"position": p0, "event": {"id": "evt-0", "at": 1.0}},
            {"position": p1, "event": {"id": "evt-1", "at": 2.0}},
        ],
        "_page": {"last": p1, "count": 2},
    }


@virtual
async def test_next_link_is_absolute_and_keeps_limit() -> None:
    """`?limit=2` answers a `rel="next"` link to since=<last>&limit=2 on the same URL."""
    reg = registration(5)
    async with serving(reg) as (publisher, session):
        url = publisher.journal_url("reg-1")
        _, headers, _ = await fetch(session, url + "?limit=2")
    assert headers.getall("Link") == [
        f'<{url}?since={reg.journal.position(1)}&limit=2>; rel="next"'
    ]


@virtual
async def test_following_next_links_reads_everything_once() -> None:
    """Following next links with limit=2 reads 5 events in pages of 2, 2, 1, then 204."""
    async with serving(registration(5)) as (publisher, session):
        url, statuses, ids = publisher.journal_url("reg-1") + "?limit=2", [], []
        while not statuses or statuses[-1] == 200:
            async with session.get(url, headers=AUTH) as response:
                statuses.append(response.status)
                if response.status == 200:
                    ids += [e["event"]["id"] for e in (await response.json())["events"]]
                url = str(response.links["next"]["url"])
    assert statuses == [200, 200, 200, 204]
    assert ids == ["evt-0", "evt-1", "evt-2", "evt-3", "evt-4"]


@virtual
async def test_end_of_journal_is_204_with_retry_after_and_two_links() -> None:
    """At the end: 204, `retry-after: 10`, a next link to the same position and a validate link."""
    reg = registration(3)
    last = reg.journal.position(2)
    async with serving(reg) as (publisher, session):
        url = publisher.journal_url("reg-1")
        status, headers, body = await fetch(session, f"{url}?since={last}&limit=5")
    assert (status, headers["retry-after"], body) == (204, "10", b"")
    assert headers.getall("Link") == [
        f'<{url}?since={last}&limit=5>; rel="next"',
        f'<{url}/validate?since={last}>; rel="validate"',
    ]


@virtual
async def test_latest_answers_204_pointing_at_the_end() -> None:
    """`latest=true` answers 204 whose next link starts after the newest event."""
    reg = registration(3)
    async with serving(reg) as (publisher, session):
        url = publisher.journal_url("reg-1")
        status, headers, _ = await fetch(session, url + "?latest=true")
    assert status == 204
    assert headers.getall("Link")[0] == f'<{url}?since={reg.journal.position(2)}>; rel="next"'


@virtual
async def test_expired_position_is_410_with_the_exact_body() -> None:
    """A position whose following events have expired answers 410 with Adobe's sentence."""
    reg = registration(100, journal=Journal(registration_id="reg-1", retention=10.0))
    since = reg.journal.position(5)
    async with serving(reg) as (publisher, session):
        status, _, body = await fetch(session, publisher.journal_url("reg-1") + f"?since={since}")
    assert (status, body.decode()) == (410, f"Events at position {since} have expired.")


@virtual
async def test_seek_with_since_is_400() -> None:
    """`seek` combined with `since` answers 400."""
    reg = registration(5)
    query = f"?seek=-PT2H&since={reg.journal.position(1)}"
    async with serving(reg) as (publisher, session):
        status, _, body = await fetch(session, publisher.journal_url("reg-1") + query)
    assert (status, body.decode()) == (400, "seek and since cannot be used together.")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param("limit=abc", "limit must be a positive integer.", id="limit-text"),
        pytest.param("limit=0", "limit must be a positive integer.", id="limit-zero"),
        pytest.param("limit=1&limit=2", "limit is given more than once.", id="limit-twice"),
        pytest.param("latest=yes", "latest must be true or false.", id="latest"),
        pytest.param("seek=PT2H", "seek 'PT2H': expected a negative ISO-8601 duration", id="seek"),
        pytest.param("since=" + "x" * 201, "since is longer than 200 characters.", id="too-long"),
        pytest.param("since=camel:1:2", "Invalid position camel:1:2.", id="position"),
    ],
)
@virtual
async def test_malformed_parameter_is_400(query: str, message: str) -> None:
    """A malformed, repeated or oversized query parameter answers 400 naming it."""
    async with serving(registration(5)) as (publisher, session):
        status, _, body = await fetch(session, publisher.journal_url("reg-1") + "?" + query)
    assert (status, body.decode()) == (400, message)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"x-api-key": "client-id"}, id="no-authorization"),
        pytest.param({"Authorization": "Bearer ", "x-api-key": "client-id"}, id="empty-token"),
        pytest.param({"Authorization": "Basic abc", "x-api-key": "client-id"}, id="not-bearer"),
        pytest.param({"Authorization": "Bearer ims-token"}, id="no-api-key"),
    ],
)
@virtual
async def test_journal_without_credentials_is_401(headers: dict[str, str]) -> None:
    """The journal needs `Authorization: Bearer <token>` and `x-api-key`, else a JSON 401."""
    async with serving(registration(5)) as (publisher, session):
        status, response_headers, body = await fetch(
            session, publisher.journal_url("reg-1"), headers
        )
    assert (status, response_headers["Content-Type"]) == (401, "application/json")
    assert orjson.loads(body)["error"] == "unauthorized"


@virtual
async def test_page_stops_before_one_and_a_half_megabytes() -> None:
    """With 100 kB events a page holds 14 of them (15 would pass 1.5 MB) and links on from the
    14th."""
    reg = registration(30, pad=100_000)
    async with serving(reg) as (publisher, session):
        _, headers, body = await fetch(session, publisher.journal_url("reg-1") + "?limit=30")
    page = orjson.loads(body)
    assert (page["_page"]["count"], len(page["events"])) == (14, 14)
    assert len(body) <= MAX_PAGE_BYTES
    assert f"since={reg.journal.position(13)}&limit=30" in headers["Link"]


@virtual
async def test_short_alias_serves_the_journal_and_links_to_itself() -> None:
    """`/journal/{registration}` reads the same journal; its links stay on the alias."""
    reg = registration(3)
    async with serving(reg) as (publisher, session):
        status, headers, _ = await fetch(session, publisher.url + "journal/reg-1?limit=1")
    next_url = f"{publisher.url}journal/reg-1?since={reg.journal.position(0)}&limit=1"
    assert (status, headers["Link"]) == (200, f'<{next_url}>; rel="next"')


@virtual
async def test_journal_of_another_org_is_404() -> None:
    """A journal URL naming another organization answers 404."""
    async with serving(registration(3)) as (publisher, session):
        url = publisher.journal_url("reg-1").replace(publisher.org_id, "OTHER@AdobeOrg")
        status, _, _ = await fetch(session, url)
    assert status == 404


@virtual
async def test_validate_link_answers_204_for_a_readable_position() -> None:
    """The `rel="validate"` link of a 204 answers 204 while its position can be read from."""
    reg = registration(3)
    last = reg.journal.position(2)
    async with serving(reg) as (publisher, session):
        status, _, _ = await fetch(
            session, publisher.journal_url("reg-1") + f"/validate?since={last}"
        )
    assert status == 204


# --- async validation and re-enable --------------------------------------------------------------


@virtual
async def test_validation_url_calls_validate() -> None:
    """A GET on the validation URL passes its challenge to `validate` and answers 200."""
    reg = registration(pending={"c-8ec8d794"})
    async with serving(reg) as (publisher, session):
        status, _, _ = await fetch(session, publisher.validation_url("reg-1", "c-8ec8d794"), {})
    assert (status, reg.validations) == (200, ["c-8ec8d794"])


@virtual
async def test_validation_url_without_a_pending_challenge_is_404() -> None:
    """A challenge that matches nothing pending answers 404."""
    reg = registration(pending={"c-1"})
    async with serving(reg) as (publisher, session):
        status, _, _ = await fetch(session, publisher.validation_url("reg-1", "c-2"), {})
    assert (status, reg.pending) == (404, {"c-1"})


@virtual
async def test_validation_url_without_challenge_is_400() -> None:
    """A validation URL missing its challenge answers 400 and calls nothing."""
    reg = registration()
    async with serving(reg) as (publisher, session):
        url = publisher.url + "csm/registrations/validate?id=reg-1"
        status, _, _ = await fetch(session, url, {})
    assert (status, reg.validations) == (400, [])


@virtual
async def test_enable_endpoint_calls_enable() -> None:
    """POST /_sim/registrations/{name}/enable calls `enable` and answers the new state."""
    reg = registration()
    async with serving(reg) as (publisher, session):
        url = publisher.url + "_sim/registrations/reg-1/enable"
        async with session.post(url) as response:
            answer = (response.status, await response.json())
    assert (answer, reg.enables) == ((200, {"state": "ACTIVE"}), 1)


@virtual
async def test_registrations_listing_shows_journal_sizes() -> None:
    """GET /_sim/registrations lists each registration with its journal's events and spans."""
    async with serving(registration(7)) as (publisher, session):
        status, _, body = await fetch(session, publisher.url + "_sim/registrations", {})
    assert (status, orjson.loads(body)) == (
        200,
        {"registrations": [{"name": "reg-1", "events": 7, "spans": 1}]},
    )


CONTROL = [("POST", "_sim/registrations/reg-1/enable"), ("GET", "_sim/registrations")]


@pytest.mark.parametrize(("method", "path"), CONTROL)
@virtual
async def test_a_control_route_needs_the_runs_token_when_one_is_set(method: str, path: str) -> None:
    """With a control token, a request without it (or with another) gets the dev endpoint's 401
    and changes nothing; with `Authorization: Bearer <token>` it is served."""
    reg = registration()
    async with serving(reg, control_token="tok-SECRET") as (publisher, session):
        for headers in ({}, {"Authorization": "Bearer tok-OTHER"}):
            async with session.request(method, publisher.url + path, headers=headers) as refused:
                assert (refused.status, await refused.json()) == (
                    401,
                    {"error": "the control routes need the token: Authorization: Bearer <token>"},
                )
                assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert reg.enables == 0
        allowed = {"Authorization": "Bearer tok-SECRET"}
        async with session.request(method, publisher.url + path, headers=allowed) as response:
            assert response.status == 200


@virtual
async def test_control_routes_stay_open_without_a_token() -> None:
    """Without a control token (no token in the run), the control routes are open, as the dev
    endpoint's are."""
    async with serving(registration()) as (publisher, session):
        status, _, _ = await fetch(session, publisher.url + "_sim/registrations", {})
    assert status == 200


def test_adding_a_registration_twice_is_refused() -> None:
    """Two registrations cannot share a name."""
    publisher = Publisher(keys=dict)
    publisher.add(registration())
    with pytest.raises(ConfigError, match="added twice"):
        publisher.add(registration())
