"""Runs `marketo-sim` in a child process as a user would, and measures its wall time and peak RSS.

The peak RSS is the kernel's high-water mark of the child's own address space (`VmHWM` in
/proc, read every 0.2 s while it runs; a mark only rises, so a look misses at most what the last
0.2 s added). Not `os.wait4`'s `ru_maxrss`: that mark survives `exec`, so a child forked from the
bench starts at the bench's own RSS (about 200 MB once the report figures have run) and every
child would read the same. While the child runs it is killed past `rss_limit` or `timeout`: the
bench shares its machine, and a replay whose memory grows with its events could otherwise take
all of it.

With `tty=True` the child writes to a pseudo-terminal, so its live display renders as it would
for a person watching it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
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
    cpu: float = 0.0  # CPU seconds (user + system) the child used: on a busy machine, wall time
    # and latencies say little without what share of a core the child could get

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
        status, peak, killed, cpu = _watch(process, rss_limit, timeout, started)
        wall = time.perf_counter() - started
        if copier is not None:
            copier.join(timeout=5)
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code  # reaped by wait4 above; Popen must not wait for it again
    return ChildRun(code, wall, peak, launched, killed, cpu)


def _watch(
    process: subprocess.Popen[bytes], rss_limit: int, timeout: float, started: float
) -> tuple[int, int, str, float]:
    """Wait for the child to end, looking at its RSS every POLL seconds; its end wakes the wait at
    once (a pidfd), so the wall time is not rounded up to the next look. Returns the exit
    status, the peak RSS seen (bytes), why it was killed, if it was, and its CPU seconds."""
    killed, peak = "", 0
    pidfd = os.pidfd_open(process.pid)
    try:
        while True:
            peak = max(peak, _proc_kib(process.pid, "VmHWM:") * 1024)
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                return status, peak, killed, usage.ru_utime + usage.ru_stime
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
    return _proc_kib(pid, "VmRSS:") * 1024


def _proc_kib(pid: int, field: str) -> int:
    """One KiB figure of /proc/PID/status, such as `VmRSS:` (0 once the process has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
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
