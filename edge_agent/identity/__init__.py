"""Site identity: the key made on this box, enrollment, the certificate and its renewal."""

from __future__ import annotations

from edge_agent.identity.certificates import CertificateFacts
from edge_agent.identity.current import SiteIdentity, load_identity
from edge_agent.identity.enrollment import BootstrapToken, EnrollmentOutcome, enroll
from edge_agent.identity.files import EnrollmentRecord, IdentityPaths
from edge_agent.identity.renewal import RenewalTask, renew_certificate

__all__ = [
    "BootstrapToken",
    "CertificateFacts",
    "EnrollmentOutcome",
    "EnrollmentRecord",
    "IdentityPaths",
    "RenewalTask",
    "SiteIdentity",
    "enroll",
    "load_identity",
    "renew_certificate",
]
