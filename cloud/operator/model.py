"""The CommerceProcess resource as typed values: spec parsing and the resource's identity.

Operator room: pure; no I/O. The CRD (deploy/base/crd.yaml) validates at admission; this
parses what was admitted and refuses anything it cannot reconcile, naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cloud.operator.errors import InvalidResource
from cloud.temporal.search_attributes import SEARCH_ATTRIBUTES

GROUP = "commerce.ameide.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "CommerceProcess"
PLURAL = "commerceprocesses"

TASK_QUEUES: tuple[str, ...] = (
    "commerce-store-sites",
    "commerce-domains",
    "commerce-replication",
    "commerce-rollouts",
    "commerce-realtime",
)
"""The task queues a worker pool may declare (the CRD's enum says the same)."""

DISCOVERY_PORT = 8470
ENROLL_PORT = 8471
CONTROL_PORT = 8472


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class Autoscaling(_Spec):
    min_replicas: int = Field(alias="minReplicas", ge=1)
    max_replicas: int = Field(alias="maxReplicas", ge=1)
    target_cpu: int = Field(default=70, alias="targetCPUUtilizationPercentage", ge=1, le=100)

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.max_replicas < self.min_replicas:
            raise ValueError("maxReplicas must not be below minReplicas")
        return self


class WorkerPool(_Spec):
    task_queue: str = Field(alias="taskQueue")
    replicas: int | None = Field(default=None, ge=0)
    autoscaling: Autoscaling | None = None

    @model_validator(mode="after")
    def _queue(self) -> WorkerPool:
        if self.task_queue not in TASK_QUEUES:
            raise ValueError(f"unknown task queue {self.task_queue!r}; one of {TASK_QUEUES}")
        return self

    @property
    def short_name(self) -> str:
        """The queue without its `commerce-` prefix, used in child names."""
        return self.task_queue.removeprefix("commerce-")


class TemporalSpec(_Spec):
    address: str
    namespace: str = "default"
    tls_secret_name: str | None = Field(default=None, alias="tlsSecretName")
    api_key_secret_name: str | None = Field(default=None, alias="apiKeySecretName")
    search_attributes: tuple[str, ...] = Field(
        default=tuple(SEARCH_ATTRIBUTES), alias="searchAttributes"
    )


class SecretKeyRef(_Spec):
    name: str
    key: str = "url"


class StoreSpec(_Spec):
    url_secret: SecretKeyRef = Field(alias="urlSecret")


class GatewaySpec(_Spec):
    replicas: int = Field(default=2, ge=0)
    host: str | None = None
    ingress_class_name: str | None = Field(default=None, alias="ingressClassName")
    service_type: str = Field(default="ClusterIP", alias="serviceType")
    health_address: str | None = Field(default=None, alias="healthAddress")


DEFAULT_STOREFRONT_IMAGE = "nginx:1.27"


class StorefrontSpec(_Spec):
    """The storefront gateway serving custom domains; declared by giving its ingress class."""

    ingress_class_name: str | None = Field(default=None, alias="ingressClassName")
    image: str = Field(default=DEFAULT_STOREFRONT_IMAGE, min_length=1)
    replicas: int = Field(default=2, ge=0)
    host: str | None = None


class CommerceProcessSpec(_Spec):
    image: str
    version: str
    temporal: TemporalSpec
    store: StoreSpec
    worker_pools: tuple[WorkerPool, ...] = Field(alias="workerPools", min_length=1)
    gateway: GatewaySpec = GatewaySpec()
    storefront: StorefrontSpec = StorefrontSpec()
    check_interval_seconds: int = Field(default=30, alias="checkIntervalSeconds", ge=1)

    @property
    def task_queues(self) -> tuple[str, ...]:
        return tuple(pool.task_queue for pool in self.worker_pools)


@dataclass(frozen=True)
class ResourceRef:
    """Which CommerceProcess: enough to own children, patch status and post events."""

    namespace: str
    name: str
    uid: str
    generation: int

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> ResourceRef:
        meta = body.get("metadata") or {}
        return cls(
            namespace=str(meta.get("namespace", "")),
            name=str(meta.get("name", "")),
            uid=str(meta.get("uid", "")),
            generation=int(meta.get("generation") or 0),
        )


def parse_spec(spec: Mapping[str, Any]) -> CommerceProcessSpec:
    """The typed spec, or InvalidResource naming the first field that is wrong."""
    try:
        return CommerceProcessSpec.model_validate(dict(spec))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "spec." + ".".join(str(part) for part in first["loc"])
        raise InvalidResource(f"{field}: {first['msg']}; fix the CommerceProcess spec") from exc
