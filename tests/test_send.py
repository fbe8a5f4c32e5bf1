"""`marketo-sim send`: one delivery, as the producer makes it, to the good example consumer.

The consumer runs on 127.0.0.1 from a thread with a loop of its own; `send` runs through `main`
on the real clock, as a user runs it.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from loopback import refusing_port, reserved_port
from test_contract import TOKEN, good, in_thread

from simulator.cli import main


def processed(url: str) -> list[str]:
    with urllib.request.urlopen(url + "processed", timeout=10) as response:
        ids: list[str] = json.loads(response.read())["processed"]
    return ids


def event_ids(out: str) -> list[list[str]]:
    """The ids of each event, as `send` printed them (`name value, name value`)."""
    lines = re.findall(r"^  event [^:]+: (.+)$", out, re.M)
    return [[pair.split(" ")[1] for pair in line.split(", ")] for line in lines]


def test_a_signed_adobe_io_event_is_accepted_by_a_consumer_verifying_signatures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The consumer fetches the public keys from the key host `send` serves on --key-port,
    verifies the signature, answers 200 and processes the event under its eventid."""
    with reserved_port() as port:
        keys = f"http://127.0.0.1:{port}"
        with in_thread(good, key_base_url=keys, verify_signatures=True) as url:
            argv = ["send", url, "Visit Webpage", "--profile", "adobe-io", "--key-port", str(port)]
            assert main(argv) == 0
            out = capsys.readouterr().out
            listed = processed(url)
    (ids,) = event_ids(out)
    assert listed == [ids[0]]
    assert f"public keys at {keys}/ (the consumer's key base URL)" in out
    assert f"\n  event 1 Visit Webpage: eventid {ids[0]}, id {ids[1]}, activityLogItemId " in out
    assert re.search(r"^  x-adobe-digital-signature-1: .{16}\.\.\. \(\d+ characters\)$", out, re.M)
    assert re.search(r"^answer: HTTP 200 in \d+\.\d{3}s: 'ok'$", out, re.M)


def test_a_signature_the_consumer_cannot_verify_is_refused_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The consumer looks for the keys elsewhere (nothing listens there): 401, exit 1, and the
    consumer's own words are shown."""
    with refusing_port() as port:
        elsewhere = f"http://127.0.0.1:{port}"
        with in_thread(good, key_base_url=elsewhere, verify_signatures=True) as url:
            assert main(["send", url, "--profile", "adobe-io"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^answer: HTTP 401 in .*: 'Unauthorized: no valid signature'$", out, re.M)


def test_a_legacy_push_carries_the_token_and_never_prints_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--token-env: `Authorization: Bearer <token>`, shown masked; three activities of one type
    in one batch, each processed under its marketoGUID."""
    monkeypatch.setenv("SEND_TOKEN", TOKEN)
    with in_thread(good, token=TOKEN) as url:
        argv = ["send", url, "New Lead", "--count", "3", "--token-env", "SEND_TOKEN"]
        assert main(argv) == 0
        listed = processed(url)
    out = capsys.readouterr().out
    assert TOKEN not in out
    assert "\n  Authorization: Bearer ****\n" in out
    ids = event_ids(out)
    assert [labels for labels in re.findall(r"^  event ([^:]+):", out, re.M)] == ["12 New Lead"] * 3
    assert listed == [guid for guid, _ in ids]


def test_a_push_without_the_token_gets_401_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """The consumer wants a token: the 401 is printed and the exit code is 1."""
    with in_thread(good, token=TOKEN) as url:
        assert main(["send", url]) == 1
    assert re.search(r"^answer: HTTP 401 in ", capsys.readouterr().out, re.M)


def test_a_nested_stream_sends_the_named_component_as_a_batch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """User Audit, Landing Page, two events: one I/O array of two envelopes, both processed."""
    with in_thread(good) as url:
        argv = ["send", url, "Landing Page", "--stream", "user-audit", "--count", "2"]
        assert main(argv) == 0
        listed = processed(url)
    out = capsys.readouterr().out
    labels = re.findall(r"^  event ([^:]+):", out, re.M)
    assert [label.split(" ")[:2] for label in labels] == [["Landing", "Page"]] * 2
    assert listed == [ids[0] for ids in event_ids(out)]


def test_the_same_seed_sends_the_same_events(capsys: pytest.CaptureFixture[str]) -> None:
    """--seed 5 twice: the same ids, printed with the seed; a consumer that deduplicates
    processes them once."""
    with in_thread(good) as url:
        outs = []
        for _ in range(2):
            assert main(["send", url, "--profile", "adobe-io", "--seed", "5"]) == 0
            outs.append(capsys.readouterr().out)
        listed = processed(url)
    assert outs[0].startswith("seed 5 (--seed 5 sends these events again)\n")
    assert event_ids(outs[0]) == event_ids(outs[1])
    assert listed == [event_ids(outs[0])[0][0]]


def test_nothing_listening_exits_1_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    """No connection: the answer line says so."""
    with refusing_port() as port:
        assert main(["send", f"http://127.0.0.1:{port}/"]) == 1
    out = capsys.readouterr().out
    assert f"answer: connection_error (cannot connect to 127.0.0.1:{port}" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["--profile", "adobe-io", "--count", "21"],
            "--count 21: one adobe-io delivery carries 1 to 20 events",
            id="count",
        ),
        pytest.param(["Visit Nowhere"], "unknown activity type", id="type"),
        pytest.param(
            ["Nope", "--stream", "user-audit"],
            "unknown User Audit component 'Nope'",
            id="component",
        ),
        pytest.param(
            ["Nope", "--stream", "notification"], "unknown notification kind 'Nope'", id="kind"
        ),
        pytest.param(
            ["--stream", "notification", "--profile", "marketo-legacy"],
            "the notification stream exists only on Adobe I/O",
            id="stream",
        ),
        pytest.param(
            ["--token-env", "SEND_NO_SUCH_VARIABLE"],
            "--token-env SEND_NO_SUCH_VARIABLE: the environment variable is not set",
            id="token",
        ),
    ],
)
def test_bad_input_exits_2_and_sends_nothing(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each refusal names the problem before anything is printed, served or sent."""
    with refusing_port() as port:
        assert main(["send", f"http://127.0.0.1:{port}/", *argv]) == 2
    captured = capsys.readouterr()
    assert message.lower() in captured.err.lower()
    assert captured.out == ""


def test_a_url_that_is_not_http_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """The URL is checked as its flag is read, before anything is built."""
    with pytest.raises(SystemExit) as caught:
        main(["send", "ftp://127.0.0.1/"])
    assert caught.value.code == 2
    expected = "argument url: must be an http(s) URL (got 'ftp://127.0.0.1/')"
    assert capsys.readouterr().err.splitlines()[-1].endswith(expected)
