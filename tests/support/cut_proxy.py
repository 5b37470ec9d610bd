"""Test support: a TCP proxy on loopback that can lose the cloud's answers, or the link.

Stands between a real agent and the real gateway's control port (the agent's enrollment
record is pointed at it). `drop_responses()` keeps forwarding what the agent sends (so the
cloud receives and applies it) and discards everything that comes back; `heal()` closes every
connection (as a network cut ends) and forwards both ways again; `go_offline()` ends every
connection and refuses new ones until `heal()`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path


class CutProxy:
    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.dropping = False
        self.offline = False
        self.dropped_bytes = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.offline:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        for task in (
            asyncio.create_task(self._pump(reader, up_writer, answers=False)),
            asyncio.create_task(self._pump(up_reader, writer, answers=True)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, answers: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if answers and self.dropping:
                    self.dropped_bytes += len(data)
                    continue
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

    def drop_responses(self) -> None:
        self.dropping = True

    def go_offline(self) -> None:
        """The store loses its link: every connection ends and new ones are refused."""
        self.offline = True
        self.heal(online=False)

    def heal(self, *, online: bool = True) -> None:
        """End every connection (the agent redials) and forward both ways again."""
        self.dropping = False
        self.offline = not online
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def stop(self) -> None:
        self.heal()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def point_agent_at(data_dir: Path, control_port: int) -> None:
    """Rewrite the agent's enrollment record so it dials `control_port` for mTLS calls."""
    [record] = list(data_dir.rglob("enrollment.json"))
    raw = json.loads(record.read_text())
    raw["control_port"] = control_port
    record.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")
