"""Steering a running producer: `run --control-port PORT` serves a control API on 127.0.0.1
(`server`: GET /status, POST /steps, and the live page of `page`), built from the run's director
and machines; `status` is the one status document (pure); `ctl` is `marketo-sim ctl`, the thin
command line over the API; `record` writes `run --record-scenario`: the run file with every step
applied while it went, a scenario that `replay` plays again.

A step given here is the scenario language's (`simulator.runfile.steps.StepSpec`), checked as the
file's are, applied by the director (`simulator.timeline.director`): one model, one way to apply.

May import: `simulator.timeline`, `simulator.producer` and everything below them.
Offers: `server.ControlServer`, `status.status_document`, `ctl.command`, `record.recorded`.
"""
