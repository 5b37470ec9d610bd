"""DNS lookups for domain claims, with dnspython; the one module that imports it.

Adapter room: asks DNS servers over the network (UDP, then TCP when truncated) and maps
every dnspython outcome to a `DnsAnswer` status, so nothing dnspython raises leaves here:

    answered with records   -> ok          NXDOMAIN          -> nxdomain
    NOERROR, no such record -> nodata      SERVFAIL/REFUSED  -> servfail (ask again)
    no answer in time       -> timeout     anything else     -> error (ask again)

The servers asked are the configured `host:port` list (the zone's authoritative servers, a
split-horizon resolver, or challtestsrv in tests), else the system's resolvers. Answers are
never cached here: each check sees what DNS says now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from cloud.domains.caa import caa_names
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

__all__ = ["DnsResolver"]

logger = logging.getLogger(__name__)


def _nameserver(address: str) -> dns.nameserver.Do53Nameserver:
    host, _, port = address.rpartition(":")
    return dns.nameserver.Do53Nameserver(host.strip("[]"), int(port))


class DnsResolver:
    """Answers DNS questions as `DnsAnswer`s (`DnsLookupPort`)."""

    def __init__(self, servers: Sequence[str] = (), *, timeout_seconds: float = 5.0) -> None:
        self._servers = list(servers)
        self._timeout = timeout_seconds
        self._resolver: dns.asyncresolver.Resolver | None = None

    def _get_resolver(self) -> dns.asyncresolver.Resolver:
        """Built on first use (off the event loop: it may read /etc/resolv.conf), so a
        machine without a resolver configuration can still start."""
        if self._resolver is None:
            if self._servers:
                resolver = dns.asyncresolver.Resolver(configure=False)
                resolver.nameservers = [_nameserver(s) for s in self._servers]
            else:
                resolver = dns.asyncresolver.Resolver()
            resolver.lifetime = self._timeout
            resolver.timeout = min(2.0, self._timeout)
            resolver.cache = None
            self._resolver = resolver
        return self._resolver

    @property
    def servers(self) -> list[str]:
        """Who is asked, for messages."""
        return self._servers or ["system resolvers"]

    async def lookup(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask for the `rdtype` records of `name` (CNAMEs are followed and reported)."""
        qname = name.rstrip(".") + "."
        detail = ", ".join(self.servers)
        try:
            resolver = self._resolver
            if resolver is None:
                resolver = await asyncio.to_thread(self._get_resolver)
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
        wanted = dns.rdatatype.from_text(rdtype)
        chain: list[str] = []
        values: list[str] = []
        for rrset in answer.response.answer:
            if rrset.rdtype == dns.rdatatype.CNAME and wanted != dns.rdatatype.CNAME:
                chain.extend(rd.target.to_text().rstrip(".") for rd in rrset)
            elif rrset.rdtype == wanted:
                values.extend(rd.to_text() for rd in rrset)
        status = ANSWER_OK if values else ANSWER_NODATA
        return DnsAnswer(name, rdtype, status, sorted(values), chain, detail=detail)

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
