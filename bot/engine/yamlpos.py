"""YAML loading that remembers where every key and item came from.

Lint and the compiler report problems as ``file:line:col``; PyYAML's composer
knows each node's start mark, so we build plain dicts and lists that also carry
those marks (1-based). Parsing a string is pure; reading the file is the
caller's job.
"""
from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class Pos:
    line: int
    col: int


class PosDict(dict):
    """A dict that knows its own position and each key's position."""

    pos: Pos
    key_pos: dict
    value_pos: dict

    def where(self, key) -> Pos:
        return self.key_pos.get(key, self.pos)

    def value_where(self, key) -> Pos:
        return self.value_pos.get(key, self.where(key))


class PosList(list):
    pos: Pos
    item_pos: list

    def where(self, index: int) -> Pos:
        return self.item_pos[index] if 0 <= index < len(self.item_pos) else self.pos


def _pos(node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


class DuplicateKey(Exception):
    def __init__(self, key, pos: Pos):
        super().__init__(f"duplicate key {key!r}")
        self.key = key
        self.pos = pos


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep=False):
    loader.flatten_mapping(node)
    out = PosDict()
    out.pos = _pos(node)
    out.key_pos = {}
    out.value_pos = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            key = str(key)
        if key in out.key_pos:
            raise DuplicateKey(key, _pos(key_node))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_pos[key] = _pos(key_node)
        out.value_pos[key] = _pos(value_node)
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode, deep=False):
    out = PosList(loader.construct_object(child, deep=True) for child in node.value)
    out.pos = _pos(node)
    out.item_pos = [_pos(child) for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# YAML 1.1 reads yes/no/on/off as booleans; in flows they are answer words and
# keywords, so only true/false are booleans here.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class YamlError(Exception):
    def __init__(self, message: str, pos: Pos):
        super().__init__(message)
        self.message = message
        self.pos = pos


def load(text: str):
    """Parse YAML text into PosDict/PosList values; raise YamlError with a position."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except DuplicateKey as exc:
        raise YamlError(str(exc), exc.pos) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Pos(mark.line + 1, mark.column + 1) if mark else Pos(1, 1)
        raise YamlError(f"YAML syntax: {exc.problem or exc.context}", pos) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML: {exc}", Pos(1, 1)) from None
