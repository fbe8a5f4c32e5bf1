"""YAML with positions, and errors that name file, line and field.

A file is read into a `yaml` node tree, which keeps each node's position, as well as into plain
data for pydantic. When validation fails, pydantic reports *where* as a `loc` path such as
`("subscriptions", 0, "batchSize")`; the line comes from walking the same path through the node
tree. Validators that raise `fields.Invalid(message, at=...)` extend that path, to point below
the value they check (a list item, a sibling key). Every failure becomes one `ScenarioError`.

An error is reported at the line of the deepest node its path reaches (a key, or a list item);
a missing key at the mapping that lacks it. When there are several, the first by position wins,
with a missing key ordered at the end of its mapping, so that a misspelled key is reported rather
than the "is required" it causes.

Reading is bounded: nesting deeper than `NESTING_MAX` is refused before PyYAML composes it
(recursively), and a control character or a number Python will not convert is a located error
rather than an exception of PyYAML's. `1e12` is a number, as in YAML 1.2 and JSON. Where a value
may take one of several forms (an `endpoint:` step), pydantic names the form it tried in the
error's location; that name is no key of the file, so it is dropped (`_user_loc`).

Nothing here knows a particular file format: the root model (for "did you mean" among known
keys) and any reserved keys come in as parameters, so run files and scenario files share it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
import yaml.composer
import yaml.constructor
import yaml.resolver
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from simulator.core.bounds import NESTING_MAX
from simulator.errors import MissingSecret, ScenarioError
from simulator.runfile.fields import Unset, describe

Loc = tuple[str | int, ...]


class SecretNotSet(ScenarioError, MissingSecret):
    """The file names an environment variable for a secret, and that variable is unset."""

    variable = ""
    """The variable's name."""


# ---------------------------------------------------------------------------------------------
# Reading YAML, keeping the node tree.


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text, so they are checked (and located) by us; reads
    `1e12` as a number, as YAML 1.2 and JSON do (YAML 1.1 wants `1.0e+12`); and refuses nesting
    deeper than `NESTING_MAX` before composing it (PyYAML composes recursively)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > NESTING_MAX:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {NESTING_MAX} levels deep", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _timestamp_as_text(loader: _Loader, node: yaml.Node) -> str:
    return loader.construct_yaml_str(node)


def _int(loader: _Loader, node: yaml.ScalarNode) -> int:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # more digits than Python converts (4300)
        raise yaml.constructor.ConstructorError(
            None, None, "a number with far too many digits", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


# libyaml comes with PyYAML's wheels; a PyYAML built without it reads with `_Loader` alone.
_FAST = yaml.__with_libyaml__
# What libyaml reads otherwise than PyYAML, found by reading random texts with both: tabs, tags
# (`!`), block scalars (`|`, `>`) and explicit keys (`?`), a byte-order mark or a NEL, LS or PS
# line break, and a flow collection's empty value (`[key: ]`, `{a: , b}`: libyaml marks its null
# at the next token, PyYAML right after the colon). A text with any of them is read by `_Loader`
# alone; run files rarely have them.
_PURE_ONLY = re.compile(r"[\t!\ufeff\x85\u2028\u2029]|(?:^|[\s\[{,])[?|>]|:(?:\s|#[^\n]*+)*+[,\]}]")
if _FAST:
    from yaml._yaml import CParser

    class _FastLoader(CParser, _Loader):
        """`_Loader` reading its events from libyaml's C parser: the same nodes, marks and
        data, five times sooner (a run file of 1,000 subscriptions: 0.5 s in pure Python, 0.1 s
        here, all of it before the first push). It composes with `_Loader`'s own Python
        composer, so what `_Loader` adds to composing and constructing applies here too. Its
        errors are not shown: a file it refuses is read again by `_Loader`, whose messages
        name the problem as users have always seen it."""

        get_single_node = yaml.composer.Composer.get_single_node
        get_node = yaml.composer.Composer.get_node
        check_node = yaml.composer.Composer.check_node

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)


def read_yaml(text: str, file: str) -> tuple[yaml.Node, Any] | None:
    """The root node and the data of the single document in `text`; None if there is none."""
    if _FAST and not _PURE_ONLY.search(text):
        try:
            return _read_fast(text, file)
        except yaml.YAMLError:
            pass  # read again below, for the error as `_Loader` words it
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # checked when the reader is made
        raise _reader_error(exc, text, file) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_keys(root, file)
        return root, loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, file) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, file) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()


def _read_fast(text: str, file: str) -> tuple[yaml.Node, Any] | None:
    """`read_yaml` with `_FastLoader`. Raises `yaml.YAMLError` for what `_Loader` is to read
    instead: a text libyaml refuses, and a document that is one scalar, or empty (libyaml puts
    an empty one on another line)."""
    loader = _FastLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if not isinstance(root, yaml.CollectionNode):
            raise yaml.YAMLError("not a mapping or a list: read by _Loader")
        _check_keys(root, file)
        return root, loader.construct_document(root)
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.MarkedYAMLError, file: str) -> ScenarioError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "unreadable"
    if "'\\t'" in problem:
        problem = "a tab character: indent with spaces"
    elif problem.startswith("but"):  # "expected a single document ... but found another document"
        problem = f"{exc.context} {problem}"
    elif problem.startswith("expected") or problem.endswith("not allowed here"):
        problem += " (check the indentation)"
    return ScenarioError(
        f"invalid YAML: {problem}", file=file, line=mark.line + 1 if mark else None
    )


def _reader_error(exc: yaml.reader.ReaderError, text: str, file: str) -> ScenarioError:
    """A character YAML does not allow (a control character), at its line."""
    line = text.count("\n", 0, exc.position) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    message = f"invalid YAML: a control character (U+{code:04X}) is not allowed: remove it"
    return ScenarioError(message, file=file, line=line)


def _check_keys(root: yaml.Node, file: str) -> None:
    """Refuse what PyYAML lets through: a repeated key (it keeps the last) and non-text keys."""
    problems: list[ScenarioError] = []
    visited: set[int] = set()  # aliases share nodes, and may even make cycles
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            problems.extend(_key_problems(node, path, file))
            stack.extend((v, (*path, k.value)) for k, v in node.value if k.tag == _TEXT)
    if problems:
        raise min(problems, key=lambda error: error.line or 0)


_TEXT = "tag:yaml.org,2002:str"


def _key_problems(mapping: yaml.MappingNode, path: Loc, file: str) -> list[ScenarioError]:
    problems: list[ScenarioError] = []
    first: dict[str, int] = {}  # key -> the line it first appears on
    for key, _ in mapping.value:
        line, field = key.start_mark.line + 1, field_path(path)
        if key.tag.endswith(":merge"):
            message = "merge keys (<<) are not supported: write the keys out"
        elif key.tag != _TEXT:  # 1:, yes:, null:, [a]: are not field names
            got = repr(key.value) if isinstance(key, yaml.ScalarNode) else "a list or mapping"
            message = f"keys must be text (got {got})"
        elif key.value in first:
            field = field_path((*path, key.value))
            message = f"duplicate key (first at line {first[key.value]})"
        else:
            first[key.value] = line
            continue
        problems.append(ScenarioError(message, file=file, line=line, field=field))
    return problems


# ---------------------------------------------------------------------------------------------
# Validation errors, located.


def first_error(
    exc: ValidationError,
    root: yaml.Node,
    file: str,
    model: type[BaseModel],
    reserved: Mapping[str, str] | None = None,
) -> ScenarioError:
    """The error of `exc` that comes first in the file, as a ScenarioError with file and line.

    `model` is the root model that was validated; `reserved` maps top-level keys it refuses
    for now to the message that says why.
    """
    located = []
    for details in exc.errors():
        loc, message = explain(details, model, reserved)
        cause = details.get("ctx", {}).get("error")
        error_type = SecretNotSet if isinstance(cause, Unset) else ScenarioError
        line, position = _locate(root, loc)
        error = error_type(message, file=file, line=line, field=field_path(loc))
        if isinstance(cause, Unset) and isinstance(error, SecretNotSet):
            error.variable = cause.name
        located.append((position, error))
    return min(located, key=lambda pair: pair[0])[1]


_TYPE_MESSAGES = {
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "tuple_type": "must be a list",
    "datetime_type": "must be a date and time like 2026-01-01T00:00:00Z",
    "finite_number": "must be a finite number",
}


def explain(
    details: ErrorDetails, model: type[BaseModel], reserved: Mapping[str, str] | None = None
) -> tuple[Loc, str]:
    """The location (pydantic's plus any `Invalid.at`) and a one-line message for an error."""
    loc, kind, ctx = _user_loc(details["loc"], model), details["type"], details.get("ctx", {})
    if kind == "value_error":
        cause = ctx["error"]
        return (*loc, *getattr(cause, "at", ())), str(cause)
    if kind == "extra_forbidden":
        return loc, _unknown_key(loc, model, reserved or {})
    if kind == "literal_error":
        return loc, f"must be {ctx['expected']} (got {describe(details['input'])})"
    if kind == "missing":
        return loc, "is required"
    message = _TYPE_MESSAGES.get(kind) or details["msg"]
    return loc, f"{message} (got {describe(details['input'])})"


def _user_loc(loc: Loc, root: type[BaseModel]) -> Loc:
    """`loc` as the file writes it: pydantic names the member of a union it tried below the
    field (`endpoint.EndpointChange.failureRate`, `endpoint.literal['normal']`); the file has
    no such key, so it is dropped."""
    kept: list[str | int] = []
    model: type[BaseModel] | None = root
    union = False
    for part in loc:
        if isinstance(part, int):
            kept.append(part)
            continue
        aliases = {f.alias or n: f for n, f in model.model_fields.items()} if model else {}
        if union and part not in aliases:
            union = False  # the member's tag: the member's own keys come next
            continue
        kept.append(part)
        field = aliases.get(part)
        model = _model_in(field.annotation) if field else None
        union = field is not None and len(_members(field.annotation)) > 1
    return tuple(kept)


def _members(annotation: Any) -> list[Any]:
    """The types a value of `annotation` may be, None aside: `A | B | None` gives [A, B]."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [] if annotation is type(None) else [annotation]


def _unknown_key(loc: Loc, model: type[BaseModel], reserved: Mapping[str, str]) -> str:
    key = str(loc[-1])
    if len(loc) == 1 and key in reserved:
        return reserved[key]
    known = _known_keys(model, loc[:-1])
    if f"{key}Env" in known:
        return f"never put a secret in the file: export it and name the variable with {key}Env"
    suggestion = _closest(key, known)
    if suggestion:
        return f"unknown key (did you mean {suggestion!r}?)"
    return f"unknown key (expected one of: {', '.join(sorted(known))})"


def _known_keys(root: type[BaseModel], path: Loc) -> list[str]:
    model: Any = root
    for part in path:
        if isinstance(part, int):
            continue  # an item of a list field: the model was picked with the field
        field = next(f for f in model.model_fields.values() if f.alias == part)
        model = _model_in(field.annotation)
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside `X`, `X | None` or `tuple[X, ...]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model_in, get_args(annotation))), None)


def _closest(key: str, known: list[str]) -> str | None:
    def squash(name: str) -> str:
        return name.replace("_", "").replace("-", "").lower()

    same = [name for name in known if squash(name) == squash(key)]  # batch_size -> batchSize
    close = same or difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _locate(root: yaml.Node, loc: Loc) -> tuple[int, tuple[int, int]]:
    """The line to report for `loc`, and a (line, column) position to order errors by.

    The line is that of the deepest node on the path: a mapping entry's key, or a list item. A
    missing key is reported at the mapping that lacks it, but ordered at the mapping's end, where
    it would be added: so a misspelled key is reported before the "is required" it causes.
    """
    marker = node = root
    for part in loc:
        found = _child(node, part)
        if found is None:
            return marker.start_mark.line + 1, (node.end_mark.line, node.end_mark.column)
        marker, node = found
    mark = marker.start_mark
    return mark.line + 1, (mark.line, mark.column)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if k.value == str(part)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def field_path(loc: Loc) -> str:
    """`loc` as the field name in messages: `subscriptions[0].batchSize`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path
