"""How a fake provider calls back, as its real counterpart does: Kannel requests the
``dlr-url`` of an SMS, the WhatsApp Cloud API posts signed status notifications.

:class:`Caller` makes HTTP/1.1 requests later (a task per callback, referenced until it
ends), on asyncio streams (the standard library only, like the rest of ``devtools``).
A user part in the URL (``http://kannel:<key>@host/...``) becomes ``Authorization:
Basic``, as Kannel's HTTP client sends it. Every call made is kept in ``made`` with the
answer's status (``None``: no answer: connection refused, timeout).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Callback:
    method: str
    url: str  # the user part removed
    body: bytes
    status: int | None


async def http_call(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[str, int | None]:
    """One request (``http://`` only); the URL without its user part, and the status."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    shown = parts._replace(netloc=f"{host}:{port}").geturl()
    lines = [
        f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    if parts.username is not None:
        user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        lines.append(f"Authorization: Basic {base64.b64encode(user_pass.encode()).decode()}")
    try:
        async with asyncio.timeout(TIMEOUT_S):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body)
                await writer.drain()
                status_line = await reader.readline()
                await reader.read()  # Connection: close: the answer ends with the stream
            finally:
                writer.close()
    except (OSError, TimeoutError):
        return shown, None
    fields = status_line.split()
    return shown, int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


Call = tuple[str, str, bytes, dict[str, str]]  # method, URL, body, headers


class Caller:
    """Callbacks made later, in order, each series in a task kept until it ends."""

    def __init__(self) -> None:
        self.made: list[Callback] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def later(self, delay: float, calls: list[Call]) -> None:
        """Make ``calls`` one after the other, ``delay`` seconds before each."""
        task = asyncio.get_running_loop().create_task(self._calls(delay, calls))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _calls(self, delay: float, calls: list[Call]) -> None:
        for method, url, body, headers in calls:
            await asyncio.sleep(delay)
            shown, status = await http_call(method, url, body, headers)
            self.made.append(Callback(method, shown, body, status))

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def cancel(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
