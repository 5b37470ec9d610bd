"""What a claim's DNS answers mean: its conditions, each with expected and observed values.

Domain room: pure (ipaddress only).

Every check yields all of these, so `status` always shows each one:

    TXTMissing          no TXT record at _ameide-challenge.<host>
    TXTMismatch         TXT records there, none with the claim's value
    DNSTargetIncorrect  neither a CNAME to the platform target nor A/AAAA to the gateway only
    ProxyInterference   the name resolves into a configured CDN/proxy range or CNAME suffix
    PropagationPending  a server failed to answer (SERVFAIL, timeout): nothing is known yet
    Verified            TXT matches and the name routes to the gateway

The workflow overrides PropagationPending with its schedule (next check, deadline).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cloud.domains.records import (
    UNANSWERED,
    ConditionRecord,
    DnsAnswer,
    DnsObservation,
    DomainExpectations,
)

TXT_MISSING = "TXTMissing"
TXT_MISMATCH = "TXTMismatch"
DNS_TARGET_INCORRECT = "DNSTargetIncorrect"
PROXY_INTERFERENCE = "ProxyInterference"
PROPAGATION_PENDING = "PropagationPending"
VERIFIED = "Verified"
CONDITION_TYPES = (
    TXT_MISSING,
    TXT_MISMATCH,
    DNS_TARGET_INCORRECT,
    PROXY_INTERFERENCE,
    PROPAGATION_PENDING,
    VERIFIED,
)
TRUE = "True"
FALSE = "False"
UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Evaluation:
    """The conditions of one check, and whether the claim is verified by it."""

    conditions: list[ConditionRecord]
    verified: bool
    # True when a server failed to answer: the check says nothing, ask again.
    unanswered: bool


def _txt_text(value: str) -> str:
    """A TXT value in presentation form ('"a" "b"') as the text it carries."""
    parts = [p for p in value.split('"') if p.strip()]
    return "".join(parts) if value.startswith('"') else value


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".")


def _in_ranges(address: str, cidrs: list[str]) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for cidr in cidrs:
        if ip in ipaddress.ip_network(cidr, strict=False):
            return cidr
    return None


def _condition(kind: str, status: str, reason: str, message: str) -> ConditionRecord:
    return ConditionRecord(type=kind, status=status, reason=reason, message=message)


def _txt_conditions(
    txt: DnsAnswer, expect: DomainExpectations
) -> tuple[ConditionRecord, ConditionRecord, bool]:
    wanted = f'TXT {expect.challenge_name} "{expect.challenge_value}"'
    if txt.status in UNANSWERED:
        msg = f"expected {wanted}; observed {txt.describe()}"
        return (
            _condition(TXT_MISSING, UNKNOWN, "DNSUnanswered", msg),
            _condition(TXT_MISMATCH, UNKNOWN, "DNSUnanswered", msg),
            False,
        )
    texts = [_txt_text(v) for v in txt.values]
    if not texts:
        return (
            _condition(
                TXT_MISSING,
                TRUE,
                "NoTXTRecord",
                f"expected {wanted}; observed {txt.describe()}; add the TXT record",
            ),
            _condition(TXT_MISMATCH, FALSE, "NoTXTRecord", "no TXT record to compare"),
            False,
        )
    found = _condition(TXT_MISSING, FALSE, "TXTFound", f"observed {txt.describe()}")
    if expect.challenge_value in texts:
        return found, _condition(TXT_MISMATCH, FALSE, "TXTMatches", f"observed {wanted}"), True
    observed = ", ".join(f'"{t}"' for t in texts)
    return (
        found,
        _condition(
            TXT_MISMATCH,
            TRUE,
            "WrongTXTValue",
            f"expected {wanted}; observed TXT {observed}; replace the value "
            "(a value from another claim or tenant does not count)",
        ),
        False,
    )


def _route_conditions(
    observation: DnsObservation, expect: DomainExpectations
) -> tuple[ConditionRecord, ConditionRecord, bool, bool]:
    """DNSTargetIncorrect, ProxyInterference, routed, unanswered."""
    a, aaaa = observation.a, observation.aaaa
    wanted = f"CNAME {expect.hostname} -> {expect.cname_target}" + (
        f" (or A/AAAA {', '.join(expect.gateway_addresses)})" if expect.gateway_addresses else ""
    )
    unanswered = [x for x in (a, aaaa) if x.status in UNANSWERED]
    if unanswered:
        msg = f"expected {wanted}; observed " + "; ".join(x.describe() for x in unanswered)
        return (
            _condition(DNS_TARGET_INCORRECT, UNKNOWN, "DNSUnanswered", msg),
            _condition(PROXY_INTERFERENCE, UNKNOWN, "DNSUnanswered", msg),
            False,
            True,
        )
    chain = [_fqdn(t) for t in (a.cname_chain or aaaa.cname_chain)]
    addresses = sorted(set(a.values) | set(aaaa.values))
    observed = (
        " -> ".join([f"CNAME {t}" for t in chain] + ([", ".join(addresses)] if addresses else []))
        or "no CNAME, A or AAAA record"
    )
    for target in chain:
        for suffix in expect.cdn_cname_suffixes:
            cdn = _fqdn(suffix)
            if target == cdn or target.endswith("." + cdn):
                return (
                    _condition(
                        DNS_TARGET_INCORRECT,
                        TRUE,
                        "PointsAtProxy",
                        f"expected {wanted}; observed {observed}",
                    ),
                    _condition(
                        PROXY_INTERFERENCE,
                        TRUE,
                        "ProxyCNAME",
                        f"expected {wanted}; observed {observed}: {target} is a CDN/proxy "
                        f"({suffix}); point the name at the platform directly (turn the "
                        "proxy off for this record)",
                    ),
                    False,
                    False,
                )
    no_proxy = _condition(PROXY_INTERFERENCE, FALSE, "NoProxy", f"observed {observed}")
    target = _fqdn(expect.cname_target)
    if chain and chain[0] == target:
        return (
            _condition(DNS_TARGET_INCORRECT, FALSE, "CNAMEMatches", f"observed {observed}"),
            no_proxy,
            True,
            False,
        )
    for address in addresses:
        cidr = _in_ranges(address, expect.cdn_cidrs)
        if cidr is not None:
            return (
                _condition(
                    DNS_TARGET_INCORRECT,
                    TRUE,
                    "PointsAtProxy",
                    f"expected {wanted}; observed {observed}",
                ),
                _condition(
                    PROXY_INTERFERENCE,
                    TRUE,
                    "ProxyAddress",
                    f"expected {wanted}; observed {observed}: {address} is in the CDN/proxy "
                    f"range {cidr}; point the name at the platform directly (turn the proxy "
                    "off for this record)",
                ),
                False,
                False,
            )
    gateway = set(expect.gateway_addresses)
    if not chain and addresses and set(addresses) <= gateway:
        return (
            _condition(DNS_TARGET_INCORRECT, FALSE, "AddressesMatch", f"observed {observed}"),
            no_proxy,
            True,
            False,
        )
    if chain:
        reason = "WrongCNAME"
    elif addresses:
        reason = "WrongAddress"
    else:
        reason = "NoRoutingRecord"
    return (
        _condition(
            DNS_TARGET_INCORRECT,
            TRUE,
            reason,
            f"expected {wanted}; observed {observed}; change the record",
        ),
        no_proxy,
        False,
        False,
    )


def evaluate(observation: DnsObservation, expect: DomainExpectations) -> Evaluation:
    """The conditions `observation` gives a claim expecting `expect`."""
    missing, mismatch, txt_ok = _txt_conditions(observation.txt, expect)
    target, proxy, routed, route_unanswered = _route_conditions(observation, expect)
    unanswered = route_unanswered or observation.txt.status in UNANSWERED
    verified = txt_ok and routed and not unanswered
    if unanswered:
        failed = [x.describe() for x in observation.answers() if x.status in UNANSWERED]
        pending = _condition(
            PROPAGATION_PENDING,
            TRUE,
            "DNSUnanswered",
            "the name's DNS servers did not answer: " + "; ".join(failed),
        )
    elif verified:
        pending = _condition(PROPAGATION_PENDING, FALSE, "RecordsVisible", "all records seen")
    else:
        pending = _condition(
            PROPAGATION_PENDING,
            TRUE,
            "RecordsNotVisible",
            "the expected records are not all visible yet; new records can take a while to "
            "propagate",
        )
    done = _condition(
        VERIFIED,
        TRUE if verified else FALSE,
        "DNSVerified" if verified else "NotVerified",
        f"TXT and routing for {expect.hostname} are as expected"
        if verified
        else "waiting for the records above",
    )
    return Evaluation(
        conditions=[missing, mismatch, target, proxy, pending, done],
        verified=verified,
        unanswered=unanswered,
    )
