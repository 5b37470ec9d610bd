"""The embedded Temporal dev server, started for real from the CLI binary on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from cloud.temporal.devserver import DevServer
from cloud.temporal.errors import DevServerError
from cloud.temporal.search_attributes import SITE_ID
from shared.errors import ConfigError


def _server(data_dir: Path, cli: Path, free_port: Callable[[], int], **kwargs: object) -> DevServer:
    return DevServer(
        data_dir,
        port=free_port(),
        ui_port=free_port(),
        cli_path=cli,
        **kwargs,  # type: ignore[arg-type]
    )


async def _start_parked_workflow(client: Client, site_id: str) -> str:
    """Start a workflow no worker serves: it stays Running in the server's store."""
    workflow_id = f"parked-{uuid.uuid4()}"
    await client.start_workflow(
        "ParkedWorkflow",
        id=workflow_id,
        task_queue="no-worker-polls-this",
        search_attributes=TypedSearchAttributes([SearchAttributePair(SITE_ID, site_id)]),
    )
    return workflow_id


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}


async def test_search_attributes_are_registered(
    tmp_path: Path, temporal_cli: Path, free_port: Callable[[], int]
) -> None:
    async with _server(tmp_path, temporal_cli, free_port) as server:
        assert server.ui_url == f"http://127.0.0.1:{server.ui_port}"
        client = await Client.connect(server.target)
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
        assert listed.custom_attributes["SiteId"] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        assert (
            listed.custom_attributes["SalesChannelId"]
            == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        )
        assert (tmp_path / "temporal.db").is_file()
        assert (tmp_path / "temporal.log").is_file()


async def test_workflow_survives_a_restart_with_the_same_data_dir(
    tmp_path: Path, temporal_cli: Path, free_port: Callable[[], int]
) -> None:
    server = _server(tmp_path, temporal_cli, free_port, ui=False)
    async with server:
        assert server.ui_url is None
        workflow_id = await _start_parked_workflow(await Client.connect(server.target), "s-0001")
    async with server:
        handle = (await Client.connect(server.target)).get_workflow_handle(workflow_id)
        described = await handle.describe()
        assert described.status == WorkflowExecutionStatus.RUNNING
        assert described.typed_search_attributes.get(SITE_ID) == "s-0001"


async def test_supervisor_restarts_a_dev_server_that_dies(
    tmp_path: Path, temporal_cli: Path, free_port: Callable[[], int]
) -> None:
    async with _server(tmp_path, temporal_cli, free_port, ui=False) as server:
        workflow_id = await _start_parked_workflow(await Client.connect(server.target), "s-0002")
        first_pid = server.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        await asyncio.wait_for(server.restarted.wait(), timeout=30)
        assert server.restarts == 1
        assert server.pid not in (None, first_pid)
        described = (
            await (await Client.connect(server.target)).get_workflow_handle(workflow_id).describe()
        )
        assert described.status == WorkflowExecutionStatus.RUNNING


async def test_sdk_launcher_runs_the_same_binary_with_the_same_options(
    tmp_path: Path, temporal_cli: Path, free_port: Callable[[], int]
) -> None:
    async with _server(tmp_path, temporal_cli, free_port, ui=False, use_sdk_launcher=True) as srv:
        client = await Client.connect(srv.target)
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
        assert {"SiteId", "SalesChannelId"} <= set(listed.custom_attributes)
    assert (tmp_path / "temporal.db").is_file()


async def test_port_in_use_is_a_clear_error(
    tmp_path: Path, temporal_cli: Path, free_port: Callable[[], int]
) -> None:
    async with _server(tmp_path / "a", temporal_cli, free_port, ui=False) as running:
        clash = DevServer(tmp_path / "b", port=running.port, ui=False, cli_path=temporal_cli)
        with pytest.raises(DevServerError, match=rf"127\.0\.0\.1:{running.port} is already in use"):
            await clash.start()


async def test_startup_failure_shows_the_log_tail(
    tmp_path: Path, free_port: Callable[[], int]
) -> None:
    broken = tmp_path / "temporal"
    broken.write_text("#!/bin/sh\necho 'fatal: cannot open database' >&2\nexit 3\n")
    broken.chmod(0o755)
    server = DevServer(tmp_path / "data", port=free_port(), ui=False, cli_path=broken)
    with pytest.raises(DevServerError, match="exited with code 3") as caught:
        await server.start()
    assert "fatal: cannot open database" in str(caught.value)


def test_unknown_search_attribute_type_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Keyword"):
        DevServer(tmp_path, search_attributes={"SiteId": "Keywrod"})


_OWNER = """
import asyncio, sys
from pathlib import Path
from cloud.temporal.devserver import DevServer

async def main() -> None:
    async with DevServer(Path(sys.argv[1]), port=int(sys.argv[2]), ui=False,
                         cli_path=Path(sys.argv[3])) as server:
        print(server.pid, flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_dev_server_dies_with_its_owner_on_sigkill(
    tmp_path: Path, temporal_cli: Path, free_port: Callable[[], int]
) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER, str(tmp_path), str(free_port()), str(temporal_cli)],
        stdout=subprocess.PIPE,
        text=True,
    )
    server_pid = 0
    try:
        assert owner.stdout is not None
        server_pid = int(owner.stdout.readline())
        assert _alive(server_pid)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        deadline = time.monotonic() + 30
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(server_pid), "the dev server outlived its owner"
    finally:
        owner.kill()
        owner.wait()
        if owner.stdout is not None:
            owner.stdout.close()
        if server_pid and _alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
