"""Reading YAML with line numbers, so every error can say where it is (pure, no I/O)."""

from __future__ import annotations

from typing import Any

import yaml

from services.common.errors import InvalidArgument, Violation


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


# libyaml's parser (when PyYAML has it) is several times faster and keeps the same marks.
class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# Keep timestamps as the strings the user wrote; the plan parser reads them with zones.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(content: bytes, file_name: str) -> Any:
    """Parse YAML, raising one InvalidArgument with the file and line on a syntax error."""
    try:
        text = content.decode("utf-8-sig")  # a byte-order mark from Windows editors is fine
    except UnicodeDecodeError as err:
        raise InvalidArgument.field(
            "file", f"not UTF-8 text (byte {err.start})", file_name
        ) from err
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f"{file_name}:{mark.line + 1}" if mark else file_name
        problem = getattr(err, "problem", None) or str(err)
        raise InvalidArgument.field("yaml", f"not valid YAML: {problem}", where) from err


class Problems:
    """Collects every violation of a file, so the user sees them all at once."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.items: list[Violation] = []

    def add(self, line: int | str | None, field: str, reason: str) -> None:
        where = self.file_name if line in (None, "") else f"{self.file_name}:{line}"
        self.items.append(Violation(field, reason, where))

    def raise_if_any(self, what: str) -> None:
        if self.items:
            raise InvalidArgument.many(f"{what} {self.file_name} was rejected", self.items)


def line_of(container: Any, key: str | int | None = None) -> int | None:
    """Best line number for a key of a LineDict, an item of a LineList, or the container."""
    if isinstance(container, LineDict):
        if key is not None and key in container.key_lines:
            return container.key_lines[key]
        return container.line
    if isinstance(container, LineList):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return None
