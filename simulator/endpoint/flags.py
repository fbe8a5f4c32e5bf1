"""The flags of `marketo-sim receive` and what they ask of the dev endpoint.

`marketo-sim receive` runs the receiver alone, as a stand-in consumer for a real producer. This
module turns its flags into the Receiver's settings: the static token and the mock identity
provider (secrets are read from environment variables, never from the command line), the
Behaviour with its outage windows, and the I/O Events options (`IoOptions`); each comes with
lines describing it for the start of the run, which name where a secret came from but never show
it. The Behaviour's flags are made from its fields (`simulator.core.behaviour`): one per field,
named, typed and defaulted by the field, and read back through the Behaviour's one conversion.
Running the receiver with them is `simulator.endpoint.command.serve`.
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from simulator.core.behaviour import (
    BEHAVIOUR_FIELDS,
    CHALLENGE_STYLES,
    DEFAULT_BEHAVIOUR,
    SCALARS,
    Behaviour,
    ChallengeStyle,
    Window,
    changed,
    window_from,
)
from simulator.core.bounds import (
    DURATION_MAX,
    SEED_MAX,
    flag_type,
    parse_float,
    parse_int,
    parse_output_path,
    parse_positive_float,
)
from simulator.endpoint.idp import OAuthServer
from simulator.endpoint.received import FOREIGN_IDS
from simulator.endpoint.routing import IDLE_TIMEOUT
from simulator.errors import ConfigError
from simulator.runfile import flagtypes
from simulator.runfile.flagtypes import secret_from_env

__all__ = [
    "IoOptions",
    "add_arguments",
    "auth_from_args",
    "behaviour_from_args",
    "io_from_args",
    "open_bodies",
    "parse_outage",
]

# The help of the flag of each Behaviour field, and its metavar (None: argparse's default).
_BEHAVIOUR_HELP: dict[str, tuple[str, str | None]] = {
    "status": ("status for deliveries (default %(default)s)", None),
    "failure_rate": ("share of deliveries that fail (0..1)", None),
    "failure_status": ("status of those failures (default %(default)s)", None),
    "latency": ("delay before answering", "SECONDS"),
    "hang": ("never answer deliveries", None),
    "reset": ("drop the connection without answering", None),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `marketo-sim receive`."""
    add = parser.add_argument
    add("--port", type=_port, default=3000, help="port on 127.0.0.1 (default 3000; 0 = any)")
    add("--token-env", metavar="NAME", help="require this API token, read from $NAME")
    add("--oauth-client-id", metavar="ID", help="run a mock identity provider for this client")
    add("--oauth-secret-env", metavar="NAME", help="the client secret, read from $NAME")
    add("--token-ttl", type=_ttl, default=3600.0, metavar="SECONDS", help="token lifetime")
    _add_behaviour_arguments(add)
    add(
        "--bodies",
        type=_output,
        metavar="FILE",
        help="write accepted batches to FILE as JSON lines",
    )
    add(
        "--foreign-ids",
        type=_count,
        default=FOREIGN_IDS,
        metavar="N",
        help="ids not laid out like the simulator's own remembered for duplicates "
        "(the last N; default %(default)s)",
    )
    add("--seed", type=_seed, default=0, help="seed of the failure-rate draws")
    add("--quiet", action="store_true", help="no line per request, only the final stats")
    add(
        "--idle-timeout",
        type=_ttl,
        default=IDLE_TIMEOUT,
        metavar="SECONDS",
        help="close a keep-alive connection idle this long (default %(default)g)",
    )
    add(
        "--challenge",
        choices=CHALLENGE_STYLES,
        default="text",
        help="answer to the I/O Events GET challenge: text (default), json, or refuse (ignore it)",
    )
    add("--confirm-validation", action="store_true", help="GET a posted I/O validationUrl")
    add("--verify-signatures", action="store_true", help="check I/O digital signatures")
    add("--key-base-url", metavar="URL", help="where public-key paths are fetched (loopback)")
    add("--reject-bad-signatures", action="store_true", help="answer 401 to a bad signature")
    add("--hmac-secret-env", metavar="NAME", help="check x-adobe-signature with $NAME's secret")


def _add_behaviour_arguments(add: Callable[..., argparse.Action]) -> None:
    """One flag per Behaviour field (`failure_rate`: `--failure-rate`), of the field's type and
    default; a bool field is a switch that turns it on. Then `--outage`, once per window."""
    for name, kind in SCALARS.items():
        text, metavar = _BEHAVIOUR_HELP[name]  # a new field needs its help here
        flag = "--" + name.replace("_", "-")
        default = getattr(DEFAULT_BEHAVIOUR, name)
        if kind is bool:
            assert default is False, f"{flag}: a switch can only turn a field on"
            add(flag, action="store_true", help=text)
        else:
            add(flag, type=_field_type(name, kind), default=default, metavar=metavar, help=text)
    add(
        "--outage",
        dest="outages",
        type=parse_outage,
        action="append",
        default=[],
        metavar="START:END[:MODE]",
        help="seconds after start; MODE refuse (default), hang, reset or a status; repeatable",
    )


# The flags' converters: numbers are read by `simulator.core.bounds` (scientific notation too)
# and checked against the same bounds as a run file's; argparse names the flag and exits 2.
_port = flagtypes.port
_seed = flagtypes.seed
_count = flagtypes.count
_ttl = flag_type(functools.partial(parse_positive_float, high=DURATION_MAX), "seconds")
_output = flag_type(parse_output_path, "file")


def _field_type(name: str, kind: type) -> Callable[[str], object]:
    """The converter of a Behaviour field's flag: the number, checked by Behaviour itself (its
    bounds: statuses 200-599, a rate in 0..1, a latency of at most an hour)."""

    def parse(text: str) -> object:
        value: object = (
            parse_int(text, low=-SEED_MAX, high=SEED_MAX)
            if kind is int
            else parse_float(text, low=-math.inf, high=math.inf)
        )
        try:
            changed(DEFAULT_BEHAVIOUR, {name: value}, where="flags")
        except ConfigError as exc:
            raise ValueError(str(exc).removeprefix(f"{name}: ")) from None
        return value

    return flag_type(parse, kind.__name__)


def parse_outage(text: str) -> Window:
    """`START:END[:MODE]` in seconds; MODE is refuse, hang, reset, status or an HTTP status."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"{text!r}: expected START:END[:MODE]")
    mode, status = (parts[2] if len(parts) == 3 else "refuse"), 503
    if mode.isdigit():
        mode, status = "status", int(mode)
    try:
        start = parse_float(parts[0], low=0, high=DURATION_MAX)
        end = math.inf if parts[1] == "inf" else parse_float(parts[1], low=0, high=DURATION_MAX)
        fields = {"start": start, "end": end, "mode": mode, "status": status}
        return window_from(fields)
    except (ValueError, ConfigError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def auth_from_args(args: argparse.Namespace) -> tuple[str | None, OAuthServer | None, list[str]]:
    """The static token and identity provider the flags ask for, and lines describing them
    (which never contain a secret)."""
    token, oauth, lines = None, None, []
    if args.token_env:
        token = secret_from_env("--token-env", args.token_env)
        lines.append(f"token: set (from ${args.token_env})")
    if bool(args.oauth_client_id) != bool(args.oauth_secret_env):
        raise ConfigError("--oauth-client-id and --oauth-secret-env go together")
    if args.oauth_client_id:
        secret = secret_from_env("--oauth-secret-env", args.oauth_secret_env)
        assert secret is not None
        oauth = OAuthServer(
            client_id=args.oauth_client_id, client_secret=secret, token_ttl=args.token_ttl
        )
        lines.append(
            f"oauth: client_id={args.oauth_client_id} secret: set (from ${args.oauth_secret_env})"
            f" ttl={args.token_ttl:g}s"
        )
    if not lines:
        lines.append("auth: none (every delivery is accepted)")
    return token, oauth, lines


@dataclass(frozen=True, slots=True, kw_only=True)
class IoOptions:
    """The Receiver's I/O Events options the flags ask for; each is the Receiver's keyword
    argument of the same name."""

    challenge_style: ChallengeStyle = "text"
    confirm_validation: bool = False
    verify_signatures: bool = False
    key_base_url: str | None = None
    reject_bad_signatures: bool = False
    client_secret: str | None = None


def io_from_args(args: argparse.Namespace) -> tuple[IoOptions, list[str]]:
    """The Receiver's I/O Events options from the flags, and lines describing them (the HMAC
    secret is only named, never shown)."""
    options = IoOptions(
        challenge_style=args.challenge,
        confirm_validation=args.confirm_validation,
        verify_signatures=args.verify_signatures,
        key_base_url=args.key_base_url,
        reject_bad_signatures=args.reject_bad_signatures,
        client_secret=secret_from_env("--hmac-secret-env", args.hmac_secret_env),
    )
    checks = []
    if args.verify_signatures:
        checks.append(f"digital (keys from {args.key_base_url})")
    if args.hmac_secret_env:
        checks.append(f"hmac (secret: set from ${args.hmac_secret_env})")
    signatures = " + ".join(checks) or "not checked"
    if checks:
        signatures += ", bad ones answered 401" if args.reject_bad_signatures else ", counted only"
    confirm = ", validationUrl confirmed" if args.confirm_validation else ""
    return options, [f"challenge: {args.challenge}{confirm}", f"signatures: {signatures}"]


def behaviour_from_args(args: argparse.Namespace) -> Behaviour:
    """The Behaviour the flags ask for; ConfigError on a bad value."""
    flags = {name: getattr(args, name) for name in BEHAVIOUR_FIELDS}
    return changed(DEFAULT_BEHAVIOUR, flags, where="flags")


def open_bodies(path: str) -> IO[str]:
    """The --bodies file, truncated: one JSON line per accepted batch of this run."""
    return open(path, "w", encoding="utf-8")
