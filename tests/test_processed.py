"""The consumer's own account of what it processed: parsed from JSON or lines, read from a URL
or a command, every problem a `ProbeError` naming the source."""

from __future__ import annotations

import pytest
from aiohttp import web
from loopback import served, virtual

from simulator.contract.processed import ProbeError, ProcessedCommand, ProcessedUrl, parse_processed
from simulator.shell import clock


@pytest.mark.parametrize(
    ("data", "ids"),
    [
        pytest.param(b'{"processed": ["a", "b", "a"]}', ["a", "b", "a"], id="object"),
        pytest.param(b'["a", 7]', ["a", "7"], id="list"),
        pytest.param(b"a\n\n b \n", ["a", "b"], id="lines"),
    ],
)
def test_processed_ids_are_read_as_json_or_lines(data: bytes, ids: list[str]) -> None:
    """A JSON list, {"processed": [...]}, or one id per line."""
    assert parse_processed(data) == ids


def test_a_processed_listing_of_another_shape_is_refused() -> None:
    """JSON that is neither a list nor {"processed": [...]} is an error, not an empty list."""
    with pytest.raises(ProbeError):
        parse_processed(b'{"ids": []}')


def test_a_json_string_is_not_a_listing() -> None:
    """A lone JSON value is refused with what a listing may look like."""
    with pytest.raises(
        ProbeError, match=r'expected a JSON list, \{"processed": \[...\]\} or one id'
    ):
        parse_processed(b'"a"')


def listing(
    status: int = 200, body: bytes = b'{"processed": ["e1", "e2", "e1"]}'
) -> web.Application:
    """An app whose /processed answers `status` with `body`."""

    async def processed(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/processed", processed)
    return app


@virtual
async def test_a_url_lists_the_processed_ids() -> None:
    """A GET on the URL; an id appears as often as it was processed."""
    async with served(listing()) as url:
        source = ProcessedUrl(f"{url}processed")
        try:
            assert await source.read() == ["e1", "e2", "e1"]
            assert await source.read() == ["e1", "e2", "e1"]  # one session, read again
        finally:
            await source.close()


@pytest.mark.parametrize("status", [302, 404, 500])
@virtual
async def test_a_url_answering_other_than_200_is_an_error(status: int) -> None:
    """Redirects are not followed; any answer but 200 names the URL and the status."""
    async with served(listing(status=status)) as url:
        source = ProcessedUrl(f"{url}processed")
        try:
            with pytest.raises(ProbeError, match=f"GET {url}processed answered HTTP {status}"):
                await source.read()
        finally:
            await source.close()


def test_a_command_lists_the_processed_ids() -> None:
    """Standard output, one id per line (on the real clock: a command runs with real pipes)."""
    source = ProcessedCommand("printf 'e1\\ne2\\n'")
    assert clock.run(source.read()) == ["e1", "e2"]


def test_a_failing_command_is_named_with_its_exit_status_and_error() -> None:
    """A command that fails says how, with the end of its standard error."""
    source = ProcessedCommand("echo 'no database' >&2; exit 3")
    with pytest.raises(ProbeError, match=r"exited with 3: no database$"):
        clock.run(source.read())
