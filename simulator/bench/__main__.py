"""`python -m simulator.bench`: what `make bench` runs."""

from simulator.bench.main import main

raise SystemExit(main())
