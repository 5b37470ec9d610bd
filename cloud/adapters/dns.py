"""DNS lookups for domain claims, with dnspython; the one module that imports it.

Adapter room: asks DNS servers over the network (UDP, then TCP when truncated) and maps
every dnspython outcome to a `DnsAnswer` status, so nothing dnspython raises leaves here:

    answered with records   -> ok          NXDOMAIN          -> nxdomain
    NOERROR, no such record -> nodata      SERVFAIL/REFUSED  -> servfail (ask again)
    no answer in time       -> timeout     anything else     -> error (ask again)

Who is asked:
- `servers` given (`host:port`: a split-horizon resolver, fixed authoritative servers, or
  challtestsrv in tests): those, as a resolver would.
- none given: the name's own authoritative servers. The zone and its NS addresses are found
  through the bootstrap resolvers (the system's unless configured); then each question goes to
  those servers directly, without recursion, so no resolver cache hides a record just added.
Answers are never cached here: each check sees what DNS says now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset

from cloud.domains.caa import caa_names
from cloud.domains.config import DomainConfig
from cloud.domains.records import (
    ANSWER_ERROR,
    ANSWER_NODATA,
    ANSWER_NXDOMAIN,
    ANSWER_OK,
    ANSWER_SERVFAIL,
    ANSWER_TIMEOUT,
    DnsAnswer,
    DnsObservation,
)

__all__ = ["DnsResolver", "dns_resolver"]

logger = logging.getLogger(__name__)


def _nameserver(address: str) -> dns.nameserver.Do53Nameserver:
    host, _, port = address.rpartition(":")
    return dns.nameserver.Do53Nameserver(host.strip("[]"), int(port))


class DnsResolver:
    """Answers DNS questions as `DnsAnswer`s (`DnsLookupPort`)."""

    def __init__(
        self,
        servers: Sequence[str] = (),
        *,
        timeout_seconds: float = 5.0,
        bootstrap: Sequence[str] = (),
        authoritative_port: int = 53,
    ) -> None:
        self._servers = list(servers)
        self._bootstrap_servers = list(bootstrap)
        self._port = authoritative_port
        self._timeout = timeout_seconds
        self._resolver: dns.asyncresolver.Resolver | None = None

    def _get_resolver(self) -> dns.asyncresolver.Resolver:
        """Built on first use (off the event loop: it may read /etc/resolv.conf), so a
        machine without a resolver configuration can still start."""
        if self._resolver is None:
            fixed = self._servers or self._bootstrap_servers
            if fixed:
                resolver = dns.asyncresolver.Resolver(configure=False)
                resolver.nameservers = [_nameserver(s) for s in fixed]
            else:
                resolver = dns.asyncresolver.Resolver()
            resolver.lifetime = self._timeout
            resolver.timeout = min(2.0, self._timeout)
            resolver.cache = None
            self._resolver = resolver
        return self._resolver

    async def _resolver_ready(self) -> dns.asyncresolver.Resolver:
        resolver = self._resolver
        if resolver is None:
            resolver = await asyncio.to_thread(self._get_resolver)
        return resolver

    @property
    def servers(self) -> list[str]:
        """Who is asked, for messages."""
        return self._servers or ["the zone's authoritative servers"]

    async def lookup(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask for the `rdtype` records of `name` (CNAMEs are followed and reported)."""
        if self._servers:
            return await self._ask_resolver(name, rdtype)
        try:
            return await asyncio.wait_for(self._ask_authoritative(name, rdtype), self._timeout)
        except TimeoutError:
            return DnsAnswer(
                name,
                rdtype,
                ANSWER_TIMEOUT,
                detail=f"the authoritative servers gave no answer in {self._timeout} s",
            )

    async def _ask_resolver(self, name: str, rdtype: str) -> DnsAnswer:
        qname = name.rstrip(".") + "."
        detail = ", ".join(self._servers)
        try:
            resolver = await self._resolver_ready()
            answer = await resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(name, rdtype, ANSWER_NXDOMAIN, detail=detail)
        except dns.resolver.NoNameservers as exc:
            return DnsAnswer(name, rdtype, ANSWER_SERVFAIL, detail=f"{detail}: {exc}")
        except dns.exception.Timeout:
            return DnsAnswer(
                name, rdtype, ANSWER_TIMEOUT, detail=f"{detail}: no answer in {self._timeout} s"
            )
        except dns.exception.DNSException as exc:
            return DnsAnswer(name, rdtype, ANSWER_ERROR, detail=f"{detail}: {exc}")
        return _answer(name, rdtype, answer.response.answer, detail)

    async def authoritative_servers(self, name: str) -> tuple[str, list[str]]:
        """The zone of `name` and the addresses of its name servers (via the bootstrap)."""
        resolver = await self._resolver_ready()
        zone = await dns.asyncresolver.zone_for_name(
            name.rstrip(".") + ".", resolver=resolver, lifetime=self._timeout
        )
        ns = await resolver.resolve(zone, "NS", raise_on_no_answer=False, search=False)
        addresses: list[str] = []
        for target in sorted(
            {
                rd.target
                for rrset in ns.response.answer
                for rd in rrset
                if rrset.rdtype == dns.rdatatype.NS
            }
        ):
            for kind in ("A", "AAAA"):
                found = await resolver.resolve(target, kind, raise_on_no_answer=False, search=False)
                addresses.extend(
                    rd.to_text()
                    for rrset in found.response.answer
                    if rrset.rdtype == dns.rdatatype.from_text(kind)
                    for rd in rrset
                )
        return zone.to_text().rstrip("."), addresses

    async def _ask_authoritative(self, name: str, rdtype: str) -> DnsAnswer:
        try:
            zone, addresses = await self.authoritative_servers(name)
        except dns.resolver.NoNameservers as exc:
            return DnsAnswer(
                name, rdtype, ANSWER_SERVFAIL, detail=f"finding the zone's servers: {exc}"
            )
        except dns.exception.DNSException as exc:
            return DnsAnswer(
                name, rdtype, ANSWER_ERROR, detail=f"finding the zone's servers: {exc}"
            )
        if not addresses:
            return DnsAnswer(
                name, rdtype, ANSWER_ERROR, detail=f"zone {zone} has no name server addresses"
            )
        query = dns.message.make_query(name.rstrip(".") + ".", rdtype)
        query.flags &= ~dns.flags.RD
        failures: list[str] = []
        for address in addresses:
            server = (
                f"{address}:{self._port}" if ":" not in address else f"[{address}]:{self._port}"
            )
            try:
                response, _ = await dns.asyncquery.udp_with_fallback(
                    query, address, port=self._port, timeout=min(2.0, self._timeout)
                )
            except (dns.exception.DNSException, OSError) as exc:
                failures.append(f"{server}: {exc or type(exc).__name__}")
                continue
            rcode = response.rcode()
            if rcode == dns.rcode.NXDOMAIN:
                return DnsAnswer(name, rdtype, ANSWER_NXDOMAIN, detail=f"authoritative {server}")
            if rcode != dns.rcode.NOERROR:
                failures.append(f"{server}: {dns.rcode.to_text(rcode)}")
                continue
            return _answer(name, rdtype, response.answer, f"authoritative {server}")
        status = ANSWER_SERVFAIL if any("SERVFAIL" in f for f in failures) else ANSWER_TIMEOUT
        return DnsAnswer(name, rdtype, status, detail="; ".join(failures))

    async def observe(self, hostname: str, challenge_name: str) -> DnsObservation:
        """The TXT challenge and the A/AAAA answers (with CNAMEs) of one claim, asked at once."""
        txt, a, aaaa = await asyncio.gather(
            self.lookup(challenge_name, "TXT"),
            self.lookup(hostname, "A"),
            self.lookup(hostname, "AAAA"),
        )
        return DnsObservation(txt=txt, a=a, aaaa=aaaa, observed_at=datetime.now(UTC))

    async def caa_sets(self, hostname: str) -> dict[str, DnsAnswer]:
        """The CAA answer of `hostname` and each parent, up to the first non-empty one."""
        answers: dict[str, DnsAnswer] = {}
        for name in caa_names(hostname):
            answer = await self.lookup(name, "CAA")
            answers[name] = answer
            if answer.values or answer.status not in (ANSWER_NODATA, ANSWER_NXDOMAIN):
                break
        return answers


def _answer(name: str, rdtype: str, rrsets: Sequence[dns.rrset.RRset], detail: str) -> DnsAnswer:
    """The records of `rdtype` in an answer section, and the CNAMEs on the way."""
    wanted = dns.rdatatype.from_text(rdtype)
    chain: list[str] = []
    values: list[str] = []
    for rrset in rrsets:
        if rrset.rdtype == dns.rdatatype.CNAME and wanted != dns.rdatatype.CNAME:
            chain.extend(rd.target.to_text().rstrip(".") for rd in rrset)
        elif rrset.rdtype == wanted:
            values.extend(rd.to_text() for rd in rrset)
    status = ANSWER_OK if values else ANSWER_NODATA
    return DnsAnswer(name, rdtype, status, sorted(values), chain, detail=detail)


def dns_resolver(settings: DomainConfig) -> DnsResolver:
    """The resolver the `[domains]` settings describe."""
    return DnsResolver(
        settings.dns_resolvers,
        timeout_seconds=settings.dns_timeout_seconds,
        bootstrap=settings.dns_bootstrap_resolvers,
        authoritative_port=settings.dns_authoritative_port,
    )
