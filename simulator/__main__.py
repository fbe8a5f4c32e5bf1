"""`python -m simulator`: the same command line as `marketo-sim`."""

from simulator.cli import main

raise SystemExit(main())
