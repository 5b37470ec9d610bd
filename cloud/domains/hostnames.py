"""Hostname rules of a domain claim: normalization and validation.

Domain room: pure (the `idna` and `publicsuffixlist` packages hold data, no I/O: the public
suffix list is the snapshot bundled with the pinned package, never fetched).

`normalize_hostname` returns the ASCII (punycode) form: lower case, IDNA 2008 (UTS #46
mapping, non-transitional), no trailing dot. It refuses, each with what was wrong and what to
do: empty names, whitespace, wildcards, IP literals, names over 253 characters or with a label
over 63, characters outside letters/digits/hyphen, labels starting or ending with a hyphen,
single-label names, all-numeric top-level labels, names under the platform's own domains, bare
public suffixes, and look-alike labels (`cloud.domains.lookalikes`).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable

import idna
from publicsuffixlist import PublicSuffixList

from cloud.domains.lookalikes import lookalike_problem
from shared.errors import InvalidInput

MAX_HOSTNAME = 253
MAX_LABEL = 63
_LDH = re.compile(r"^[a-z0-9-]+$")


class InvalidHostname(InvalidInput):
    """A hostname cannot be claimed; the message says why and what to do."""


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def _refuse(raw: str, why: str) -> InvalidHostname:
    return InvalidHostname(f"hostname {raw!r} cannot be claimed: {why}")


def _is_ip_literal(text: str) -> bool:
    candidate = text.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _label_too_long(raw: str, label: str) -> InvalidHostname:
    return _refuse(
        raw,
        f"label {label[:16]!r}... is {len(label)} characters long; a label has at most {MAX_LABEL}",
    )


def _to_ascii_label(raw: str, label: str) -> str:
    if label.isascii() and len(label) > MAX_LABEL:
        raise _label_too_long(raw, label)
    try:
        return idna.encode(label, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise _refuse(
            raw,
            f"label {label!r} is not a valid internationalized label ({exc}); use letters, "
            "digits and hyphens",
        ) from exc


def _to_unicode_label(label: str) -> str:
    try:
        return idna.decode(label) if label.startswith("xn--") else label
    except idna.IDNAError:
        return label


def normalize_hostname(raw: str, platform_domains: Iterable[str] = ()) -> str:
    """The claimable ASCII form of `raw`, or `InvalidHostname` saying what is wrong."""
    if not isinstance(raw, str):
        raise InvalidHostname(f"hostname must be text, got {type(raw).__name__}")
    text = raw.strip()
    if not text:
        raise InvalidHostname("hostname is empty; give the full name, e.g. shop.example.com")
    if any(c.isspace() for c in text):
        raise _refuse(raw, "it contains whitespace; give one name such as shop.example.com")
    if "*" in text:
        raise _refuse(raw, "wildcard names are not supported; claim each hostname on its own")
    if "/" in text or (":" in text.strip("[]") and not _is_ip_literal(text)):
        raise _refuse(raw, "give the bare hostname, without scheme, port or path")
    if _is_ip_literal(text):
        raise _refuse(raw, "it is an IP address; claim a DNS name that points at the platform")
    text = text.lower()
    if text.endswith("."):
        text = text[:-1]
    labels = text.split(".")
    if any(not label for label in labels):
        raise _refuse(raw, "it has an empty label (two dots in a row, or a leading dot)")
    if len(labels) < 2:
        raise _refuse(raw, "it is a single label; give a full name such as shop.example.com")
    ascii_labels = [_to_ascii_label(raw, label) for label in labels]
    for label in ascii_labels:
        if len(label) > MAX_LABEL:
            raise _label_too_long(raw, label)
        if not _LDH.match(label):
            raise _refuse(raw, f"label {label!r} has characters other than letters, digits, '-'")
        if label.startswith("-") or label.endswith("-"):
            raise _refuse(raw, f"label {label!r} starts or ends with a hyphen")
    hostname = ".".join(ascii_labels)
    if len(hostname) > MAX_HOSTNAME:
        raise _refuse(raw, f"it is {len(hostname)} characters long; at most {MAX_HOSTNAME}")
    if ascii_labels[-1].isdigit():
        raise _refuse(raw, "its top-level label is all digits, so it is not a DNS name")
    tld = ascii_labels[-1]
    for label in ascii_labels:
        problem = lookalike_problem(_to_unicode_label(label), tld)
        if problem is not None:
            raise _refuse(raw, f"{problem}; claim the name in one script")
    for domain in platform_domains:
        own = domain.strip().lower().rstrip(".")
        if own and (hostname == own or hostname.endswith("." + own)):
            raise _refuse(
                raw, f"it is under the platform's own domain {own!r}, which is not claimable"
            )
    if _public_suffixes().is_public(hostname):
        raise _refuse(
            raw,
            f"{hostname!r} is a public suffix (anyone can register names under it); claim a "
            f"name you own under it, e.g. shop.yourname.{hostname}",
        )
    return hostname


def display_hostname(hostname: str) -> str:
    """The Unicode form of an ASCII hostname, for people (falls back to the ASCII form)."""
    try:
        return idna.decode(hostname)
    except idna.IDNAError:
        return hostname
