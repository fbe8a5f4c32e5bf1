"""Run files: the YAML a user writes, read into frozen specs with errors that name file, line and
field.

Pure: parsing and validation only; nothing here starts, sends or sleeps.

May import: `simulator.core`, `simulator.payloads` (the catalog names activity types),
`simulator.errors`, pydantic and yaml.
Offers: `scenario` (`load_run`, the run as a whole, its JSON Schema), `subscription` (one
subscription and its parts), `endpointspec` (the embedded receiver and the endpoint step),
`steps` (timeline steps and expectations), `fields` (durations, ranges, secrets and other value
types), `yamlsource` (YAML with positions).
"""
