"""`marketo-sim send URL [TYPE]`: one delivery, as the producer sends it, and the answer.

The delivery is built by the contract's probe (`simulator.contract.probe`), which builds every
delivery the way the producer does: the legacy batch wrapper with `Authorization: Bearer <token>`,
or the Adobe I/O body with the producer's headers and both RSA signatures. For Adobe I/O, the
public keys are served on 127.0.0.1 (`--key-port`) while the delivery is made, as the contract's
key host serves them: point the consumer's key base URL there.

What is printed: the seed (`--seed` sends the same events again), the request (URL, headers with
the token masked and the signatures shortened, the events' ids, the body's size), then the answer
(status, latency, the first bytes of the body). Exit codes: 0 a 2xx answer; 1 any other answer,
a timeout or no connection; 2 bad input (nothing is sent); 130 or 143 after SIGINT or SIGTERM
(`simulator.shell.signals`): what was sent is printed, then that no answer came, and the key host
is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from simulator.contract.command import http_url, new_seed, secret
from simulator.contract.probe import (
    ADOBE_IO,
    FULL_BATCH,
    LEGACY,
    KeyHost,
    Probe,
    ProbeDelivery,
    Target,
)
from simulator.core.outcome import Outcome
from simulator.errors import ConfigError
from simulator.payloads.catalog import (
    ACTIVITY_TYPES,
    select_activity_types,
    select_audit_components,
    select_notification_kinds,
)
from simulator.payloads.iostreams import PROFILES, STREAMS
from simulator.payloads.signing import SIGNATURE_HEADERS
from simulator.runfile import flagtypes
from simulator.shell import clock, signals
from simulator.shell.iolane import describe_outcome
from simulator.shell.transport import HttpTransport

EXIT_ACCEPTED, EXIT_REFUSED = 0, 1
SHOWN_BYTES = 200  # of the answer's body
Say = Callable[[str], None]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Send one delivery to a consumer, authenticated and signed exactly as the producer sends "
        "it, and print what was sent and the answer."
    )
    parser.epilog = "exit codes: 0 a 2xx answer; 1 any other answer or none; 2 bad input."
    add = parser.add_argument
    add("url", type=flagtypes.http_url, help="the consumer's URL, e.g. http://127.0.0.1:3000/")
    add(
        "type",
        nargs="?",
        help='an activity type ("Visit Webpage" or 1), audit component or notification kind '
        "(default: every one in turn)",
    )
    add(
        "--count",
        type=flagtypes.event_count,
        default=1,
        metavar="N",
        help="events in the delivery (default 1)",
    )
    add("--profile", choices=PROFILES, help="marketo-legacy (lead-activity default) or adobe-io")
    add("--stream", choices=STREAMS, default="lead-activity", help="default: lead-activity")
    add("--token-env", metavar="NAME", help="environment variable holding the consumer's token")
    add("--seed", type=flagtypes.seed, help="seed of the events (default: a new one, printed)")
    add(
        "--key-port",
        type=flagtypes.port,
        default=0,
        metavar="N",
        help="adobe-io: serve the public keys on 127.0.0.1:N while sending (default: any free)",
    )


@dataclass(frozen=True, slots=True)
class Sent:
    """One delivery made: what was sent, the outcome and the first bytes of the answer; no
    outcome when a signal stopped it before the answer came (`delivery` None: before it was
    built)."""

    delivery: ProbeDelivery | None
    outcome: Outcome | None
    answer: bytes = b""


def command(args: argparse.Namespace) -> int:
    """`marketo-sim send`: one delivery; the exit code says whether it was accepted."""
    target = target_from(args)
    count = _count(args.count, target.profile)
    print(f"seed {target.seed} (--seed {target.seed} sends these events again)", flush=True)
    with signals.noted():  # from here on a signal still leaves the answer line
        sent = clock.run(
            signals.cancelling(send(target, count=count, key_port=args.key_port, say=say))
        )
        print(answer_line(sent), flush=True)
    accepted = sent.outcome is not None and sent.outcome.ok
    return EXIT_ACCEPTED if accepted else EXIT_REFUSED


def say(text: str) -> None:
    """A line at once: a reader waiting on a pipe sees the request before the answer comes."""
    print(text, flush=True)


def target_from(args: argparse.Namespace) -> Target:
    """The consumer and what to send it, from the command line (ConfigError when unfit)."""
    profile = args.profile or (LEGACY if args.stream == "lead-activity" else ADOBE_IO)
    if profile == LEGACY and args.stream != "lead-activity":
        raise ConfigError(f"the {args.stream} stream exists only on Adobe I/O (--profile adobe-io)")
    if args.token_env is not None and profile == ADOBE_IO:
        raise ConfigError("--token-env: Adobe I/O sends no token, it signs deliveries")
    lead = args.stream == "lead-activity"
    types = ACTIVITY_TYPES if args.type is None or not lead else select_activity_types(args.type)
    if args.type is not None and not lead:  # the stock checks it too, but only once sending
        find = select_audit_components if args.stream == "user-audit" else select_notification_kinds
        find(args.type)
    return Target(
        endpoint=http_url("url", args.url),
        profile=profile,
        stream=args.stream,
        activity_types=types,
        token=secret("--token-env", args.token_env),
        seed=new_seed() if args.seed is None else args.seed,
        ref=None if lead else args.type,
    )


def _count(count: int, profile: str) -> int:
    most = FULL_BATCH[profile]
    if not 1 <= count <= most:
        raise ConfigError(f"--count {count}: one {profile} delivery carries 1 to {most} events")
    return count


async def send(target: Target, *, count: int = 1, key_port: int = 0, say: Say = print) -> Sent:
    """Build one delivery of `count` events for `target` and POST it; for Adobe I/O the public
    keys are served on 127.0.0.1:`key_port` until the answer has come. Cancelled (a signal),
    it returns what it had sent with no outcome."""
    host = KeyHost() if target.profile == ADOBE_IO else None
    delivery: ProbeDelivery | None = None
    try:
        if host is not None:
            await host.start(key_port)
            say(f"public keys at {host.url} (the consumer's key base URL)")
        async with HttpTransport() as transport:
            probe = Probe(target, transport, keys=host.ring if host is not None else None)
            delivery = probe.delivery(probe.stock.take(count))
            for line in describe_delivery(target, delivery):
                say(line)
            outcome, answer = await probe.exchange(delivery)
        return Sent(delivery, outcome, answer)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # handled: the key host still stops below
        return Sent(delivery, None)
    finally:
        if host is not None:
            await host.stop()


def describe_delivery(target: Target, delivery: ProbeDelivery) -> list[str]:
    """The request as lines: what it carries, its headers (no secret) and each event's ids."""
    events = len(delivery.items)
    lines = [
        f"POST {target.endpoint} ({target.profile}, {target.stream}): "
        f"{events} event{'s' if events != 1 else ''}, {len(delivery.body)} bytes"
    ]
    lines += [f"  {name}: {_shown(name, value)}" for name, value in delivery.headers.items()]
    lines += [f"  event {item.label}: {item.named_ids()}" for item in delivery.items]
    return lines


def _shown(name: str, value: str) -> str:
    """A header's value as printed: a token masked, a signature shortened."""
    if name.lower() == "authorization":
        scheme, _, _ = value.partition(" ")
        return f"{scheme} ****"
    if name in SIGNATURE_HEADERS:
        return f"{value[:16]}... ({len(value)} characters)"
    return value


def answer_line(sent: Sent) -> str:
    """`answer: HTTP 200 in 0.012s: 'ok'`: status, latency and the first bytes of the body."""
    outcome = sent.outcome
    if outcome is None:
        stopped = f"interrupted by {signals.name() or 'a cancellation'}"
        if sent.delivery is None:
            return f"answer: none: {stopped} before anything was sent"
        return f"answer: none: {stopped} before the consumer answered"
    text = f"answer: {describe_outcome(outcome)} in {outcome.latency:.3f}s"
    if sent.answer:
        shown = sent.answer[:SHOWN_BYTES].decode("utf-8", "replace")
        more = f" (first {SHOWN_BYTES} bytes)" if len(sent.answer) > SHOWN_BYTES else ""
        text += f": {shown!r}{more}"
    return text
