"""Safe YAML loading with aliases limited, for the files people edit by hand.

``yaml.safe_load`` builds no arbitrary objects, but it accepts any number of nested aliases:
nine lines of ``&a [*b, *b, ...]`` make a document that *means* hundreds of millions of
values, and whatever walks it (checking a catalogue, hashing its parameters) runs for
minutes and takes gigabytes. :func:`load_yaml` composes the document first, measures what
its aliases expand to (shared nodes are counted once per use, in time proportional to the
written size), and refuses it with :class:`YAMLLimitError` when the aliases multiply it
beyond reason, when an alias refers to a node that contains it, or when it is nested
deeper than Python can follow. Only then is it constructed, as ``yaml.safe_load`` would.

Examples
--------
>>> load_yaml("base: &b {kernel: k}\\nentry: {<<: *b, id: x}")["entry"]
{'kernel': 'k', 'id': 'x'}
>>> bomb = "a: &a [x, x, x, x, x, x, x, x, x]\\n" + "".join(
...     f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\\n" for p, c in zip("abcdefgh", "bcdefghi"))
>>> try:
...     load_yaml(bomb)
... except YAMLLimitError as exc:
...     print(str(exc)[:58])
YAML aliases expand the document to 490,329,064 values fro
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

__all__ = ["MAX_VALUES", "YAMLLimitError", "load_yaml"]

#: What aliases may expand a document to, at least (more when it is written out long-hand).
MAX_VALUES = 100_000
#: ... or this many times the values written, when that is larger.
MAX_RATIO = 10
# libyaml's scanner when PyYAML was built with it: the pure-Python one takes seconds on a
# few thousand nested brackets
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YAMLLimitError(yaml.YAMLError):
    """A YAML document whose aliases expand too far, refer to themselves, or that is nested
    too deeply (a ``yaml.YAMLError``, so existing handlers catch it)."""


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: Node, max_values: int) -> None:
    """Raise :class:`YAMLLimitError` unless the node graph under ``root`` is a tree-like
    document whose expansion stays within the limits."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    written = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue  # a node already measured, reached again through an alias
        open_nodes.add(key)
        written += 1
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                raise YAMLLimitError(
                    f"a YAML alias (line {child.start_mark.line + 1}) refers to a node that "
                    "contains it: the document would be infinite"
                )
            if id(child) not in sizes:
                stack.append((child, False))
    expanded = sizes[id(root)]
    limit = max(max_values, MAX_RATIO * written)
    if expanded > limit:
        raise YAMLLimitError(
            f"YAML aliases expand the document to {expanded:,} values from {written:,} "
            f"written (at most {limit:,} allowed): nested aliases ('alias bomb'); write the "
            "values out instead"
        )


def load_yaml(text: str, *, max_values: int = MAX_VALUES) -> Any:
    """Parse ``text`` like ``yaml.safe_load``, refusing documents whose aliases expand to more
    than ``max(max_values, 10 x the values written)``, self-referring aliases and nesting
    deeper than Python's recursion limit.

    Raises
    ------
    YAMLLimitError
        Saying which limit was hit (a ``yaml.YAMLError``).
    yaml.YAMLError
        For invalid YAML, as ``yaml.safe_load``.
    """
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_expansion(node, max_values)
            return loader.construct_document(node)
        except RecursionError:
            raise YAMLLimitError("the YAML document is nested too deeply to read") from None
    finally:
        loader.dispose()
