"""What people and CI read: the attempt log, the live console, the summary, the HTML report, JUnit,
and the Prometheus metrics of soak tests.

Observers and renderers of records; none of them changes a run.

May import: `simulator.core`, `simulator.errors`, rich, pydantic (the `--json` document's model),
prometheus_client (`metrics` alone, which the command line imports only for `--metrics-port`).
Offers: `console` (the `--log` file, live status and summary), `html` (the `--report` page),
`svg` (its per-subscription timeline chart), `chartdata` (the numbers both draw: state spans,
attempt columns, thinned samples, axes and ticks), `junit` (the `--junit` file), `jsondoc` (the
`--json` document, its schema and the latency buckets), `metrics` (what `--metrics-port` serves).
"""
