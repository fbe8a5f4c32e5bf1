"""What people and CI read: the attempt log, the live console, the summary, the HTML report, JUnit.

Observers and renderers of records; none of them changes a run.

May import: `simulator.core`, `simulator.errors`, rich.
Offers: `console` (the `--log` file, live status and summary), `html` (the `--report` page),
`junit` (the `--junit` file).
"""
