"""The children of a CommerceProcess as Kubernetes manifests: a Deployment and (when
autoscaled) an autoscaling/v2 HPA per worker pool, and the edge gateway's Deployment, Service
and Ingress. Each is owned by the resource, so deleting it cleans them up.

Operator room: pure; builds dicts, touches nothing. Applied server-side by the reconciler, so
the same manifests create, update and repair drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cloud.operator.model import (
    API_VERSION,
    CONTROL_PORT,
    DISCOVERY_PORT,
    ENROLL_PORT,
    KIND,
    CommerceProcessSpec,
    ResourceRef,
    WorkerPool,
)

MANAGED_BY = "commerce-operator"
PROCESS_LABEL = "commerce.ameide.io/process"
BUILD_ID_LABEL = "commerce.ameide.io/build-id"
TASK_QUEUE_LABEL = "commerce.ameide.io/task-queue"
BUILD_ID_ANNOTATION = "commerce.ameide.io/build-id"
TLS_PASSTHROUGH = "nginx.ingress.kubernetes.io/ssl-passthrough"
TLS_MOUNT = "/etc/commerce/temporal-tls"
TLS_CA_KEY = "ca.crt"
TLS_CERT_KEY = "tls.crt"
TLS_KEY_KEY = "tls.key"
API_KEY_KEY = "api-key"
STOREFRONT_HTTPS_PORT = 443
STOREFRONT_HTTP_PORT = 80

Manifest = dict[str, Any]


@dataclass(frozen=True)
class ChildKind:
    """A kind of child: how to address it on the API server."""

    api_version: str
    kind: str
    plural: str


DEPLOYMENT = ChildKind("apps/v1", "Deployment", "deployments")
HPA = ChildKind("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers")
SERVICE = ChildKind("v1", "Service", "services")
INGRESS = ChildKind("networking.k8s.io/v1", "Ingress", "ingresses")
CHILD_KINDS: tuple[ChildKind, ...] = (DEPLOYMENT, HPA, SERVICE, INGRESS)


def label_value(text: str) -> str:
    """`text` as a valid label value (build ids may hold '@' or '+')."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", text)[:63]
    return cleaned.strip("._-") or "none"


def pool_name(ref: ResourceRef, pool: WorkerPool) -> str:
    return f"{ref.name}-{pool.short_name}"


def gateway_name(ref: ResourceRef) -> str:
    return f"{ref.name}-gateway"


def gateway_health_address(ref: ResourceRef, spec: CommerceProcessSpec) -> str:
    """Where the gateway's discovery port answers: the override, else the Service's DNS name."""
    return spec.gateway.health_address or (
        f"{gateway_name(ref)}.{ref.namespace}.svc:{DISCOVERY_PORT}"
    )


def storefront_name(ref: ResourceRef) -> str:
    return f"{ref.name}-storefront"


def render(
    ref: ResourceRef,
    spec: CommerceProcessSpec,
    tls_keys: frozenset[str] | None = None,
) -> list[Manifest]:
    """Every child the resource should have, in apply order.

    `tls_keys` are the keys the Temporal TLS Secret holds (None: not known, e.g. the Secret
    does not exist yet; then the containers expect ca.crt, tls.crt and tls.key)."""
    env = _env(spec, tls_keys)
    children: list[Manifest] = []
    for pool in spec.worker_pools:
        children.append(_worker_deployment(ref, spec, pool, env))
        if pool.autoscaling is not None:
            children.append(_hpa(ref, pool))
    children.append(_gateway_deployment(ref, spec, env))
    children.append(_gateway_service(ref, spec))
    if spec.gateway.host:
        children.append(_gateway_ingress(ref, spec))
    if spec.storefront.ingress_class_name:
        children.append(_storefront_deployment(ref, spec))
        children.append(_storefront_service(ref, spec))
        children.append(_storefront_ingress(ref, spec))
    return children


def _owner(ref: ResourceRef) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": ref.name,
        "uid": ref.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _labels(ref: ResourceRef, spec: CommerceProcessSpec, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/instance": ref.name,
        "app.kubernetes.io/part-of": "commerce-process",
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/version": label_value(spec.version),
        PROCESS_LABEL: ref.name,
        BUILD_ID_LABEL: label_value(spec.version),
    }


def _metadata(
    ref: ResourceRef, name: str, labels: dict[str, str], **annotations: str
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ref.namespace,
        "labels": labels,
        "ownerReferences": [_owner(ref)],
    }
    if annotations:
        meta["annotations"] = annotations
    return meta


def _env(spec: CommerceProcessSpec, tls_keys: frozenset[str] | None) -> list[dict[str, Any]]:
    """The variables `commerce-cloud` reads (cloud/config.py): Temporal address, namespace,
    TLS files from the mounted Secret, the API key and the store URL from their Secrets."""
    env: list[dict[str, Any]] = [
        {"name": "COMMERCE_CLOUD_TEMPORAL_ADDRESS", "value": spec.temporal.address},
        {"name": "COMMERCE_CLOUD_TEMPORAL_NAMESPACE", "value": spec.temporal.namespace},
        {"name": "COMMERCE_CLOUD_DATA_DIR", "value": "/var/lib/commerce"},
        {
            "name": "COMMERCE_CLOUD_DATABASE_URL",
            "valueFrom": {
                "secretKeyRef": {
                    "name": spec.store.url_secret.name,
                    "key": spec.store.url_secret.key,
                }
            },
        },
    ]
    if spec.temporal.tls_secret_name:
        env.append({"name": "COMMERCE_CLOUD_TEMPORAL_TLS", "value": "true"})
        if tls_keys is None or TLS_CA_KEY in tls_keys:
            env.append(
                {
                    "name": "COMMERCE_CLOUD_TEMPORAL_TLS_CA_PATH",
                    "value": f"{TLS_MOUNT}/{TLS_CA_KEY}",
                }
            )
        # mTLS needs both files (commerce-cloud refuses one without the other).
        if tls_keys is None or {TLS_CERT_KEY, TLS_KEY_KEY} <= tls_keys:
            env += [
                {
                    "name": "COMMERCE_CLOUD_TEMPORAL_TLS_CERT_PATH",
                    "value": f"{TLS_MOUNT}/{TLS_CERT_KEY}",
                },
                {
                    "name": "COMMERCE_CLOUD_TEMPORAL_TLS_KEY_PATH",
                    "value": f"{TLS_MOUNT}/{TLS_KEY_KEY}",
                },
            ]
    if spec.temporal.api_key_secret_name:
        env.append(
            {
                "name": "COMMERCE_CLOUD_TEMPORAL_API_KEY",
                "valueFrom": {
                    "secretKeyRef": {
                        "name": spec.temporal.api_key_secret_name,
                        "key": API_KEY_KEY,
                    }
                },
            }
        )
    return env


def _pod_spec(
    spec: CommerceProcessSpec,
    env: list[dict[str, Any]],
    args: list[str],
    ports: list[Any],
    task_queue: str | None = None,
) -> dict[str, Any]:
    env = list(env)
    if task_queue is not None:
        env.append({"name": "COMMERCE_CLOUD_WORKER_TASK_QUEUES", "value": task_queue})
    container: dict[str, Any] = {
        "name": args[0],
        "image": spec.image,
        "args": args,
        "env": env,
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/commerce"}],
    }
    if ports:
        container["ports"] = ports
        container["readinessProbe"] = {"tcpSocket": {"port": "discovery"}, "periodSeconds": 10}
    volumes: list[dict[str, Any]] = [{"name": "data", "emptyDir": {}}]
    if spec.temporal.tls_secret_name:
        container["volumeMounts"].append(
            {"name": "temporal-tls", "mountPath": TLS_MOUNT, "readOnly": True}
        )
        volumes.append(
            {"name": "temporal-tls", "secret": {"secretName": spec.temporal.tls_secret_name}}
        )
    return {"containers": [container], "volumes": volumes}


def _worker_deployment(
    ref: ResourceRef, spec: CommerceProcessSpec, pool: WorkerPool, env: list[dict[str, Any]]
) -> Manifest:
    name = pool_name(ref, pool)
    labels = {**_labels(ref, spec, "commerce-worker"), TASK_QUEUE_LABEL: pool.task_queue}
    selector = {PROCESS_LABEL: ref.name, TASK_QUEUE_LABEL: pool.task_queue}
    deployment_spec: dict[str, Any] = {
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": labels, "annotations": {BUILD_ID_ANNOTATION: spec.version}},
            "spec": _pod_spec(spec, env, ["worker"], [], pool.task_queue),
        },
    }
    if pool.autoscaling is None:
        # With autoscaling the HPA owns replicas; applying them would fight it.
        deployment_spec["replicas"] = pool.replicas if pool.replicas is not None else 1
    return {
        "apiVersion": DEPLOYMENT.api_version,
        "kind": DEPLOYMENT.kind,
        "metadata": _metadata(ref, name, labels, **{BUILD_ID_ANNOTATION: spec.version}),
        "spec": deployment_spec,
    }


def _hpa(ref: ResourceRef, pool: WorkerPool) -> Manifest:
    assert pool.autoscaling is not None
    name = pool_name(ref, pool)
    labels = {
        PROCESS_LABEL: ref.name,
        TASK_QUEUE_LABEL: pool.task_queue,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    return {
        "apiVersion": HPA.api_version,
        "kind": HPA.kind,
        "metadata": _metadata(ref, name, labels),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": pool.autoscaling.min_replicas,
            "maxReplicas": pool.autoscaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": pool.autoscaling.target_cpu,
                        },
                    },
                }
            ],
        },
    }


_GATEWAY_PORTS = (
    ("discovery", DISCOVERY_PORT),
    ("enroll", ENROLL_PORT),
    ("control", CONTROL_PORT),
)


def _gateway_deployment(
    ref: ResourceRef, spec: CommerceProcessSpec, env: list[dict[str, Any]]
) -> Manifest:
    name = gateway_name(ref)
    labels = _labels(ref, spec, "commerce-gateway")
    pod = _pod_spec(
        spec,
        env,
        ["gateway"],
        [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in _GATEWAY_PORTS],
    )
    pod["containers"][0]["env"].append({"name": "COMMERCE_CLOUD_GATEWAY_HOST", "value": "0.0.0.0"})
    return {
        "apiVersion": DEPLOYMENT.api_version,
        "kind": DEPLOYMENT.kind,
        "metadata": _metadata(ref, name, labels, **{BUILD_ID_ANNOTATION: spec.version}),
        "spec": {
            "replicas": spec.gateway.replicas,
            "selector": {"matchLabels": {PROCESS_LABEL: ref.name, "app.kubernetes.io/name":
                                         "commerce-gateway"}},
            "template": {
                "metadata": {"labels": labels, "annotations": {BUILD_ID_ANNOTATION: spec.version}},
                "spec": pod,
            },
        },
    }


def _gateway_service(ref: ResourceRef, spec: CommerceProcessSpec) -> Manifest:
    name = gateway_name(ref)
    return {
        "apiVersion": SERVICE.api_version,
        "kind": SERVICE.kind,
        "metadata": _metadata(ref, name, _labels(ref, spec, "commerce-gateway")),
        "spec": {
            "type": spec.gateway.service_type,
            "selector": {PROCESS_LABEL: ref.name, "app.kubernetes.io/name": "commerce-gateway"},
            "ports": [
                {"name": n, "port": p, "targetPort": n, "protocol": "TCP"}
                for n, p in _GATEWAY_PORTS
            ],
        },
    }


def _gateway_ingress(ref: ResourceRef, spec: CommerceProcessSpec) -> Manifest:
    # TLS passthrough: the ingress routes by SNI and never terminates, so agents keep mTLS
    # with the gateway end to end (their client certificate reaches it).
    name = gateway_name(ref)
    ingress_spec: dict[str, Any] = {
        "rules": [
            {
                "host": spec.gateway.host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": name, "port": {"name": "control"}}},
                        }
                    ]
                },
            }
        ]
    }
    if spec.gateway.ingress_class_name:
        ingress_spec["ingressClassName"] = spec.gateway.ingress_class_name
    return {
        "apiVersion": INGRESS.api_version,
        "kind": INGRESS.kind,
        "metadata": _metadata(
            ref, name, _labels(ref, spec, "commerce-gateway"), **{TLS_PASSTHROUGH: "true"}
        ),
        "spec": ingress_spec,
    }


_STOREFRONT_PORTS = (("https", STOREFRONT_HTTPS_PORT), ("http", STOREFRONT_HTTP_PORT))
_STOREFRONT_COMPONENT = "commerce-storefront"


def _storefront_selector(ref: ResourceRef) -> dict[str, str]:
    return {PROCESS_LABEL: ref.name, "app.kubernetes.io/name": _STOREFRONT_COMPONENT}


def _storefront_deployment(ref: ResourceRef, spec: CommerceProcessSpec) -> Manifest:
    # The storefront gateway terminates TLS for custom domains with the certificates it
    # holds (one SNI server block per hostname), so its own pods serve https; http serves
    # ACME HTTP-01 challenges and is up before any domain is attached (the readiness check).
    name = storefront_name(ref)
    labels = _labels(ref, spec, _STOREFRONT_COMPONENT)
    container: dict[str, Any] = {
        "name": "storefront-gateway",
        "image": spec.storefront.image,
        "ports": [
            {"name": n, "containerPort": p, "protocol": "TCP"} for n, p in _STOREFRONT_PORTS
        ],
        "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
    }
    return {
        "apiVersion": DEPLOYMENT.api_version,
        "kind": DEPLOYMENT.kind,
        "metadata": _metadata(ref, name, labels),
        "spec": {
            "replicas": spec.storefront.replicas,
            "selector": {"matchLabels": _storefront_selector(ref)},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def _storefront_service(ref: ResourceRef, spec: CommerceProcessSpec) -> Manifest:
    return {
        "apiVersion": SERVICE.api_version,
        "kind": SERVICE.kind,
        "metadata": _metadata(
            ref, storefront_name(ref), _labels(ref, spec, _STOREFRONT_COMPONENT)
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": _storefront_selector(ref),
            "ports": [
                {"name": n, "port": p, "targetPort": n, "protocol": "TCP"}
                for n, p in _STOREFRONT_PORTS
            ],
        },
    }


def _storefront_ingress(ref: ResourceRef, spec: CommerceProcessSpec) -> Manifest:
    # Custom domains are any hostname a tenant points at the platform, so the storefront
    # gateway is the class's default backend; TLS passes through to it (it holds each
    # domain's certificate). `storefront.host` adds a rule for the platform's own name.
    name = storefront_name(ref)
    backend = {"service": {"name": name, "port": {"name": "https"}}}
    ingress_spec: dict[str, Any] = {
        "ingressClassName": spec.storefront.ingress_class_name,
        "defaultBackend": backend,
    }
    if spec.storefront.host:
        ingress_spec["rules"] = [
            {
                "host": spec.storefront.host,
                "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
            }
        ]
    return {
        "apiVersion": INGRESS.api_version,
        "kind": INGRESS.kind,
        "metadata": _metadata(
            ref, name, _labels(ref, spec, _STOREFRONT_COMPONENT), **{TLS_PASSTHROUGH: "true"}
        ),
        "spec": ingress_spec,
    }
