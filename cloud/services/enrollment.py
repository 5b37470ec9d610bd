"""What an installer needs to enroll a store server, and how it is assembled.

Service room: pure data plus the assembly from a token id; the token source and the site CA
come in as ports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cloud.services.ports import CaFingerprint, TokenSource

__all__ = ["Enrollment", "EnrollmentIssuer"]


@dataclass(frozen=True)
class Enrollment:
    """What an installer needs to enroll a store server."""

    site_id: str
    token: str
    expires_at: datetime
    ca_fingerprint: str
    cloud_address: str

    @property
    def arguments(self) -> list[str]:
        """`commerce-edge` arguments that enroll the store server."""
        return [
            "enroll",
            "--cloud",
            self.cloud_address,
            "--token",
            self.token,
            "--ca-fingerprint",
            self.ca_fingerprint,
        ]

    @property
    def command(self) -> str:
        """The command line an installer runs on the store server."""
        return " ".join(["commerce-edge", *self.arguments])


class EnrollmentIssuer:
    """Reveals a bootstrap token by id and pairs it with the CA pin and the cloud address."""

    def __init__(self, tokens: TokenSource, ca: CaFingerprint, cloud_address: str) -> None:
        self._tokens = tokens
        self._ca = ca
        self._cloud_address = cloud_address

    def enrollment(self, site_id: str, token_id: str, expires_at: datetime) -> Enrollment:
        return Enrollment(
            site_id=site_id,
            token=self._tokens.token(site_id, token_id),
            expires_at=expires_at,
            ca_fingerprint=self._ca.ca_fingerprint(),
            cloud_address=self._cloud_address,
        )
