"""Line layout for generated code: one line when it fits, else one item per line.

Both shapes are stable under the project formatter (an exploded list keeps its trailing comma),
so generated files come out formatted without running a formatter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

LINE_LENGTH = 100
INDENT = "    "


@dataclass(frozen=True)
class Group:
    """A bracketed list: `head(item, item)`, a call, a signature, a dict or a tuple literal."""

    head: str
    items: tuple[Node, ...]
    open: str = "("
    close: str = ")"
    singleton_comma: bool = False  # a one-item tuple literal is written `(x,)`


Node = str | Group


def flat(node: Node) -> str:
    """`node` on one line."""
    if isinstance(node, str):
        return node
    inner = ", ".join(flat(item) for item in node.items)
    if node.singleton_comma and len(node.items) == 1:
        inner += ","
    return f"{node.head}{node.open}{inner}{node.close}"


def lay_out(node: Node, indent: str, suffix: str = "") -> list[str]:
    """`node` as lines at `indent`, followed by `suffix` (e.g. `:` or `,`)."""
    line = f"{indent}{flat(node)}{suffix}"
    if isinstance(node, str) or len(line) <= LINE_LENGTH or not node.items:
        return [line]
    lines = [f"{indent}{node.head}{node.open}"]
    for item in node.items:
        lines.extend(lay_out(item, indent + INDENT, ","))
    lines.append(f"{indent}{node.close}{suffix}")
    return lines
