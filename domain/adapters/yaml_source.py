"""Read a YAML input file, keeping the source line of every mapping and key for error messages."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from domain.messages import DomainError


class LineDict(dict):
    """A mapping that knows its own line (`line`) and each key's line (`key_lines`), 1-based."""

    line: int | None = None
    key_lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(path: str | Path) -> Any:
    """The parsed document; a syntax error becomes a DomainError naming the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DomainError("file_missing", file=str(path)) from None
    return parse_yaml(text, source=str(path))


def parse_yaml(text: str, *, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise DomainError("yaml_syntax", file=source, line=(mark.line + 1) if mark else "?",
                          problem=exc.problem or str(exc)) from None
    except yaml.YAMLError as exc:
        raise DomainError("yaml_syntax", file=source, line="?", problem=str(exc)) from None


def dump_yaml(path: str | Path, data: Any) -> None:
    """Write `data` as readable YAML (Vietnamese letters as they are, keys in their order)."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120, default_flow_style=False)
    Path(path).write_text(text, encoding="utf-8")
