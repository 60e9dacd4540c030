"""A small HTTP/1.1 server on asyncio streams, and :class:`HttpFake`, the base of the
HTTP provider fakes.

The server reads a request head, a ``Content-Length`` or chunked body, calls
``handle(request)`` and writes the :class:`Response`; connections are kept alive (HTTP/1.1
unless ``Connection: close``), as the providers' own servers do. No framework: the bench
runs these fakes at thousands of messages per second on the two cores it measures, where
starlette + uvicorn cost more CPU than PostgreSQL did.

An :class:`HttpFake` answers one route (``route``, a regular expression over the decoded
path; anything else is 404, another method 405). Every request on that route is counted
and kept in ``requests`` (exact shapes for assertions), then the :class:`~devtools.base.Script`
plays (scripted failure, hang, outage), then the fake answers as the provider does. With
``fast=True`` it skips the checks and keeps nothing but counts (``accepted``): every
request on the route is a message accepted, answered with the provider's success shape.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote

import orjson

from devtools.base import HANG, OnReceive, Recorder, TcpServer
from devtools.rate_windows import RateWindows

PHRASES = {s.value: s.phrase for s in HTTPStatus}
ACCOUNT = "account"  # the rate key of every request on a fake's route
TEXT, JSON = "text/plain; charset=utf-8", "application/json"


@dataclass
class Request:
    """One HTTP request exactly as it arrived."""

    method: str
    target: str  # path and query, still percent-encoded
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    peer: tuple[str, int] | None = None  # the client's address (one per connection)
    params: dict[str, str] = field(default_factory=dict)  # the route's named groups
    at: float = 0.0  # arrival (time.monotonic()), set by HttpFake

    @cached_property
    def path(self) -> str:
        return unquote(self.target.partition("?")[0])

    @cached_property
    def query_list(self) -> list[tuple[str, str]]:
        return parse_qsl(self.target.partition("?")[2], keep_blank_values=True)

    @property
    def query(self) -> dict[str, str]:
        return dict(self.query_list)

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = TEXT
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def plain(cls, text: str, status: int = 200, retry_after: float | None = None) -> Response:
        return cls(status, text.encode(), TEXT, _retry_after(retry_after))

    @classmethod
    def json(cls, value: Any, status: int = 200, retry_after: float | None = None) -> Response:
        return cls(status, orjson.dumps(value), JSON, _retry_after(retry_after))

    def encode(self, keep_alive: bool) -> bytes:
        lines = [
            f"HTTP/1.1 {self.status} {PHRASES.get(self.status, 'Unknown')}",
            f"Content-Type: {self.content_type}",
            f"Content-Length: {len(self.body)}",
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        if not keep_alive:
            lines.append("Connection: close")
        return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + self.body


def _retry_after(seconds: float | None) -> tuple[tuple[str, str], ...]:
    return () if seconds is None else (("Retry-After", f"{seconds:g}"),)


class HttpServer(TcpServer):
    """HTTP/1.1 with keep-alive; ``handler`` (or an override of ``handle``) answers."""

    def __init__(
        self, handler: Callable[[Request], Awaitable[Response]] | None = None, port: int = 0
    ) -> None:
        super().__init__(port)
        self.handler = handler

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def handle(self, request: Request) -> Response:
        if self.handler is None:
            raise NotImplementedError
        return await self.handler(request)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("peername")
        peer = (str(address[0]), int(address[1])) if address else None
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            request_line, *lines = head[:-4].decode("latin-1").split("\r\n")
            parts = request_line.split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                writer.write(Response.plain("Bad Request", 400).encode(keep_alive=False))
                return
            method, target, version = parts
            headers = {}
            for line in lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = headers.get("content-length", "0")
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body = await _read_chunked(reader)
            elif length.isdigit():
                body = await reader.readexactly(int(length))
            else:
                writer.write(Response.plain("Bad Content-Length", 400).encode(keep_alive=False))
                return
            response = await self.handle(Request(method, target, headers, body, peer))
            keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            writer.write(response.encode(keep_alive))
            await writer.drain()
            if not keep_alive:
                return


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class HttpFake(Recorder, HttpServer):
    """One provider's HTTP API. Subclasses set ``channel``, ``route`` and ``methods`` and
    implement ``answer`` (check, record, reply as the provider) and ``fast_answer``."""

    route: ClassVar[re.Pattern[str]]
    methods: ClassVar[frozenset[str]] = frozenset({"POST"})

    def __init__(
        self,
        *,
        port: int = 0,
        fast: bool = False,
        on_receive: OnReceive = None,
    ) -> None:
        Recorder.__init__(self, fast=fast, on_receive=on_receive)
        HttpServer.__init__(self, port=port)
        self.requests: list[Request] = []  # every request on the route (not in fast mode)
        self.request_count = 0  # the same, counted in fast mode too
        # Request rates (not in fast mode): ACCOUNT is every request on the route (the
        # fake is one provider account); subclasses add keys (Telegram: each chat).
        # ``rate_limit = (count, seconds)``: over it, a 429 in the provider's shape with
        # the seconds to wait; ``throttled`` counts those, ``scripted`` logs (arrival,
        # status) of each scripted failure played.
        self.windows = RateWindows()
        self.rate_limit: tuple[float, float] | None = None
        self.throttled = 0
        self.scripted: list[tuple[float, int | str]] = []

    @property
    def last(self) -> Request:
        return self.requests[-1]

    @property
    def peers(self) -> list[tuple[str, int] | None]:
        """The client address of each request (one per connection)."""
        return [r.peer for r in self.requests]

    async def handle(self, request: Request) -> Response:
        match = self.route.fullmatch(request.path)
        if match is None:
            return Response.plain("Not Found", 404)
        if request.method not in self.methods:
            return Response.plain("Method Not Allowed", 405)
        request.params = match.groupdict()
        self.request_count += 1
        if not self.fast:
            request.at = time.monotonic()
            self.requests.append(request)
            self.windows.hit(ACCOUNT, request.at)
        failure = self.script.next_failure()
        if failure is not None and not self.fast:
            self.scripted.append((request.at, failure))
        if failure == HANG:
            await asyncio.sleep(self.script.hang_seconds)
            return Response.plain("too late", 504)
        if isinstance(failure, int):
            return self.error_response(failure, self.script.retry_after)
        if (wait := self.over_limit(ACCOUNT, self.rate_limit, request.at)) is not None:
            return self.error_response(429, wait)
        if self.fast:
            self.accepted += 1
            response = self.fast_answer(request)
        else:
            response = self.answer(request)
        if self.script.delay:
            await asyncio.sleep(self.script.delay)
        return response

    def over_limit(self, key: str, limit: tuple[float, float] | None, now: float) -> int | None:
        """The seconds to wait when ``key`` had ``limit`` requests in its window already
        (this one counted), else ``None``; counted in ``throttled``."""
        if limit is None or self.fast:
            return None
        count, seconds = limit
        wait = self.windows.retry_after(key, count + 1, seconds, now)  # + this request
        if wait is not None:
            self.throttled += 1
        return wait

    def error_response(self, status: int, retry_after: float | None) -> Response:
        """A scripted failure, in the provider's error shape."""
        return Response.plain(f"scripted failure {status}", status, retry_after)

    def answer(self, request: Request) -> Response:
        raise NotImplementedError

    def fast_answer(self, request: Request) -> Response:
        raise NotImplementedError
