"""Look-alike hostnames: labels mixing scripts, or Cyrillic spelling a Latin word.

Domain room: pure; works on the Unicode form of one label (standard library only).

A label may use one script, or Latin together with the CJK family (Han, Hiragana, Katakana,
Hangul, Bopomofo), as browsers allow. A label written only in Cyrillic letters that all look
like Latin ones (e.g. "apple" spelled with U+0430, U+0440, U+04CF, U+0435) under a non-Cyrillic
top-level domain is refused too.
"""

from __future__ import annotations

import unicodedata

_CJK_FAMILY = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"})
# Cyrillic letters that render like Latin letters in common fonts.
_CYRILLIC_LIKE_LATIN = frozenset("аԁеһіјӏорԛѕԝхусъьыэ")
_CYRILLIC_TLDS = frozenset({"xn--p1ai", "xn--90ais", "xn--d1alf", "xn--j1amh", "xn--80asehdb"})


def _script(char: str) -> str | None:
    """The script word of a letter (e.g. "LATIN"), or None for digits, hyphens and marks."""
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    word = name.split(" ", 1)[0] if name else "UNKNOWN"
    if word == "FULLWIDTH" or word == "HALFWIDTH":
        word = name.split(" ", 2)[1]
    return "CJK" if word in _CJK_FAMILY else word


def scripts_of(label: str) -> set[str]:
    """The scripts of the letters in `label` (CJK family counted as one)."""
    return {s for s in (_script(c) for c in label) if s is not None}


def lookalike_problem(label: str, tld: str) -> str | None:
    """Why `label` (Unicode form) looks like another name, or None when it does not."""
    scripts = scripts_of(label)
    if len(scripts) > 1 and scripts != {"LATIN", "CJK"}:
        names = ", ".join(sorted(s.title() for s in scripts))
        return f"label {label!r} mixes scripts ({names}), which makes it look like another name"
    letters = [c for c in label if unicodedata.category(c).startswith("L")]
    if (
        scripts == {"CYRILLIC"}
        and all(c in _CYRILLIC_LIKE_LATIN for c in letters)
        and tld not in _CYRILLIC_TLDS
    ):
        return (
            f"label {label!r} is written in Cyrillic letters that all look like Latin ones, "
            "so it reads as a different, Latin name"
        )
    return None
