"""`marketo-sim ctl URL ...`: a thin command line over a running run's control API
(`run --control-port`, `simulator.control.server`).

    ctl URL status [--json]                 the status document, as a table or as JSON
    ctl URL burst SUB COUNT                 ctl URL rate SUB RATE
    ctl URL endpoint status=503 latency=2s  ctl URL endpoint normal
    ctl URL expire-tokens                   ctl URL idp-failures N
    ctl URL rotate-keys                     ctl URL deprovision|reprovision|enable|backfill SUB
    ctl URL anomaly SUB KIND                ctl URL step '{"burst": {...}}'

Each word builds one step of the scenario language, checked here by the file's model
(`livestep.parse_live_step`) before anything is sent; `endpoint` pairs are the `endpoint:` step's
own keys (`EndpointChange`). The token comes from `--token-env NAME` and is never printed.
Answers are read bounded, redirects are not followed. Exit codes: 0 done; 1 the run refused it
(401, 409, 422, ...: its message printed); 2 bad flags; 3 nothing listens at URL.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson
import yaml
from pydantic.alias_generators import to_camel

from simulator.control.livestep import parse_live_step
from simulator.errors import ConfigError
from simulator.runfile import flagtypes
from simulator.runfile.flagtypes import secret_from_env

EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 1, 3
ANSWER_MAX = 8 * 1024 * 1024  # a status document of 100,000 subscriptions fits
TIMEOUT = 10.0  # seconds for one request
TOKEN_HELP = "environment variable holding the run's control token (receiver.tokenEnv)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Steer a run started with --control-port: read its status, apply steps."
    parser.epilog = "exit codes: 0 done; 1 refused by the run; 2 bad flags; 3 nothing listens."
    parser.add_argument("url", type=flagtypes.http_url, help="the URL run --control-port printed")
    parser.add_argument("--token-env", metavar="NAME", help=TOKEN_HELP)
    words = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = words.add_parser("status", help="each subscription's state, queue and ledger")
    status.add_argument("--json", action="store_true", help="the status document as JSON")
    status.add_argument("--limit", type=flagtypes.count, help="the N in most trouble")
    burst = words.add_parser("burst", help="COUNT events for SUB now")
    burst.add_argument("subscription", metavar="SUB")
    burst.add_argument("count", type=flagtypes.event_count, metavar="COUNT")
    rate = words.add_parser("rate", help="SUB produces RATE events per second from now on")
    rate.add_argument("subscription", metavar="SUB")
    rate.add_argument("rate", metavar="RATE")
    endpoint = words.add_parser(
        "endpoint", help="change the embedded endpoint: KEY=VALUE... (status=503) or normal"
    )
    endpoint.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    words.add_parser("expire-tokens", help="the identity provider revokes every token")
    failures = words.add_parser("idp-failures", help="the next N token requests fail")
    failures.add_argument("n", metavar="N")
    words.add_parser("rotate-keys", help="Adobe I/O signs with a new key")
    for action, text in SUBSCRIPTION_ACTIONS.items():
        words.add_parser(action, help=text).add_argument("subscription", metavar="SUB")
    anomaly = words.add_parser("anomaly", help="the next push of SUB carries KIND")
    anomaly.add_argument("subscription", metavar="SUB")
    anomaly.add_argument("kind", metavar="KIND")
    step = words.add_parser("step", help="any step of the scenario language, as JSON")
    step.add_argument("json", metavar="JSON")
    for word in words.choices.values():  # after the words too (SUPPRESS: no default over it)
        word.add_argument("--token-env", metavar="NAME", default=argparse.SUPPRESS, help=TOKEN_HELP)


SUBSCRIPTION_ACTIONS = {
    "deprovision": "stop SUB (marketo-legacy) for good: its queue is discarded",
    "reprovision": "start SUB (marketo-legacy) again, empty",
    "enable": "re-enable a disabled adobe-io registration",
    "backfill": "read an adobe-io registration's journal from the start",
}


def step_of(args: argparse.Namespace) -> dict[str, Any]:
    """The step the words name, as the scenario language's data (checked by `command`)."""
    action: str = args.action
    if action == "step":
        return _json_step(args.json)
    if action in SUBSCRIPTION_ACTIONS:
        return {action: args.subscription}
    words: dict[str, Any] = {
        "burst": lambda: {"subscription": args.subscription, "count": args.count},
        "rate": lambda: {"subscription": args.subscription, "rate": _scalar(args.rate)},
        "endpoint": lambda: endpoint_change(args.pairs),
        "expire-tokens": lambda: True,
        "idp-failures": lambda: _scalar(args.n),
        "rotate-keys": lambda: True,
        "anomaly": lambda: {"subscription": args.subscription, "kind": args.kind},
    }
    return {to_camel(action.replace("-", "_")): words[action]()}


def _json_step(text: str) -> dict[str, Any]:
    try:
        step = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"step: not JSON: {exc}") from None
    if not isinstance(step, dict):
        raise ConfigError('step: must be a JSON object, like {"rotateKeys": true}')
    return step


def endpoint_change(pairs: list[str]) -> str | dict[str, Any]:
    """`normal`, or the `endpoint:` step's keys (camelCase, as in a file; snake_case too) with
    values read as YAML scalars (503, 0.5, true, 2s)."""
    from simulator.runfile.endpointspec import EndpointChange

    if pairs == ["normal"]:
        return "normal"
    keys = {name: info.alias or name for name, info in EndpointChange.model_fields.items()}
    known = {**{alias: alias for alias in keys.values()}, **keys}
    change: dict[str, Any] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise ConfigError(f"endpoint: {pair!r}: give KEY=VALUE pairs (status=503) or normal")
        if key not in known:
            raise ConfigError(f"endpoint: unknown key {key!r} (keys: {', '.join(keys.values())})")
        change[known[key]] = _scalar(value)
    return change


def _scalar(text: str) -> Any:
    """A value as the YAML of a file reads it: 503 a number, true a bool, 2s a string."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, int | float | bool | str) else text


def command(args: argparse.Namespace) -> int:
    from simulator.shell import clock, signals

    token = secret_from_env("--token-env", args.token_env)
    request: tuple[str, str, bytes | None]
    if args.action == "status":
        query = f"?limit={args.limit}" if args.limit is not None else ""
        request = ("GET", f"status{query}", None)
    else:
        step = step_of(args)
        body = orjson.dumps(step)
        try:
            parse_live_step(body)  # the file's model refuses it here, before anything is sent
        except ValueError as exc:
            raise ConfigError(f"{args.action}: {exc}") from None
        request = ("POST", "steps", body)
    with signals.noted():
        answer = clock.run(signals.cancelling(_ask(args.url, request, token)))
    if answer is None:
        print(
            f"marketo-sim ctl: nothing listens at {args.url}: is a run going with "
            "--control-port, and is this the URL it printed?",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    status, document = answer
    if status != 200 or not isinstance(document, dict):
        message = document.get("error") if isinstance(document, dict) else None
        print(f"marketo-sim ctl: refused ({status}): {message or document}", file=sys.stderr)
        return EXIT_REFUSED
    if args.action == "status":
        json_out = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
        print(json_out if args.json else status_table(document))
    else:
        note = f" ({document['note']})" if document.get("note") else ""
        print(f"applied at {float(document['at']):.3f}s: {document['step']}{note}")
    return EXIT_OK


async def _ask(
    url: str, request: tuple[str, str, bytes | None], token: str | None
) -> tuple[int, object] | None:
    """The answer's status and JSON (or text), read bounded; None when nothing answers."""
    import aiohttp

    method, path, body = request
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    target = url.rstrip("/") + "/" + path
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(
                method, target, data=body, headers=headers, allow_redirects=False
            ) as response,
        ):
            raw = await response.content.read(ANSWER_MAX + 1)
            status = response.status
    except (aiohttp.ClientConnectionError, TimeoutError):
        return None
    if len(raw) > ANSWER_MAX:
        return status, f"an answer larger than {ANSWER_MAX // 1024} KiB: not read"
    try:
        return status, orjson.loads(raw)
    except orjson.JSONDecodeError:
        return status, raw[:200].decode("utf-8", "replace")


def status_table(document: dict[str, Any]) -> str:
    """The status document for people: one line per subscription, the totals, the last steps."""
    from simulator.core.timefmt import offset

    ended = ", ended" if document.get("ended") else ""
    lines = [f"{offset(float(document['now']))} simulated ({document['clock']} clock{ended})"]
    header = ("subscription", "profile", "state", "queued", "in flight", "oldest", "next")
    rows = [header]
    for row in document["subscriptions"]:
        age, due = row["oldestEventAge"], row["nextAttemptAt"]
        rows.append(
            (
                row["name"],
                row["profile"],
                row["state"],
                f"{row['queued']:,}",
                f"{row['inFlight']:,}",
                "-" if age is None else f"{age:.1f}s",
                "-" if due is None else offset(float(due)),
            )
        )
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    totals = document["totals"]
    lines.append(
        f"{document['shown']} of {document['of']} shown; produced {totals['produced']:,}, "
        f"acknowledged {totals['acknowledged']:,}, queued {totals['queued']:,}"
    )
    lines += [f"{offset(float(s['at']))} step: {s['text']}" for s in document["steps"][-5:]]
    return "\n".join(line.rstrip() for line in lines)
