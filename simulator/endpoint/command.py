"""`marketo-sim receive`: the dev endpoint run alone, as a stand-in consumer for a real producer.

The flags and what they ask for are `flags`; this module starts a `Receiver` with them, prints
where it listens and how it is set up (where each secret came from, never the secret), one line
per request unless `--quiet`, and the stats when it is stopped with Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools

from simulator.core.behaviour import describe_behaviour
from simulator.endpoint.flags import auth_from_args, behaviour_from_args, io_from_args, open_bodies
from simulator.endpoint.routing import Receiver
from simulator.errors import ConfigError

__all__ = ["serve"]


async def serve(args: argparse.Namespace) -> int:
    """Run the receiver until cancelled (Ctrl-C); one line per request, then a stats line."""
    say = functools.partial(print, flush=True)
    token, oauth, auth_lines = auth_from_args(args)
    io, io_lines = io_from_args(args)
    behaviour = behaviour_from_args(args)
    with contextlib.ExitStack() as stack:
        bodies = stack.enter_context(open_bodies(args.bodies)) if args.bodies else None
        receiver = Receiver(
            token=token,
            oauth=oauth,
            behaviour=behaviour,
            seed=args.seed,
            bodies=bodies,
            foreign_ids=args.foreign_ids,
            log=None if args.quiet else say,
            challenge_style=io.challenge_style,
            confirm_validation=io.confirm_validation,
            verify_signatures=io.verify_signatures,
            key_base_url=io.key_base_url,
            reject_bad_signatures=io.reject_bad_signatures,
            client_secret=io.client_secret,
            idle_timeout=args.idle_timeout,
        )
        try:
            url = await receiver.start(port=args.port)
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from exc
        say(f"receiving on {url}")
        for line in (*auth_lines, *io_lines):
            say(line)
        say(f"behaviour: {describe_behaviour(behaviour)}")
        if oauth is not None:
            say(f"token url: {receiver.token_url}")
        try:
            await asyncio.get_running_loop().create_future()  # until cancelled (Ctrl-C)
        except asyncio.CancelledError:
            pass  # the normal way to stop: exit 0 after the stats line
        finally:
            await receiver.stop()
            say(receiver.stats.summary())
    return 0
