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


def render(ref: ResourceRef, spec: CommerceProcessSpec) -> list[Manifest]:
    """Every child the resource should have, in apply order."""
    children: list[Manifest] = []
    for pool in spec.worker_pools:
        children.append(_worker_deployment(ref, spec, pool))
        if pool.autoscaling is not None:
            children.append(_hpa(ref, pool))
    children.append(_gateway_deployment(ref, spec))
    children.append(_gateway_service(ref, spec))
    if spec.gateway.host:
        children.append(_gateway_ingress(ref, spec))
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


def _env(spec: CommerceProcessSpec) -> list[dict[str, Any]]:
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
        env += [
            {"name": "COMMERCE_CLOUD_TEMPORAL_TLS", "value": "true"},
            {"name": "COMMERCE_CLOUD_TEMPORAL_TLS_CA_PATH", "value": f"{TLS_MOUNT}/ca.crt"},
        ]
    if spec.temporal.api_key_secret_name:
        env.append(
            {
                "name": "COMMERCE_CLOUD_TEMPORAL_API_KEY",
                "valueFrom": {
                    "secretKeyRef": {"name": spec.temporal.api_key_secret_name, "key": "api-key"}
                },
            }
        )
    return env


def _pod_spec(
    spec: CommerceProcessSpec, args: list[str], ports: list[Any], task_queue: str | None = None
) -> dict[str, Any]:
    env = _env(spec)
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
    ref: ResourceRef, spec: CommerceProcessSpec, pool: WorkerPool
) -> Manifest:
    name = pool_name(ref, pool)
    labels = {**_labels(ref, spec, "commerce-worker"), TASK_QUEUE_LABEL: pool.task_queue}
    selector = {PROCESS_LABEL: ref.name, TASK_QUEUE_LABEL: pool.task_queue}
    deployment_spec: dict[str, Any] = {
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": labels, "annotations": {BUILD_ID_ANNOTATION: spec.version}},
            "spec": _pod_spec(spec, ["worker"], [], pool.task_queue),
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


def _gateway_deployment(ref: ResourceRef, spec: CommerceProcessSpec) -> Manifest:
    name = gateway_name(ref)
    labels = _labels(ref, spec, "commerce-gateway")
    pod = _pod_spec(
        spec,
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
