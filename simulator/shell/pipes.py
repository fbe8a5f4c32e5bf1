"""Standard output as pipes and CI logs meet it: a reader that goes away (`| head`) ends the
output quietly, and `-` names standard output wherever a file is asked for.

`guard_stdout` puts a `PipeGuard` in front of `sys.stdout` for a command: the first write that
finds the pipe closed points the descriptor at the null device (so nothing complains at exit),
and every later write is dropped. A command that only prints (`events`) stops when `closed()`
says so; one that runs (`run`, `replay`) keeps going, so its files and exit code still tell the
truth about the run.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

STDOUT = "-"


class PipeGuard(io.TextIOBase):
    """A text stream that writes through to `inner` until the reader is gone, then drops."""

    def __init__(self, inner: IO[str]) -> None:
        self._inner = inner
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._inner.write(text)
            except BrokenPipeError:
                self._close_pipe()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._inner.flush()
            except BrokenPipeError:
                self._close_pipe()

    def _close_pipe(self) -> None:
        self.broken = True
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._inner.fileno())
            os.close(null)

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._inner, "errors", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextlib.contextmanager
def guard_stdout() -> Iterator[PipeGuard]:
    """`sys.stdout` behind a `PipeGuard` for the block."""
    inner = sys.stdout
    guard = inner if isinstance(inner, PipeGuard) else PipeGuard(inner)
    sys.stdout = guard
    try:
        yield guard
    finally:
        with contextlib.suppress(BrokenPipeError):
            guard.flush()
        sys.stdout = inner


def closed() -> bool:
    """Whether standard output's reader has gone away."""
    return isinstance(sys.stdout, PipeGuard) and sys.stdout.broken


def is_stdout(path: Path | str | None) -> bool:
    return path is not None and str(path) == STDOUT


class _TextBytes(io.RawIOBase):
    """Bytes written to a text stream (UTF-8 lines, such as orjson's)."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._text.write(chunk.decode("utf-8"))
        return len(chunk)

    def flush(self) -> None:
        self._text.flush()


@contextlib.contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """`path` opened to write bytes; `-` is standard output (left open)."""
    if is_stdout(path):
        yield _TextBytes(sys.stdout)  # type: ignore[misc]
        return
    with path.open("wb") as stream:
        yield stream


def write_text(path: Path, text: str) -> None:
    """The whole of `text` to `path`; `-` is standard output."""
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path.write_text(text, encoding="utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    """The whole of `data` to `path`; `-` is standard output."""
    if is_stdout(path):
        write_text(path, data.decode("utf-8"))
        return
    path.write_bytes(data)
