"""Read YAML files that remember line numbers, and validate them with messages that name file and line."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Callable, NoReturn, TypeVar

import yaml

from .errors import GraderError

T = TypeVar("T")
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict):
    """A mapping from YAML that knows the line of itself and of each key."""

    line: int = 0
    key_lines: dict
    value_lines: dict  # where each value's text begins: the line after the key for a block scalar (| or >)


class LineList(list):
    """A sequence from YAML that knows its line and the line of each item."""

    line: int = 0
    item_lines: list


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    out.value_lines = {}
    # Merge keys (<<) are resolved here from the merged mappings as constructed, rather than by PyYAML's
    # flatten_mapping: PyYAML 6.0.3 loses a merged mapping's own overrides when that mapping itself merged one.
    for source in _merge_sources(node):
        merged = loader.construct_object(source, deep=True)
        if not isinstance(merged, LineDict):
            raise _YamlShapeError(source.start_mark.line + 1, "<< merges a plain mapping, not a tagged one")
        for key, value in merged.items():
            out.setdefault(key, value)
            out.key_lines.setdefault(key, merged.key_lines[key])
            out.value_lines.setdefault(key, merged.value_lines[key])
    explicit: set = set()
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)):
            raise _YamlShapeError(line, f"a key must be a plain word, not {_describe(type(key))}")
        if key in explicit:
            raise _YamlShapeError(line, f"duplicate key {key!r} (first given on line {out.key_lines[key]})")
        explicit.add(key)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
        block = isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">")
        out.value_lines[key] = value_node.start_mark.line + 1 + block
    return out


def _merge_sources(node: yaml.MappingNode) -> list:
    """The mappings merged into `node` by its << keys, the one that wins first (YAML's merge-key rules)."""
    sources = []
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE_TAG:
            continue
        items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        if not all(isinstance(item, yaml.MappingNode) for item in items):
            raise _YamlShapeError(key_node.start_mark.line + 1,
                                  "<< merges a mapping (<<: *name) or a list of them (<<: [*a, *b]), nothing else")
        sources.extend(items)
    return sources


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


class _YamlShapeError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def read_utf8(path: Path, error: type[GraderError], *, max_bytes: int) -> str:
    """A text file of at most `max_bytes`, UTF-8 with or without a byte-order mark; raise `error` naming the file
    (and the line of a byte that is not UTF-8) when it cannot be read, is too large or is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise error(f"{path}: file is {len(raw)} bytes, more than the {max_bytes} allowed")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text (byte {raw[exc.start]:#04x}); save the file as UTF-8") from None


def load_yaml(path: Path, error: type[GraderError], *, max_bytes: int = 1_000_000) -> Any:
    """Parse a YAML file; raise `error` naming the file and line on any problem."""
    text = read_utf8(path, error, max_bytes=max_bytes)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - the loader is a SafeLoader subclass
    except _YamlShapeError as exc:
        raise error(f"{path}:{exc.line}: {exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise error(f"{path}:{line}: invalid YAML: {what}") from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise error(f"{path}:1: invalid YAML: {exc}") from None


_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping",
}


def _type_name(kind: type) -> str:
    if kind is type(None):
        return "nothing"
    base = next((k for k in kind.__mro__ if k in _TYPE_NAMES), None)  # LineList -> list, LineDict -> dict
    return _TYPE_NAMES[base] if base is not None else kind.__name__


def _describe(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_type_name(k) for k in kinds)


def _matches(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    if isinstance(value, int) and float in kinds:
        return True
    return isinstance(value, kinds)


class Fields:
    """Validate one YAML mapping: read keys by type, then reject any key that was not read."""

    def __init__(self, data: Any, *, path: Path, where: str, error: type[GraderError], line: int = 0) -> None:
        self.path = path
        self.where = where
        self.error = error
        self.line = getattr(data, "line", line) or line or 1
        if not isinstance(data, dict):
            self.fail(f"{where} must be a mapping of keys to values, not {_describe(type(data))}")
        self.data: dict = data
        self._read: set = set()

    def fail(self, message: str, *, line: int | None = None) -> NoReturn:
        raise self.error(f"{self.path}:{line or self.line}: {message}")

    def line_of(self, key: str) -> int:
        return getattr(self.data, "key_lines", {}).get(key, self.line)

    def value_line_of(self, key: str) -> int:
        """The line where the text of key's value begins (the line after the key for a | or > block)."""
        return getattr(self.data, "value_lines", {}).get(key, self.line_of(key))

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        self._read.add(key)
        value = self.data[key]
        if not _matches(value, kind):
            self.fail(f"{self.where}.{key} must be {_describe(kind)}, not {value!r}", line=self.line_of(key))
        return float(value) if kind is float else value

    def req(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.data:
            self.fail(f"{self.where} is missing the required key '{key}'")
        return self._get(key, kind)

    def opt(self, key: str, kind: type | tuple[type, ...], default: T) -> Any:
        if key not in self.data or self.data[key] is None and default is None:
            self._read.add(key)
            return default
        return self._get(key, kind)

    def sub(self, key: str, *, required: bool = True) -> "Fields":
        """Validate a nested mapping under `key` (an empty one when optional and absent)."""
        if key not in self.data:
            if required:
                self.fail(f"{self.where} is missing the required key '{key}'")
            self._read.add(key)
            return Fields(LineDict(), path=self.path, where=f"{self.where}.{key}", error=self.error, line=self.line)
        self._read.add(key)
        return Fields(self.data[key], path=self.path, where=f"{self.where}.{key}", error=self.error,
                      line=self.line_of(key))

    def check(self, ok: bool, key: str, message: str) -> None:
        if not ok:
            self.fail(f"{self.where}.{key}: {message}", line=self.line_of(key))

    def done(self) -> None:
        """Reject unknown keys, suggesting the closest known one."""
        for key in self.data:
            if key in self._known:
                continue
            hint = difflib.get_close_matches(str(key), [str(k) for k in self._known], n=1, cutoff=0.6)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            known = ", ".join(sorted(str(k) for k in self._known))
            self.fail(f"unknown key '{key}' in {self.where}{suggestion}; known keys: {known}", line=self.line_of(key))

    @property
    def _known(self) -> set:
        return self._read | set(getattr(self, "_declared", ()))

    def declare(self, *keys: str) -> None:
        """Name keys that are valid here even though this reading did not use them."""
        self._declared = set(getattr(self, "_declared", ())) | set(keys)


def item_line(items: Any, index: int, fallback: int) -> int:
    lines = getattr(items, "item_lines", None)
    return lines[index] if lines and index < len(lines) else fallback


def each_item(items: Any, fields: Fields, key: str, parse: Callable[[Any, int, int], T]) -> list[T]:
    """Parse each item of a list value with its own line."""
    if not isinstance(items, list):
        fields.fail(f"{fields.where}.{key} must be a list", line=fields.line_of(key))
    return [parse(item, index, item_line(items, index, fields.line_of(key))) for index, item in enumerate(items)]
