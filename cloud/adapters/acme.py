"""ACME adapter: orders a certificate for one hostname from an ACME CA with the `acme` library.

Adapter room: talks HTTPS to the CA (account, order, challenge answers, finalize, download,
revoke, ARI) and hands challenge answers to a `ChallengeSolver` port; touches no store. The only
module that imports `acme`, `josepy` and `requests`: every failure leaves it as an
`cloud.acme_outcomes.ACMEFailure` classified by the one table there. Methods are synchronous
(the library is); call them from a thread in async code.

Polling: a pending authorization or a processing order is asked again after short, growing
waits (`poll_waits`, from 150 ms up to 2 s, or the CA's Retry-After), not the library's fixed
second, so a CA that validates at once answers in well under a second.

Crash safety: `issue` reports the order URL through `on_order` before it answers any challenge,
and `issue(resume_order_url=...)` picks that order up again (downloading the certificate if the
CA already issued it), so a retry after a crash never orders a second certificate.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import requests
from acme import challenges, client, crypto_util, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from josepy.jwa import RS256
from josepy.jwk import JWKRSA

from cloud.acme_outcomes import (
    NETWORK_RULE,
    ACMEFailure,
    ACMERetryNow,
    TransientACMEError,
    failure_for,
)

logger = logging.getLogger(__name__)

HTTP_01 = "http-01"
DNS_01 = "dns-01"
_T = TypeVar("_T")


class ChallengeSolver(Protocol):
    """Publishes a challenge answer where the CA will look for it, and removes it after."""

    def present(self, hostname: str, token: str, validation: str) -> None: ...

    def cleanup(self, hostname: str, token: str) -> None: ...


@dataclass(frozen=True)
class AcmeSettings:
    """Where the CA is and how to talk to it."""

    directory_url: str
    contact_email: str | None = None
    # True (system trust), False (never in production) or a CA bundle path.
    verify: bool | str = True
    network_timeout_seconds: int = 30
    # How long one order may take from challenge answers to the downloaded certificate.
    order_deadline_seconds: int = 120
    # badNonce is retried at once this many times (on top of the library's one retry).
    bad_nonce_attempts: int = 5
    # A pending authorization or a processing order is asked again after `poll_first_seconds`,
    # then after each wait times `poll_backoff`, up to `poll_max_seconds`; a longer Retry-After
    # from the CA is honoured (never past the order's deadline).
    poll_first_seconds: float = 0.15
    poll_backoff: float = 1.6
    poll_max_seconds: float = 2.0
    user_agent: str = "commerce-cloud-acme"


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate the CA issued, with the key it certifies (PEM, unencrypted in memory)."""

    hostname: str
    fullchain_pem: str
    key_pem: bytes
    serial_hex: str
    not_before: dt.datetime
    not_after: dt.datetime
    order_url: str


def new_certificate_key() -> bytes:
    """A fresh EC P-256 key for one certificate, PKCS#8 PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def new_account_key() -> bytes:
    """A fresh RSA-2048 ACME account key, PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def describe_certificate(fullchain_pem: str) -> tuple[str, dt.datetime, dt.datetime]:
    """(serial hex, not before, not after) of the leaf of a PEM chain."""
    leaf = x509.load_pem_x509_certificate(fullchain_pem.encode())
    return format(leaf.serial_number, "x"), leaf.not_valid_before_utc, leaf.not_valid_after_utc


def poll_waits(settings: AcmeSettings) -> Iterator[float]:
    """Seconds to wait before each next poll: short at first, growing to a ceiling."""
    wait = settings.poll_first_seconds
    while True:
        yield wait
        wait = min(settings.poll_max_seconds, wait * settings.poll_backoff)


class _Network(client.ClientNetwork):
    """Remembers the last response, so a rateLimited problem keeps its Retry-After."""

    last_response: requests.Response | None = None

    def _send_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        response = super()._send_request(method, url, *args, **kwargs)
        self.last_response = response
        return response


def _retry_after(response: requests.Response | None, now: dt.datetime) -> dt.datetime | None:
    raw = response.headers.get("Retry-After") if response is not None else None
    if not raw:
        return None
    if raw.strip().isdigit():
        return now + dt.timedelta(seconds=int(raw.strip()))
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class AcmeIssuer:
    """Orders, renews and revokes certificates at one CA with one account key."""

    def __init__(
        self,
        settings: AcmeSettings,
        account_key_pem: bytes,
        solvers: Mapping[str, ChallengeSolver],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._settings = settings
        key = serialization.load_pem_private_key(account_key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the ACME account key must be an RSA key (PEM)")
        self._account_key = JWKRSA(key=key)
        self._solvers = dict(solvers)
        self._clock = clock
        # The CA's directory and this key's account URL, learned once and reused by every
        # order (saving three requests each); forgotten after any failure, so a CA that lost
        # the account, or moved, is asked again.
        self._directory: messages.Directory | None = None
        self._account_uri: str | None = None

    # Public API -------------------------------------------------------------------------------
    def issue(
        self,
        hostname: str,
        *,
        key_pem: bytes,
        method: str = HTTP_01,
        resume_order_url: str | None = None,
        on_order: Callable[[str], None] | None = None,
    ) -> IssuedCertificate:
        """Order (or resume) a certificate for `hostname` proven by `method`; raises an
        `ACMEFailure` saying what went wrong and whether retrying helps."""
        solver = self._solvers.get(method)
        if solver is None:
            raise ValueError(
                f"challenge method {method!r} is not configured; use one of {sorted(self._solvers)}"
            )
        acme, net = self._connect(hostname)
        csr_pem = crypto_util.make_csr(key_pem, [hostname])
        presented: list[str] = []
        try:
            orderr = self._call(
                hostname, net, lambda: self._open_order(acme, csr_pem, resume_order_url)
            )
            if orderr.uri != resume_order_url and on_order is not None:
                on_order(orderr.uri)
            if orderr.body.status != messages.STATUS_VALID:
                for authzr in orderr.authorizations:
                    if authzr.body.status != messages.STATUS_PENDING:
                        continue
                    challb = self._pick(authzr, method, hostname)
                    response, validation = challb.response_and_validation(self._account_key)
                    solver.present(hostname, challb.chall.encode("token"), validation)
                    presented.append(challb.chall.encode("token"))
                    self._answer(acme, net, hostname, challb, response)
            deadline = time.monotonic() + self._settings.order_deadline_seconds
            orderr = self._call(
                hostname, net, lambda: self._poll_and_finalize(acme, orderr, deadline)
            )
        finally:
            net.session.close()
            for token in presented:
                try:
                    solver.cleanup(hostname, token)
                except Exception:  # cleanup must not hide the order's outcome
                    logger.warning("could not remove challenge %s for %s", token, hostname)
        fullchain = str(orderr.fullchain_pem)
        serial, not_before, not_after = describe_certificate(fullchain)
        return IssuedCertificate(
            hostname=hostname,
            fullchain_pem=fullchain,
            key_pem=key_pem,
            serial_hex=serial,
            not_before=not_before,
            not_after=not_after,
            order_url=str(orderr.uri),
        )

    def renewal_window_start(self, fullchain_pem: str) -> dt.datetime | None:
        """The time ARI (RFC 9773) suggests renewing at, or None when the CA offers no ARI."""
        acme, net = self._connect("renewal-info")
        try:
            when, _next_check = acme.renewal_time(fullchain_pem.encode())
        except errors.ARIError as error:
            raise TransientACMEError(
                f"ACME renewal info could not be fetched: {error}", reason="TransientACMEError"
            ) from error
        finally:
            net.session.close()
        if when is None:
            return None
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)

    def revoke(self, fullchain_pem: str, reason_code: int = 0) -> None:
        """Revoke a certificate this account ordered (RFC 5280 reason code)."""
        acme, net = self._connect("revocation")
        leaf = x509.load_pem_x509_certificate(fullchain_pem.encode())
        try:
            self._call("revocation", net, lambda: acme.revoke(leaf, reason_code))
        finally:
            net.session.close()

    # Internals --------------------------------------------------------------------------------
    def _connect(self, hostname: str) -> tuple[client.ClientV2, _Network]:
        net = _Network(
            self._account_key,
            alg=RS256,
            # The library hands `verify_ssl` to requests as `verify`, which takes a bundle path.
            verify_ssl=self._settings.verify,  # type: ignore[arg-type]
            user_agent=self._settings.user_agent,
            timeout=self._settings.network_timeout_seconds,
        )
        directory = self._directory
        if directory is None:
            directory = self._call(
                hostname,
                net,
                lambda: client.ClientV2.get_directory(self._settings.directory_url, net),
            )
            self._directory = directory
        acme = client.ClientV2(directory, net=net)
        if self._account_uri is not None:
            net.account = messages.RegistrationResource(
                uri=self._account_uri, body=messages.Registration()
            )
            return acme, net
        registration = messages.NewRegistration.from_data(
            email=self._settings.contact_email, terms_of_service_agreed=True
        )

        def register() -> None:
            try:
                acme.new_account(registration)
            except errors.ConflictError as existing:
                acme.query_registration(
                    messages.RegistrationResource(
                        uri=existing.location, body=messages.Registration()
                    )
                )

        self._call(hostname, net, register)
        if net.account is not None:
            self._account_uri = str(net.account["uri"])
        return acme, net

    def _forget_ca(self) -> None:
        self._directory = None
        self._account_uri = None

    def _open_order(
        self, acme: client.ClientV2, csr_pem: bytes, resume_order_url: str | None
    ) -> messages.OrderResource:
        if resume_order_url:
            body = messages.Order.from_json(acme._post_as_get(resume_order_url).json())
            if body.status != messages.STATUS_INVALID:
                authorizations = [
                    acme._authzr_from_response(acme._post_as_get(url), uri=url)
                    for url in body.authorizations
                ]
                logger.info("resuming ACME order %s (%s)", resume_order_url, body.status)
                return messages.OrderResource(
                    body=body,
                    uri=resume_order_url,
                    authorizations=authorizations,
                    csr_pem=csr_pem,
                )
        return acme.new_order(csr_pem)

    def _poll_and_finalize(
        self, acme: client.ClientV2, orderr: messages.OrderResource, deadline: float
    ) -> messages.OrderResource:
        """Wait for the authorizations, finalize, wait for the certificate: as the library's
        `poll_and_finalize`, but asking again after short, growing waits instead of every
        second, so a CA that validates at once answers in a fraction of a second."""
        authorizations = []
        for url in orderr.body.authorizations:
            waits = poll_waits(self._settings)
            while True:
                response = acme._post_as_get(url)
                authzr = acme._authzr_from_response(response, uri=url)
                if authzr.body.status != messages.STATUS_PENDING:
                    authorizations.append(authzr)
                    break
                self._wait(response, waits, deadline)
        failed = [
            authzr
            for authzr in authorizations
            if authzr.body.status != messages.STATUS_VALID
            and any(challb.error is not None for challb in authzr.body.challenges)
        ]
        if failed:
            raise errors.ValidationError(failed)
        orderr = orderr.update(authorizations=authorizations)
        try:
            acme.begin_finalization(orderr)
        except messages.Error as error:
            if error.code != "orderNotReady":
                raise
        waits = poll_waits(self._settings)
        while True:
            response = acme._post_as_get(orderr.uri)
            body = messages.Order.from_json(response.json())
            if body.status == messages.STATUS_INVALID:
                if body.error is not None:
                    raise errors.IssuanceError(body.error)
                raise errors.Error("the CA marked the order invalid without saying why")
            if body.status == messages.STATUS_VALID and body.certificate is not None:
                certificate = acme._post_as_get(body.certificate)
                done: messages.OrderResource = orderr.update(
                    body=body, fullchain_pem=certificate.text
                )
                return done
            if body.status == messages.STATUS_READY:
                acme.begin_finalization(orderr)
            self._wait(response, waits, deadline)

    def _wait(self, response: requests.Response, waits: Iterator[float], deadline: float) -> None:
        """Sleep before asking the CA again: the next wait, or its Retry-After when longer."""
        wait = next(waits)
        retry_after = _retry_after(response, self._clock())
        if retry_after is not None:
            wait = max(wait, (retry_after - self._clock()).total_seconds())
        left = deadline - time.monotonic()
        if left <= 0:
            raise errors.TimeoutError()
        time.sleep(min(wait, left))

    def _answer(
        self,
        acme: client.ClientV2,
        net: _Network,
        hostname: str,
        challb: messages.ChallengeBody,
        response: challenges.ChallengeResponse,
    ) -> None:
        self._call(hostname, net, lambda: acme.answer_challenge(challb, response))

    def _pick(
        self, authzr: messages.AuthorizationResource, method: str, hostname: str
    ) -> messages.ChallengeBody:
        wanted = challenges.HTTP01 if method == HTTP_01 else challenges.DNS01
        for challb in authzr.body.challenges:
            if isinstance(challb.chall, wanted):
                return challb
        offered = ", ".join(sorted(c.chall.typ for c in authzr.body.challenges))
        raise failure_for(
            "rejectedIdentifier",
            f"the CA offers no {method} challenge (offered: {offered})",
            hostname=hostname,
            retry_after=None,
            now=self._clock(),
        )

    def _call(self, hostname: str, net: _Network, step: Callable[[], _T]) -> _T:
        """Run one ACME step, retrying badNonce at once; map every failure to ACMEFailure."""
        attempts = max(1, self._settings.bad_nonce_attempts)
        for attempt in range(1, attempts + 1):
            try:
                return step()
            except ACMEFailure:
                self._forget_ca()
                raise
            except Exception as error:
                failure = self._classify(hostname, net, error)
                if not isinstance(failure, ACMERetryNow) or attempt >= attempts:
                    self._forget_ca()
                if isinstance(failure, ACMERetryNow) and attempt < attempts:
                    logger.info(
                        "%s: badNonce, retrying at once (%d/%d)", hostname, attempt, attempts
                    )
                    continue
                if isinstance(failure, ACMERetryNow):
                    raise TransientACMEError(
                        f"{failure} ({attempts} attempts)",
                        reason="TransientACMEError",
                        problem_type="badNonce",
                    ) from error
                raise failure from error
        raise AssertionError("unreachable")

    def _classify(self, hostname: str, net: _Network, error: Exception) -> ACMEFailure:
        now = self._clock()
        if isinstance(error, messages.Error):
            return failure_for(
                error.typ or "",
                error.detail or str(error),
                hostname=hostname,
                retry_after=_retry_after(net.last_response, now),
                now=now,
            )
        if isinstance(error, errors.ValidationError):
            for authzr in error.failed_authzrs:
                for challb in authzr.body.challenges:
                    if challb.error is not None:
                        problem = challb.error
                        return failure_for(
                            problem.typ or "",
                            problem.detail or str(problem),
                            hostname=hostname,
                            retry_after=None,
                            now=now,
                        )
        if isinstance(error, errors.IssuanceError):
            problem = error.error
            return failure_for(
                problem.typ or "",
                problem.detail or "",
                hostname=hostname,
                retry_after=None,
                now=now,
            )
        if isinstance(error, requests.RequestException | errors.TimeoutError | OSError):
            return TransientACMEError(
                f"{hostname}: {NETWORK_RULE.advice}: {error}", reason=NETWORK_RULE.reason
            )
        if isinstance(error, errors.ClientError):
            response = error.args[0][0] if error.args and isinstance(error.args[0], tuple) else None
            status = getattr(error.args[0] if error.args else None, "status_code", None)
            status = status or getattr(response, "status_code", None)
            if isinstance(status, int) and status >= 500:
                return TransientACMEError(
                    f"{hostname}: the CA answered HTTP {status}: {NETWORK_RULE.advice}",
                    reason=NETWORK_RULE.reason,
                )
        return failure_for(
            "", f"{type(error).__name__}: {error}", hostname=hostname, retry_after=None, now=now
        )
