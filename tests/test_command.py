"""`marketo-sim receive` run alone (simulator.endpoint.command): what it prints, and that it
never prints a secret."""

from __future__ import annotations

import argparse
import asyncio

import pytest
from loopback import client_session
from receiving import (
    CLOUDEVENTS,
    bearer,
    envelope,
    post,
)

from simulator.endpoint.command import serve
from simulator.endpoint.flags import add_arguments
from simulator.errors import ConfigError
from simulator.shell.clock import run_virtual


def test_serve_never_prints_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`receive` prints where secrets come from, a line per batch and stats, never a secret."""
    monkeypatch.setenv("SIM_TOKEN", "tok-SECRET")
    monkeypatch.setenv("SIM_CLIENT_SECRET", "cs-SECRET")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            *("--port", "0", "--token-env", "SIM_TOKEN"),
            *("--oauth-client-id", "acme", "--oauth-secret-env", "SIM_CLIENT_SECRET"),
        ]
    )

    async def scenario() -> int:
        task = asyncio.create_task(serve(args))
        await asyncio.sleep(1.0)
        url = capsys.readouterr().out.split("receiving on ")[1].split()[0]
        async with client_session() as session:
            assert await post(session, url, headers=bearer("tok-SECRET")) == 200
        task.cancel()
        return await task

    assert run_virtual(scenario()) == 0
    out = capsys.readouterr().out
    assert "SECRET" not in out
    assert "POST 200 msg=1 events=1" in out
    assert "stats: requests=1 batches=1" in out


def test_serve_io_flags(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`receive` with the I/O flags answers JSON challenges and 401s unsigned deliveries."""
    monkeypatch.setenv("SIM_IO_SECRET", "io-SECRET")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            *("--port", "0", "--challenge", "json", "--verify-signatures"),
            *("--key-base-url", "http://127.0.0.1:9", "--reject-bad-signatures"),
            *("--hmac-secret-env", "SIM_IO_SECRET"),
        ]
    )

    out = ""

    async def scenario() -> int:
        nonlocal out
        task = asyncio.create_task(serve(args))
        await asyncio.sleep(1.0)
        out = capsys.readouterr().out
        url = out.split("receiving on ")[1].split()[0]
        async with client_session() as session:
            async with session.get(url + "?challenge=c1") as response:
                assert await response.json() == {"challenge": "c1"}
            assert await post(session, url, [envelope("e-1")], headers=CLOUDEVENTS) == 401
        task.cancel()
        return await task

    assert run_virtual(scenario()) == 0
    out += capsys.readouterr().out
    assert "challenge: json\n" in out
    assert (
        "signatures: digital (keys from http://127.0.0.1:9) + hmac (secret: set from"
        " $SIM_IO_SECRET), bad ones answered 401\n"
    ) in out
    assert "SECRET" not in out.replace("$SIM_IO_SECRET", "")
    assert "POST 401 io events=1 first=e-1 sig=BAD" in out


def test_serve_verify_without_key_url_is_config_error() -> None:
    """`--verify-signatures` without `--key-base-url` stops with a ConfigError."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--verify-signatures"])
    with pytest.raises(ConfigError, match="needs key_base_url"):
        run_virtual(serve(args))
