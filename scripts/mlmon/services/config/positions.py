"""YAML parsed with the line and column of every node, so each problem points at its place; alias
bombs and oversized documents are refused while loading."""

from __future__ import annotations

from typing import Dict, List, Tuple

from mlmon.services.config.problems import Path

MAX_NODES = 100_000  # YAML aliases can make a short text expand exponentially


class Positions:
    """Line and column (1-based) of every key and value in the document, by path."""

    def __init__(self, root) -> None:
        self.keys: Dict[Path, Tuple[int, int]] = {}
        self.values: Dict[Path, Tuple[int, int]] = {}
        self.duplicates: List[Tuple[Path, Tuple[int, int]]] = []
        self.budget = MAX_NODES
        if root is not None:
            self._walk(root, ())

    def _walk(self, node, path: Path) -> None:
        import yaml

        self.budget -= 1
        if self.budget < 0:
            raise TooBig()
        self.values[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = _scalar_key(key_node)
                child = path + (key,)
                if child in self.keys:
                    self.duplicates.append((child, _mark(key_node)))
                self.keys[child] = _mark(key_node)
                self._walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.keys[path + (i,)] = _mark(item)
                self._walk(item, path + (i,))

    def key(self, path: Path) -> Tuple[int, int]:
        while path and path not in self.keys:
            path = path[:-1]
        return self.keys.get(path, (1, 1))

    def value(self, path: Path) -> Tuple[int, int]:
        while path and path not in self.values:
            path = path[:-1]
        return self.values.get(path, (1, 1))


class TooBig(Exception):
    pass


def _mark(node) -> Tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _scalar_key(node):
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return node.value
    return str(node.value)


def yaml_loader():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)
