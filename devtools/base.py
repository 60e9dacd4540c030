"""What every fake provider shares: a TCP server on 127.0.0.1, a :class:`Script` of faults
to play, and :class:`Received`, one message as its recipient would see it.

A :class:`TcpServer` listens on ``port`` (0: an ephemeral port chosen when it starts) and
serves each connection in a task of the running loop. ``stop()`` closes the listening
socket *and* every open connection (Python 3.11's ``asyncio.Server.close`` leaves those
open), so a client pooling connections sees the provider go away.
``go_down()``/``come_up()`` do the same and listen again on the same port: clients get
"connection refused" in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

HANG = "hang"


def free_ports(n: int) -> list[int]:
    """``n`` distinct local ports free right now (all bound at once, then released)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]


def free_port() -> int:
    """A local port free right now (for a process started later)."""
    return free_ports(1)[0]


@dataclass
class Received:
    """One message as the recipient would see it."""

    channel: str
    to: str
    text: str
    subject: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # arrival, to merge fakes in order


@dataclass
class Script:
    """What the fake does with the next requests, before answering normally::

    fake.script.fail(2, status=500)  # the next two requests get 500, then success
    fake.script.fail(1, status=429, retry_after=3)
    fake.script.hang(1)              # hold the next request (the client times out)
    fake.script.down = True          # every request gets 503 (SMTP: 421) until reset
    fake.script.delay = 10           # accept, then hold every answer 10 s
    """

    fail_next: list[int | str] = field(default_factory=list)  # statuses, or HANG, in order
    down: bool = False
    delay: float = 0.0  # seconds to hold each normal answer (the message is already recorded)
    retry_after: float | None = None  # sent with scripted 429/503 answers
    hang_seconds: float = 30.0

    def fail(self, times: int = 1, status: int = 500, retry_after: float | None = None) -> Script:
        self.fail_next += [status] * times
        if retry_after is not None:
            self.retry_after = retry_after
        return self

    def hang(self, times: int = 1, seconds: float = 30.0) -> Script:
        self.fail_next += [HANG] * times
        self.hang_seconds = seconds
        return self

    def reset(self) -> None:
        self.fail_next.clear()
        self.down, self.delay, self.retry_after = False, 0.0, None

    def next_failure(self) -> int | str | None:
        """503 when down, else the next scripted failure (consumed), else None."""
        if self.down:
            return 503
        return self.fail_next.pop(0) if self.fail_next else None


OnReceive = Callable[[Received], None] | None


class Recorder:
    """What a fake keeps: accepted messages (``received``; only a count when ``fast``)."""

    channel = "?"

    def __init__(self, *, fast: bool = False, on_receive: OnReceive = None) -> None:
        self.fast = fast
        self.on_receive = on_receive
        self.received: list[Received] = []
        self.accepted = 0  # messages accepted, kept in fast mode too
        self.script = Script()
        self._ids = 0

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def record(self, item: Received) -> None:
        self.accepted += 1
        self.received.append(item)
        if self.on_receive is not None:
            self.on_receive(item)


class TcpServer:
    """A TCP server on 127.0.0.1; subclasses implement ``serve(reader, writer)``."""

    host = "127.0.0.1"

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self.serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # stop(): the end of this connection, not an error
            pass  # (re-raised, asyncio would log it from the task's done callback)
        finally:
            self._connections.discard(task)
            writer.close()

    async def start(self, port: int | None = None) -> Self:
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port if port is None else port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        connections = list(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)

    async def go_down(self) -> None:
        """Stop listening, keeping the port: clients get 'connection refused'."""
        await self.stop()

    async def come_up(self) -> None:
        await self.start(self.port)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
