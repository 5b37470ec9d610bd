"""DNS-01 publishers: write TXT answers into the platform's delegated ACME zone.

Adapter room: `Rfc2136Publisher` sends RFC 2136 dynamic updates (TSIG-signed when a key is
configured) with dnspython to the zone's primary; `ChallTestSrvPublisher` uses
pebble-challtestsrv's management API (tests, demo). The only module importing dnspython's
update machinery; failures leave as `DnsPublishError` saying whether a retry can help.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update

logger = logging.getLogger(__name__)


class DnsPublishError(Exception):
    """A TXT answer could not be written; `retryable` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Rfc2136Publisher:
    """Dynamic updates to `zone` at `server:port`, signed with a TSIG key when given."""

    def __init__(
        self,
        zone: str,
        server: str,
        port: int = 53,
        *,
        tsig_name: str | None = None,
        tsig_secret: str | None = None,
        tsig_algorithm: str = "hmac-sha256",
        ttl: int = 60,
        timeout: float = 10.0,
    ) -> None:
        self._zone = dns.name.from_text(zone)
        self._server, self._port, self._ttl, self._timeout = server, port, ttl, timeout
        self._keyring = (
            dns.tsigkeyring.from_text({tsig_name: tsig_secret})
            if tsig_name and tsig_secret
            else None
        )
        self._algorithm = dns.name.from_text(tsig_algorithm)
        self._tsig_name = dns.name.from_text(tsig_name) if tsig_name else None

    def _send(self, update: dns.update.UpdateMessage, what: str) -> None:
        try:
            answer = dns.query.tcp(update, self._server, port=self._port, timeout=self._timeout)
        except dns.tsig.PeerError as error:
            raise DnsPublishError(
                f"RFC 2136 {what} at {self._server}:{self._port} was refused: {error}; check "
                "the TSIG key (rfc2136_tsig_name, rfc2136_tsig_secret) and this host's clock",
                retryable=False,
            ) from error
        except (OSError, dns.exception.DNSException) as error:
            raise DnsPublishError(
                f"RFC 2136 {what} at {self._server}:{self._port} failed: {error}", retryable=True
            ) from error
        rcode = answer.rcode()
        if rcode != dns.rcode.NOERROR:
            retryable = rcode == dns.rcode.SERVFAIL
            raise DnsPublishError(
                f"RFC 2136 {what} at {self._server}:{self._port} answered "
                f"{dns.rcode.to_text(rcode)}"
                + ("" if retryable else ": check the zone name and the TSIG key in the config"),
                retryable=retryable,
            )

    def _update(self) -> dns.update.UpdateMessage:
        if self._keyring is not None and self._tsig_name is not None:
            return dns.update.UpdateMessage(
                self._zone,
                keyring=self._keyring,
                keyname=self._tsig_name,
                keyalgorithm=self._algorithm,
            )
        return dns.update.UpdateMessage(self._zone)

    def set_txt(self, name: str, value: str) -> None:
        update = self._update()
        update.replace(dns.name.from_text(name), self._ttl, "TXT", f'"{value}"')
        self._send(update, f"set TXT {name}")

    def clear_txt(self, name: str) -> None:
        update = self._update()
        update.delete(dns.name.from_text(name), "TXT")
        self._send(update, f"clear TXT {name}")


class ChallTestSrvPublisher:
    """TXT answers through pebble-challtestsrv's management API (tests and the demo)."""

    def __init__(self, management_url: str, timeout: float = 10.0) -> None:
        self._url = management_url.rstrip("/")
        self._timeout = timeout

    def _post(self, path: str, body: dict[str, str]) -> None:
        request = urllib.request.Request(
            f"{self._url}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise DnsPublishError(
                f"challtestsrv {path} answered HTTP {error.code}", retryable=error.code >= 500
            ) from error
        except OSError as error:
            raise DnsPublishError(f"challtestsrv {path} failed: {error}", retryable=True) from error

    def set_txt(self, name: str, value: str) -> None:
        self._post("/set-txt", {"host": name.rstrip(".") + ".", "value": value})

    def clear_txt(self, name: str) -> None:
        self._post("/clear-txt", {"host": name.rstrip(".") + "."})
