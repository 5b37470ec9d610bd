"""CAA pre-flight (RFC 8659, with RFC 8657 accounturi/validationmethods), over DNS answers.

Domain room: pure. The caller looks up the CAA set of the hostname and of each parent
(`caa_names`) and passes the answers; `check_caa` climbs from the hostname to the closest
non-empty set and decides whether the platform's CA may issue.

Rules applied:
- No CAA set anywhere up the tree: any CA may issue.
- The relevant set is the closest non-empty one. For a wildcard name its `issuewild`
  properties apply when it has any, else its `issue` ones; for other names `issue` only.
- The relevant set has no property of that kind (e.g. only `iodef`): any CA may issue.
- A property with the critical flag (128) and a tag this CA does not know blocks issuance.
- Otherwise the CA may issue only if a property names its issuer domain and its parameters
  allow it: `accounturi` equal to the ACME account URI, `validationmethods` listing the
  challenge type in use. `issue ";"` names no CA.
- A lookup that failed (SERVFAIL, timeout) on the way up is not "no CAA": the check is
  undecided and must be retried (RFC 8659 section 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cloud.domains.records import UNANSWERED, ConditionRecord, DnsAnswer

CAA_BLOCKED = "CAABlocked"
_KNOWN_TAGS = frozenset({"issue", "issuewild", "iodef", "contactemail", "contactphone"})


@dataclass(frozen=True)
class CaaProperty:
    flags: int
    tag: str
    value: str

    def text(self, owner: str) -> str:
        return f'{owner}. CAA {self.flags} {self.tag} "{self.value}"'


@dataclass(frozen=True)
class CaaDecision:
    """Whether the CA may issue; when not, the blocking records and the record to add."""

    allowed: bool
    # False when a lookup failed: retry before deciding.
    decided: bool
    relevant_name: str | None
    blocking_records: list[str]
    message: str
    suggestion: str = ""

    def condition(self) -> ConditionRecord:
        """The CAABlocked condition this decision gives."""
        if not self.decided:
            return ConditionRecord(CAA_BLOCKED, "Unknown", "CAALookupFailed", self.message)
        if self.allowed:
            return ConditionRecord(CAA_BLOCKED, "False", "CAAAllows", self.message)
        return ConditionRecord(CAA_BLOCKED, "True", "CAAForbidsCA", self.message)


def caa_names(hostname: str) -> list[str]:
    """The hostname, then each parent up to the top-level domain (the climb's order)."""
    labels = hostname.rstrip(".").lower().removeprefix("*.").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def parse_caa(text: str) -> CaaProperty:
    """A CAA record in presentation form, e.g. '0 issue "ca.example; accounturi=..."'."""
    flags, tag, value = text.strip().split(" ", 2)
    value = value.strip()
    if value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    return CaaProperty(int(flags), tag.lower(), value)


def _issuer_and_parameters(value: str) -> tuple[str, dict[str, str]]:
    issuer, _, rest = value.partition(";")
    parameters: dict[str, str] = {}
    for part in rest.split(";"):
        key, sep, val = part.strip().partition("=")
        if sep:
            parameters[key.strip().lower()] = val.strip()
    return issuer.strip().lower().rstrip("."), parameters


def _refusal(
    prop: CaaProperty, ca_domain: str, account_uri: str, validation_method: str
) -> str | None:
    """Why `prop` does not authorize this CA (None: it does)."""
    issuer, parameters = _issuer_and_parameters(prop.value)
    if issuer != ca_domain:
        return f"names {issuer or 'no CA'!r}, not {ca_domain!r}"
    wanted_account = parameters.get("accounturi")
    if wanted_account is not None and wanted_account != account_uri:
        return f"allows only the ACME account {wanted_account}, not {account_uri}"
    methods = parameters.get("validationmethods")
    if methods is not None:
        allowed = {m.strip().lower() for m in methods.split(",")}
        if validation_method.lower() not in allowed:
            return f"allows only validation methods {methods}, not {validation_method}"
    return None


def check_caa(
    hostname: str,
    answers: Mapping[str, DnsAnswer],
    *,
    ca_domain: str,
    account_uri: str = "",
    validation_method: str = "http-01",
) -> CaaDecision:
    """May the CA at `ca_domain` issue for `hostname`, given the CAA answers of each name?"""
    ca = ca_domain.lower().rstrip(".")
    wildcard = hostname.startswith("*.")
    for name in caa_names(hostname):
        answer = answers.get(name)
        if answer is None or answer.status in UNANSWERED:
            seen = answer.describe() if answer is not None else "not looked up"
            return CaaDecision(
                allowed=False,
                decided=False,
                relevant_name=name,
                blocking_records=[],
                message=f"the CAA lookup of {name} failed ({seen}); retrying before ordering",
            )
        properties = [parse_caa(v) for v in answer.values]
        if not properties:
            continue
        owner = name
        add = f'{owner}. CAA 0 issue "{ca}"'
        for prop in properties:
            if prop.flags & 128 and prop.tag not in _KNOWN_TAGS:
                return CaaDecision(
                    allowed=False,
                    decided=True,
                    relevant_name=owner,
                    blocking_records=[prop.text(owner)],
                    message=f"CAA record {prop.text(owner)} is critical and unknown to the CA, "
                    "so no CA may issue; remove it",
                    suggestion=f"remove {prop.text(owner)}",
                )
        tag = "issuewild" if wildcard and any(p.tag == "issuewild" for p in properties) else "issue"
        relevant = [p for p in properties if p.tag == tag]
        if not relevant:
            return CaaDecision(
                allowed=True,
                decided=True,
                relevant_name=owner,
                blocking_records=[],
                message=f"CAA at {owner} has no {tag} record, so any CA may issue",
            )
        refusals = [(p, _refusal(p, ca, account_uri, validation_method)) for p in relevant]
        if any(why is None for _, why in refusals):
            return CaaDecision(
                allowed=True,
                decided=True,
                relevant_name=owner,
                blocking_records=[],
                message=f"CAA at {owner} allows {ca}",
            )
        blocking = [p.text(owner) for p, _ in refusals]
        reasons = "; ".join(f"{p.text(owner)} {why}" for p, why in refusals)
        return CaaDecision(
            allowed=False,
            decided=True,
            relevant_name=owner,
            blocking_records=blocking,
            message=f"CAA forbids {ca} for {hostname}: {reasons}; add {add} (or remove the "
            "CAA records)",
            suggestion=add,
        )
    return CaaDecision(
        allowed=True,
        decided=True,
        relevant_name=None,
        blocking_records=[],
        message=f"no CAA records above {hostname}, so any CA may issue",
    )
