"""A TCP proxy for fault tests: put it between a client and a server (PostgreSQL, Temporal) and
drop every open connection, or refuse new ones, on command.

    proxy = await TcpProxy.start("127.0.0.1", upstream_port)
    ... point the client at 127.0.0.1:proxy.port ...
    await proxy.drop_all()          # every open connection reset, new ones still accepted
    proxy.refuse(True)              # new connections closed at once (as a stopped server)
    await proxy.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field


@dataclass(eq=False)  # hashed by identity: one per connection
class _Link:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    # Bytes that went each way (a test can wait for a connection to be busy).
    sent: int = 0


@dataclass
class TcpProxy:
    upstream_host: str
    upstream_port: int
    server: asyncio.base_events.Server | None = None
    links: set[_Link] = field(default_factory=set)
    refusing: bool = False
    accepted: int = 0
    dropped: int = 0
    _tasks: set[asyncio.Task] = field(default_factory=set)

    @classmethod
    async def start(cls, upstream_host: str, upstream_port: int) -> TcpProxy:
        proxy = cls(upstream_host, upstream_port)
        proxy.server = await asyncio.start_server(proxy._accept, "127.0.0.1", 0)
        return proxy

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        return len(self.links)

    def refuse(self, refusing: bool = True) -> None:
        """While refusing, a new connection is closed as soon as it is accepted."""
        self.refusing = refusing

    async def drop_all(self) -> int:
        """Reset every open connection (both sides); returns how many were dropped."""
        links = list(self.links)
        for link in links:
            self._reset(link)
        self.dropped += len(links)
        await asyncio.sleep(0)
        return len(links)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        await self.drop_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.server is not None:
            with contextlib.suppress(Exception):
                await self.server.wait_closed()

    # -- internals -------------------------------------------------------------------------

    def _reset(self, link: _Link) -> None:
        self.links.discard(link)
        for writer in (link.client, link.upstream):
            if writer is None:
                continue
            sock = writer.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER 0: close with RST, as a crashed peer or a broken network does.
                with contextlib.suppress(OSError):
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
            writer.transport.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.refusing:
            link = _Link(writer)
            self._reset(link)
            return
        link = _Link(writer)
        self.links.add(link)
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            self._reset(link)
            return
        if link not in self.links:  # dropped while connecting
            up_writer.transport.abort()
            return
        link.upstream = up_writer
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, link)),
            asyncio.create_task(self._pump(up_reader, writer, link)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            self._tasks.difference_update(pumps)
            if link in self.links:
                self.links.discard(link)
                for w in (writer, up_writer):
                    with contextlib.suppress(Exception):
                        w.close()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link
    ) -> None:
        try:
            while data := await reader.read(65536):
                if link not in self.links:
                    return
                writer.write(data)
                link.sent += len(data)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            # One side finished: half-close the other so the peer sees the end.
            if link in self.links:
                with contextlib.suppress(Exception):
                    writer.write_eof()
