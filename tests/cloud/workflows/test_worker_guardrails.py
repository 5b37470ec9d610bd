"""The worker `build_worker` makes: sandboxed workflows, the replayed workflow list, a build id.

Runs the real cloud stack (dev server, worker, gateway) on free loopback ports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import _Definition

from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    STORE_SITE_WORKFLOW_SERVICE_TASK_QUEUE,
)
from cloud.composition.worker import build_workers
from cloud.temporal.connect import TemporalSettings, connect_client, worker_build_id
from shared.version import package_version
from tests.cloud.workflows.corpus import registered_workflows
from tests.support.stack import Stack, cloud_stack

POLLER_WAIT = 30.0


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with cloud_stack(tmp_path_factory.mktemp("worker-guardrails")) as running:
        yield running


@pytest.fixture(scope="module")
async def workers(stack: Stack) -> list[Worker]:
    """A second worker from the same composition root, inspected but never run.

    Async because the SDK builds a worker only inside a running event loop; on its own client
    because one client refuses a second worker on the same task queue.
    """
    client = await connect_client(TemporalSettings.from_cloud_config(stack.config))
    return build_workers(client, stack.config, stack.store)


def test_build_id_comes_from_the_package_version() -> None:
    assert worker_build_id() == f"commerce-process@{package_version()}"


def test_worker_carries_the_build_id(workers: list[Worker]) -> None:
    for worker in workers:
        config = worker.config()
        assert config.get("build_id") == worker_build_id()
        assert str(config.get("identity")).startswith(worker_build_id())


async def test_running_worker_polls_with_the_build_id(stack: Stack) -> None:
    request = DescribeTaskQueueRequest(
        namespace=stack.client.namespace,
        task_queue=TaskQueue(name=STORE_SITE_WORKFLOW_SERVICE_TASK_QUEUE),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )

    async def pollers() -> list[str]:
        while True:
            described = await stack.client.workflow_service.describe_task_queue(request)
            if described.pollers:
                return [p.worker_version_capabilities.build_id for p in described.pollers]
            await asyncio.sleep(0.2)

    build_ids = await asyncio.wait_for(pollers(), POLLER_WAIT)
    assert set(build_ids) == {worker_build_id()}


def test_workflows_run_in_the_sandbox(workers: list[Worker]) -> None:
    for worker in workers:
        config = worker.config()
        runner = config.get("workflow_runner")
        assert isinstance(runner, SandboxedWorkflowRunner)
        assert not isinstance(runner, UnsandboxedWorkflowRunner)
        for cls in config.get("workflows", []):
            # A workflow defined with sandboxed=False would bypass the runner above.
            definition = _Definition.must_from_class(cls)
            assert definition.sandboxed, f"{cls.__name__} opts out of the sandbox"


def test_replay_uses_the_workflows_the_workers_register(workers: list[Worker]) -> None:
    served = [cls for w in workers for cls in w.config().get("workflows", [])]
    assert served == registered_workflows()
