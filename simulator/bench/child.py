"""Runs `marketo-sim` in a child process as a user would, and measures its wall time and peak RSS.

The peak RSS is the kernel's own figure for that one child (`os.wait4`'s `ru_maxrss`), so each
replay is measured in a fresh interpreter and one child's peak never hides another's (the
`RUSAGE_CHILDREN` total keeps the largest child so far). While the child runs, its RSS is read
from /proc every 0.2 s and the child is killed past `rss_limit` or `timeout`: the bench shares its
machine, and a replay whose memory grows with its events could otherwise take all of it.

With `tty=True` the child writes to a pseudo-terminal, so its live display renders as it would
for a person watching it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import resource
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

POLL = 0.2  # seconds between two looks at the child's RSS (its end is seen at once)


@dataclass(frozen=True, slots=True)
class ChildRun:
    code: int  # exit code (negative: killed by that signal)
    wall: float  # real seconds from launch to exit
    peak_rss: int  # bytes
    launched: float  # Unix time of the launch, to place the child's own timestamps
    killed: str = ""  # why the bench killed it, if it did

    @property
    def ok(self) -> bool:
        return self.code == 0 and not self.killed


def marketo_sim(*args: str) -> list[str]:
    """`marketo-sim ARGS` as run by this interpreter (the venv that runs the bench)."""
    return [sys.executable, "-m", "simulator", *args]


def run_child(
    argv: Sequence[str],
    *,
    output: Path,
    rss_limit: int,
    timeout: float,
    tty: bool = False,
) -> ChildRun:
    """Run `argv` to its end with its output in `output`; measure it, stop it if it runs away."""
    with output.open("wb") as sink:
        launched, started = time.time(), time.perf_counter()
        if tty:
            process, copier = _on_terminal(argv, sink)
        else:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
            )
            copier = None
        status, usage, killed = _watch(process, rss_limit, timeout, started)
        wall = time.perf_counter() - started
        if copier is not None:
            copier.join(timeout=5)
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code  # reaped by wait4 above; Popen must not wait for it again
    return ChildRun(code, wall, usage.ru_maxrss * 1024, launched, killed)


def _watch(
    process: subprocess.Popen[bytes], rss_limit: int, timeout: float, started: float
) -> tuple[int, resource.struct_rusage, str]:
    """Wait for the child to end, looking at its RSS every POLL seconds; its end wakes the wait at
    once (a pidfd), so the wall time is not rounded up to the next look."""
    killed = ""
    pidfd = os.pidfd_open(process.pid)
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                return status, usage, killed
            if not killed:
                killed = _runaway(process.pid, rss_limit, timeout, started)
                if killed:
                    process.kill()
            select.select([pidfd], [], [], POLL)
    finally:
        os.close(pidfd)


def _runaway(pid: int, rss_limit: int, timeout: float, started: float) -> str:
    """Why the child must be stopped now, or "" when it may go on."""
    rss = current_rss(pid)
    if rss > rss_limit:
        return f"killed at {rss / 1e6:,.0f} MB RSS (limit {rss_limit / 1e6:,.0f} MB)"
    if time.perf_counter() - started > timeout:
        return f"killed after {timeout:,.0f} s (time limit)"
    return ""


def current_rss(pid: int) -> int:
    """The resident set of process `pid` now, in bytes (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _on_terminal(
    argv: Sequence[str], sink: IO[bytes]
) -> tuple[subprocess.Popen[bytes], threading.Thread]:
    """Start `argv` on a fresh 120 x 40 pseudo-terminal; a thread copies what it shows to `sink`."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, close_fds=True
    )
    os.close(follower)

    def copy() -> None:
        with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
            while chunk := os.read(leader, 65536):
                sink.write(chunk)
        os.close(leader)

    copier = threading.Thread(target=copy, daemon=True)
    copier.start()
    return process, copier


def best_wall(argv: Sequence[str], *, rounds: int) -> float:
    """The shortest wall time of `rounds` runs of `argv` (each to its end), in seconds."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - started)
    return best
