"""The pytest plugin as a user installs it: the README's example and a Starlette app pass with no
ini settings, a missing pytest-asyncio is said plainly, and the entry point loads nothing heavy.

Each test runs pytest in a child process, in a directory of its own with an empty `[pytest]`
section (so no setting of this project's applies), with the plugins the environment registers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 120  # seconds: a bound on a hung child, not a timing


def readme_example() -> str:
    """The Python block of README's "A pytest plugin for consumers written in Python"."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### A pytest plugin for consumers written in Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the section has a python example"
    return match.group(1)


STARLETTE_TEST = '''
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

RUN = """
munchkinId: 123-ABC-456
subscriptions: [{name: leads, rate: 10, delivery: {phase: aligned}}]
"""


def create_app():
    seen = []

    async def push(request: Request) -> Response:
        seen.extend(a["marketoGUID"] for a in (await request.json())["activities"])
        return Response(status_code=200)

    async def processed(request: Request) -> Response:
        return JSONResponse({"processed": seen})

    return Starlette(routes=[Route("/", push, methods=["POST"]),
                             Route("/processed", processed)])


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_starlette_consumer_keeps_up(marketo_producer):
    app = create_app()
    sim = await marketo_producer(RUN, app=app)
    await sim.advance(600)  # ten minutes of pushes, in the test's loop
    sim.assert_all_acknowledged()
    sim.assert_no_failed_attempts()
    assert sim.outcomes("leads") == {"HTTP 200": 300}
    assert sim.ledger("leads").acknowledged == 6000
'''


def pytest_in(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in `directory` as a user would, with an empty ini file there."""
    (directory / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )


def with_examples(directory: Path) -> None:
    (directory / "good_consumer.py").write_text((ROOT / "examples/good_consumer.py").read_text())
    (directory / "test_readme.py").write_text(readme_example())


def test_the_readme_example_and_a_starlette_app_pass_with_no_ini_settings(tmp_path: Path) -> None:
    """The README's example, verbatim, and a Starlette consumer served by uvicorn in the test's
    loop pass on the first try: no asyncio_mode, no -p, nothing but the installed plugins."""
    with_examples(tmp_path)
    (tmp_path / "test_starlette.py").write_text(STARLETTE_TEST)
    result = pytest_in(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


SCALED_CONFTEST = """
from simulator.testing.scaled import scaled_loop


def pytest_asyncio_loop_factories(config, item):
    return {"scaled": scaled_loop(120)}
"""

SCALED_TEST = '''
import asyncio
import threading

import pytest
from aiohttp import web
from good_consumer import create_app

RUN = """
munchkinId: 123-ABC-456
subscriptions:
  - {name: leads, rate: 10, delivery: {phase: aligned}, auth: {type: token, tokenEnv: T}}
"""


@pytest.fixture
def consumer_url():
    """good_consumer in a thread of its own: outside the test's loop, like a staging host."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(token="t"), access_log=None)

    async def start():
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}/"

    url = loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield url
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


@pytest.mark.asyncio
async def test_a_consumer_by_url_on_a_scaled_clock(marketo_producer, consumer_url):
    sim = await marketo_producer(RUN, url=consumer_url, env={"T": "t"})
    await sim.advance(60)  # a simulated minute: half a real second at speed 120
    assert sim.speed == 120
    assert sim.now >= 60
    sim.assert_no_failed_attempts()
    assert sim.ledger("leads").acknowledged > 0  # time runs on: the latest events may wait
'''


def test_a_consumer_by_url_runs_on_a_scaled_clock(tmp_path: Path) -> None:
    """url= on a loop scaled by a conftest's `pytest_asyncio_loop_factories`: the producer's
    clock runs 120 times faster than real time, and the consumer takes every push."""
    (tmp_path / "good_consumer.py").write_text((ROOT / "examples/good_consumer.py").read_text())
    (tmp_path / "conftest.py").write_text(SCALED_CONFTEST)
    (tmp_path / "test_scaled.py").write_text(SCALED_TEST)
    result = pytest_in(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_without_pytest_asyncio_the_fixture_says_what_to_install(tmp_path: Path) -> None:
    """With pytest-asyncio absent (here: switched off), a test using the fixture fails saying
    what to install, and an unrelated test with fixtures still passes (looptime's plugin, which
    would fail it, is switched off)."""
    with_examples(tmp_path)
    (tmp_path / "test_other.py").write_text(
        "def test_unrelated(tmp_path):\n    assert tmp_path.exists()\n"
    )
    result = pytest_in(tmp_path, "-p", "no:asyncio", "-W", "error")
    assert "1 passed, 1 error" in result.stdout, result.stdout + result.stderr
    assert (
        "marketo_producer needs pytest-asyncio, which runs async tests: "
        "pip install 'marketo-stream-simulator[pytest]'"
    ) in result.stdout
    assert "NoneType" not in result.stdout


def test_the_entry_point_imports_nothing_of_the_simulator() -> None:
    """Loading the pytest11 module (every pytest run in the environment does) imports pytest
    and the package's bare __init__, not the simulator, aiohttp or uvicorn."""
    code = textwrap.dedent(
        """
        import sys
        before = set(sys.modules)
        import pytest
        import simulator.pytest_plugin
        new = set(sys.modules) - before
        print(sorted(m for m in new if m.split(".")[0] in ("simulator", "aiohttp", "uvicorn")))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    assert result.stdout.strip() == "['simulator', 'simulator.pytest_plugin']"
