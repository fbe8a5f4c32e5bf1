"""The live page in a real browser: Debian's headless Chromium, driven by Playwright, on a real
`marketo-sim run --control-port 0` at --speed 10 whose dev endpoint answers slowly.

The page is loaded with the run's control token, a burst is clicked, and the page's table shows
the queue rise and drain, with the step listed. Every wait is bounded (`WAIT`) and none is a
timing. Without /usr/bin/chromium the module is skipped, except in CI (`CI` set, as `.ci/run`
does), where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import simulator_process

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium (CI installs it: .ci/run)", allow_module_level=True)

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright  # noqa: E402

from simulator.reports.chartdata import STATE_COLOURS  # noqa: E402

WAIT = 30.0  # seconds: a bound on each wait, never a timing
TOKEN = "page-test-token"
# Chromium from Debian, never Playwright's own download, and nothing that reaches the network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# No events but the burst; the dev endpoint takes a second per push (at most one push in flight
# per subscription, 500 events a batch every 2 s), so 5,000 events take about 20 simulated
# seconds, 2 real ones at --speed 10, to drain. The control token guards the page.
RUN = """\
munchkinId: 123-ABC-456
seed: 5
duration: 1h
receiver:
  tokenEnv: PAGE_TEST_TOKEN
  latency: 1s
subscriptions:
  - name: leads
    rate: 0
    auth: {type: token, tokenEnv: PAGE_TEST_TOKEN}
    delivery: {phase: aligned}
"""


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running `marketo-sim run --control-port 0`; yields its control URL (ending in /)."""
    folder = tmp_path_factory.mktemp("live")
    (folder / "run.yaml").write_text(RUN)
    argv = ["run", "run.yaml", "--speed", "10", "--control-port", "0"]
    env = {"COLUMNS": "200", "PAGE_TEST_TOKEN": TOKEN}
    with simulator_process(folder, *argv, env=env) as child:
        found = re.compile(r"control\D*?(http://127\.0\.0\.1:\d+)/?")
        line = child.until(lambda text: found.search(text) is not None)[-1]
        match = found.search(line)
        assert match is not None
        yield f"{match.group(1)}/"


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, with a new empty profile."""
    assert CHROMIUM.exists(), "CI needs /usr/bin/chromium: .ci/run installs it from Debian"
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), args=FLAGS
        )
        try:
            yield context
        finally:
            context.close()


def queued(page: Page) -> int:
    return int(page.text_content('tr[data-sub="leads"] td.queued', timeout=WAIT * 1000) or "-1")


def test_a_burst_clicked_on_the_page_fills_the_queue_and_it_drains(
    control: str, browser: BrowserContext
) -> None:
    """The page loaded with the token shows `leads` idle; after a burst of 5,000 its queue rises
    past 1,000, then drains to 0, and the step is listed as applied. The page asks nothing of
    any other origin."""
    page = browser.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{control}?token={TOKEN}", timeout=WAIT * 1000)
    page.wait_for_selector('tr[data-sub="leads"]', timeout=WAIT * 1000)
    assert queued(page) == 0
    page.fill("#count", "5000")
    page.click("button:text-is('burst')")
    page.wait_for_selector("#answer.ok", timeout=WAIT * 1000)
    # Playwright's own assertions poll the DOM from its isolated world, which the page's policy
    # (no eval) does not stop. "1,234": the page groups thousands, so 1,000 or more.
    cell = page.locator('tr[data-sub="leads"] td.queued')
    expect(cell).to_have_text(re.compile(r"\d{1,3}(,\d{3})+"), timeout=WAIT * 1000)
    expect(cell).to_have_text("0", timeout=WAIT * 1000)
    answer = page.text_content("#answer") or ""
    assert re.fullmatch(r"\+00:\d\d:\d\d applied burst: subscription=leads, count=5000", answer)
    assert "burst: subscription=leads, count=5000" in (page.text_content("#steps") or "")
    lane = page.locator('#timeline .lane[data-sub="leads"] rect')
    assert lane.first.get_attribute("fill") == STATE_COLOURS["active"]
    assert [url for url in asked if not url.startswith(control)] == []
    page.close()


def test_a_step_the_run_refuses_shows_its_error(control: str, browser: BrowserContext) -> None:
    """`enable` on a legacy subscription: the page shows the server's 409 and its reason."""
    page = browser.new_page()
    page.goto(f"{control}?token={TOKEN}", timeout=WAIT * 1000)
    page.wait_for_selector('#sub option[value="leads"]', state="attached", timeout=WAIT * 1000)
    page.click("button:text-is('enable')")
    page.wait_for_selector("#answer.ko", timeout=WAIT * 1000)
    assert (page.text_content("#answer") or "").startswith("409: ")
    page.close()


@pytest.mark.parametrize("path", ["", "events", "status"])
def test_without_the_token_every_route_is_refused(control: str, path: str) -> None:
    """With a control token set, the page, its events and the status answer 401 without it."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{control}{path}", timeout=WAIT)
    refused.value.close()
    assert refused.value.code == 401


@pytest.mark.parametrize("how", ["query", "header"])
def test_with_the_token_the_status_answers(control: str, how: str) -> None:
    """The token works as `?token=` (what the page uses: EventSource sends no header) and as
    `Authorization: Bearer`."""
    if how == "query":
        request = urllib.request.Request(f"{control}status?token={TOKEN}")
    else:
        request = urllib.request.Request(
            f"{control}status", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        document = json.load(response)
    assert (response.status, document["version"], document["of"]) == (200, 1, 1)
