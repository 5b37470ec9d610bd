"""Names for generated Python: snake_case, UPPER_SNAKE, string literals and docstring lines.

Pure functions on strings; the plugin's naming rules live here and nowhere else.
"""

from __future__ import annotations

import keyword
import logging
import re

logger = logging.getLogger(__name__)

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """`ProvisionStoreSite` -> `provision_store_site`; a Python keyword gets a trailing `_`."""
    snake = _WORD_BOUNDARY.sub("_", name).lower()
    return f"{snake}_" if keyword.iskeyword(snake) else snake


def upper_snake_case(name: str) -> str:
    """`ProvisionStoreSite` -> `PROVISION_STORE_SITE`."""
    return _WORD_BOUNDARY.sub("_", name).upper()


def string_literal(text: str) -> str:
    """A Python string literal for `text`, double-quoted as the formatter prefers."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        literal = '"' + literal[1:-1].replace("\\'", "'") + '"'
    return literal


def docstring_lines(comment: str) -> list[str]:
    """The non-blank lines of a proto comment, made safe inside a triple-quoted docstring."""
    cleaned = comment.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return [line.strip() for line in cleaned.splitlines() if line.strip()]
