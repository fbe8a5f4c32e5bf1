"""The flags of `marketo-sim receive` (simulator.endpoint.flags) and what they ask of the dev
endpoint: outage windows, the Behaviour (one flag per field), the token and identity provider,
and the I/O options."""

from __future__ import annotations

import argparse
import math

import pytest

from simulator.core.behaviour import BEHAVIOUR_FIELDS, Behaviour, Window
from simulator.endpoint.flags import (
    IoOptions,
    add_arguments,
    auth_from_args,
    behaviour_from_args,
    io_from_args,
    parse_outage,
)
from simulator.endpoint.idp import OAuthServer
from simulator.errors import ConfigError, MissingSecret


@pytest.mark.parametrize(
    ("text", "window"),
    [
        pytest.param("0:60", Window(start=0.0, end=60.0), id="refuse-default"),
        pytest.param("60:1260:hang", Window(start=60.0, end=1260.0, mode="hang"), id="hang"),
        pytest.param("5:inf:reset", Window(start=5.0, end=math.inf, mode="reset"), id="forever"),
        pytest.param(
            "60:1260:502", Window(start=60.0, end=1260.0, mode="status", status=502), id="status"
        ),
    ],
)
def test_parse_outage(text: str, window: Window) -> None:
    """--outage START:END[:MODE] parses to a Window; a number as MODE is a status."""
    assert parse_outage(text) == window


def test_parse_outage_rejects_garbage() -> None:
    """A malformed --outage is an argparse type error naming the value."""
    with pytest.raises(argparse.ArgumentTypeError, match="'60'"):
        parse_outage("60")


def test_parse_outage_status_mode_answers_503() -> None:
    """MODE status without a number answers 503, a Window's default status."""
    assert parse_outage("0:60:status") == Window(start=0.0, end=60.0, mode="status", status=503)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("5:1", "'5:1': outage 5.0-1.0: need 0 <= start < end", id="backwards"),
        pytest.param(
            "0:1:explode",
            "'0:1:explode': outage mode 'explode': expected one of refuse, status, hang, reset",
            id="mode",
        ),
        pytest.param(
            "0:1:99", "'0:1:99': outage status: 99 is not a final HTTP status (200-599)", id="1xx"
        ),
        pytest.param("a:1", "'a:1': 'a' is not a number", id="not-a-number"),
    ],
)
def test_parse_outage_says_what_is_wrong(text: str, message: str) -> None:
    """A bad --outage names the value and what is wrong with it."""
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        parse_outage(text)
    assert str(caught.value) == message


# --- the Behaviour's flags -----------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_each_behaviour_field_has_a_flag_defaulting_to_the_field() -> None:
    """Without flags, each Behaviour field's flag holds the field's default."""
    args = vars(parse())
    assert {name: args[name] for name in BEHAVIOUR_FIELDS} == {
        "status": 200,
        "failure_rate": 0.0,
        "failure_status": 503,
        "latency": 0.0,
        "hang": False,
        "reset": False,
        "outages": [],
    }


def test_behaviour_flags_are_typed_like_the_fields() -> None:
    """--status is read as an int, --latency as a float, --hang as a switch."""
    args = parse("--status", "201", "--latency", "2", "--hang")
    assert (args.status, args.latency, args.hang) == (201, 2.0, True)
    assert (type(args.status), type(args.latency)) == (int, float)


def test_behaviour_from_args_gives_the_flags_behaviour() -> None:
    """The flags become the Behaviour they describe."""
    args = parse("--failure-rate", "0.5", "--failure-status", "500", "--outage", "0:60:hang")
    assert behaviour_from_args(args) == Behaviour(
        failure_rate=0.5, failure_status=500, outages=(Window(start=0.0, end=60.0, mode="hang"),)
    )


def test_an_out_of_range_behaviour_flag_is_refused_by_the_behaviours_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An out-of-range flag value is refused when the flags are parsed, naming the flag, with
    the message of the Behaviour's own check."""
    with pytest.raises(SystemExit):
        parse("--failure-rate", "2")
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith("error: argument --failure-rate: 2.0 is not between 0 and 1")
    )


def test_behaviour_from_args_rejects_a_value_out_of_range() -> None:
    """Flags set in code are checked too: a ConfigError from the Behaviour's own check."""
    args = parse()
    args.failure_rate = 2.0
    with pytest.raises(ConfigError) as caught:
        behaviour_from_args(args)
    assert str(caught.value) == "failure_rate: 2.0 is not between 0 and 1"


# --- authorisation and I/O options ---------------------------------------------------------------


def test_no_auth_flags_accept_every_delivery() -> None:
    """Without --token-env or --oauth-client-id there is no token and no identity provider."""
    assert auth_from_args(parse()) == (None, None, ["auth: none (every delivery is accepted)"])


def test_token_and_oauth_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token and the client secret are read from the variables named; the lines name the
    variables, never the secrets."""
    monkeypatch.setenv("SIM_TOKEN", "tok-SECRET")
    monkeypatch.setenv("SIM_CLIENT_SECRET", "cs-SECRET")
    args = parse(
        *("--token-env", "SIM_TOKEN", "--oauth-client-id", "acme"),
        *("--oauth-secret-env", "SIM_CLIENT_SECRET", "--token-ttl", "600"),
    )
    token, oauth, lines = auth_from_args(args)
    expected = OAuthServer(client_id="acme", client_secret="cs-SECRET", token_ttl=600.0)
    assert (token, oauth) == ("tok-SECRET", expected)
    assert lines == [
        "token: set (from $SIM_TOKEN)",
        "oauth: client_id=acme secret: set (from $SIM_CLIENT_SECRET) ttl=600s",
    ]


def test_unset_secret_variable_is_a_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable that is not set stops the command with MissingSecret naming it."""
    monkeypatch.delenv("SIM_TOKEN", raising=False)
    missing = r"^--token-env SIM_TOKEN: the environment variable is not set or is empty$"
    with pytest.raises(MissingSecret, match=missing):
        auth_from_args(parse("--token-env", "SIM_TOKEN"))


def test_oauth_client_id_needs_its_secret() -> None:
    """--oauth-client-id without --oauth-secret-env is a ConfigError."""
    with pytest.raises(ConfigError, match="go together"):
        auth_from_args(parse("--oauth-client-id", "acme"))


def test_io_options_from_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    """The I/O flags become the Receiver's I/O options; the lines name the HMAC variable only."""
    monkeypatch.setenv("SIM_IO_SECRET", "io-SECRET")
    args = parse(
        *("--challenge", "json", "--confirm-validation", "--hmac-secret-env", "SIM_IO_SECRET"),
    )
    options, lines = io_from_args(args)
    assert options == IoOptions(
        challenge_style="json", confirm_validation=True, client_secret="io-SECRET"
    )
    assert lines == [
        "challenge: json, validationUrl confirmed",
        "signatures: hmac (secret: set from $SIM_IO_SECRET), counted only",
    ]


def test_no_io_flags_leave_the_defaults() -> None:
    """Without I/O flags the challenge is echoed as text and no signature is checked."""
    assert io_from_args(parse()) == (IoOptions(), ["challenge: text", "signatures: not checked"])


def test_foreign_ids_flag_sets_the_window_of_foreign_ids() -> None:
    """--foreign-ids N is how many ids outside the simulator's own layout are remembered, by
    default FOREIGN_IDS."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).foreign_ids == 100_000
    assert parser.parse_args(["--foreign-ids", "0"]).foreign_ids == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [("-1", "must be between 0 and 10000000 (got -1)"), ("many", "'many' is not a number")],
)
def test_foreign_ids_flag_refuses_a_negative_or_non_number(
    text: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--foreign-ids takes an integer from 0 to COUNT_MAX and says so."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--foreign-ids", text])
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"--foreign-ids: {problem}")
