"""`python -m simulator`: the same command line as `marketo-sim`, with SIGINT and SIGTERM handled
before anything else is imported, so an interrupt during start-up also ends quietly (130, 143)."""

from __future__ import annotations


def main() -> int:
    """What `marketo-sim` and `python -m simulator` run."""
    try:
        from simulator.shell import signals
    except KeyboardInterrupt:
        return 130
    try:
        signals.install()
        from simulator.cli import main as command_line

        return command_line()
    except KeyboardInterrupt:
        return signals.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
