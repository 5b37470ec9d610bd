"""`commerce-cloud worker` with worker_task_queues polls only those queues (one worker pool
per task queue, as the operator deploys them); an unknown queue stops it at start, named."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from cloud.temporal.devserver import DevServer
from tests.support.servers import require_temporal_cli
from tests.support.stack import BIN, cloud_config, cloud_env, eventually, free_port


async def _pollers(client: Client, queue: str) -> int:
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(described.pollers)


async def test_worker_polls_only_the_configured_queue(tmp_path: Path) -> None:
    require_temporal_cli()
    async with DevServer(tmp_path / "temporal", port=free_port(), ui=False) as temporal:
        config = cloud_config(
            tmp_path / "cloud",
            temporal_address=temporal.target,
            worker_task_queues=["commerce-replication"],
        )
        log = (tmp_path / "worker.log").open("wb")
        proc = await asyncio.create_subprocess_exec(
            str(BIN / "commerce-cloud"), "worker", stdout=log, stderr=subprocess.STDOUT,
            env=cloud_env(config),
        )
        try:
            client = await Client.connect(temporal.target)

            async def replication_polled() -> bool:
                return await _pollers(client, "commerce-replication") > 0

            await eventually(replication_polled, timeout=60)
            await asyncio.sleep(2)  # time enough for a second worker to show up, were there one
            assert await _pollers(client, "commerce-store-sites") == 0
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)
            log.close()


async def test_unknown_task_queue_stops_the_worker_naming_the_key(tmp_path: Path) -> None:
    require_temporal_cli()
    async with DevServer(tmp_path / "temporal", port=free_port(), ui=False) as temporal:
        env = {
            **os.environ,
            **cloud_env(cloud_config(tmp_path / "cloud", temporal_address=temporal.target)),
            "COMMERCE_CLOUD_WORKER_TASK_QUEUES": "commerce-payments",
        }
        done = await asyncio.to_thread(
            subprocess.run, [str(BIN / "commerce-cloud"), "worker"], capture_output=True,
            text=True, timeout=120, env=env,
        )
    assert done.returncode != 0
    assert "worker_task_queues: this worker serves no task queue commerce-payments" in (
        done.stderr
    ), done.stderr
