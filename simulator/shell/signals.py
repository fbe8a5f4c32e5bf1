"""SIGINT and SIGTERM, handled alike by every command: the run stops, its summary and every file
it was asked for are written with the interruption marked, and the exit code is 128 + the
signal's number (130 after SIGINT, 143 after SIGTERM), as shells report a process killed by it.

Where a signal lands decides what it does:

* inside `cancelling` (the command's coroutine on the loop): the task is cancelled, which is how
  the producer, the contract and the dev endpoint learn to stop and wrap up (as asyncio's own
  `Runner` does for SIGINT, the loop is woken so that a virtual or idle loop notices at once);
* inside `noted` (a command writing its summary and files): it is only noted, so the files are
  whole; the exit code still says it came;
* anywhere else (start-up, reading the run file, printing sample events): `KeyboardInterrupt`,
  which the command line turns into the exit code, without a traceback.

A second signal while the first is being wrapped up cancels (or raises) again: a clean-up that
hangs can still be stopped. Imports nothing heavy: `python -m simulator` installs the handlers
before it imports anything else.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")
HANDLED = (signal.SIGINT, signal.SIGTERM)
Handler = Any  # what signal.getsignal returns: a callable, an int constant or None


@dataclass(slots=True)
class _State:
    received: int | None = None  # the first signal's number
    count: int = 0
    loop: asyncio.AbstractEventLoop | None = None
    task: asyncio.Task[Any] | None = None
    noting: bool = False


_state = _State()


def install() -> None:
    """Handle SIGINT and SIGTERM from now on (first thing at start-up)."""
    for signum in HANDLED:
        signal.signal(signum, _on_signal)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Handle both signals for the block, then put back the handlers there were and forget
    what was received (a test's process runs many commands)."""
    before = {signum: signal.getsignal(signum) for signum in HANDLED}
    install()
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
        reset()


def reset() -> None:
    global _state
    _state = _State()


def received() -> int | None:
    """The number of the first signal received, if any."""
    return _state.received


def name() -> str:
    """ "SIGTERM", "SIGINT"; "" when none came."""
    return signal.Signals(_state.received).name if _state.received is not None else ""


def exit_code(default: int = 130) -> int:
    """128 + the first signal's number; `default` when none was noted."""
    return 128 + _state.received if _state.received is not None else default


async def cancelling(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` in this task; a signal cancels it. A signal that came before it started cancels
    it at its first wait."""
    import asyncio

    task = asyncio.current_task()
    _state.loop, _state.task = asyncio.get_running_loop(), task
    if _state.received is not None and task is not None:
        task.cancel()
    try:
        return await main
    finally:
        _state.loop = _state.task = None


@contextlib.contextmanager
def noted() -> Iterator[None]:
    """A first signal in this block is noted, not raised: the summary and files get written."""
    was, _state.noting = _state.noting, True
    try:
        yield
    finally:
        _state.noting = was


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _state.received is None:
        _state.received = signum
    _state.count += 1
    task, loop = _state.task, _state.loop
    if task is not None and loop is not None and not task.done():
        task.cancel()
        loop.call_soon_threadsafe(_nothing)  # wake a loop waiting in select()
        return
    if _state.noting and _state.count == 1:
        return
    raise KeyboardInterrupt


def _nothing() -> None:
    return None
