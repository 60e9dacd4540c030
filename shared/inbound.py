"""Helpers for inbound webhooks (upstream reports into ingest, replies into notify):
bounded bodies and Meta's WhatsApp Cloud API handshake and signature."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import SecretStr


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (declared or streamed), so
    an unauthenticated sender cannot make a service buffer an arbitrary body."""
    too_large = HTTPException(413, {"error": "too_large", "message": f"body over {limit} bytes"})
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def verify_hub_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """WhatsApp Cloud API: ``X-Hub-Signature-256: sha256=<hex HMAC of the raw body>``."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def hub_verification(
    expected: Callable[[], SecretStr | None],
) -> Callable[..., Awaitable[PlainTextResponse]]:
    """A ``GET`` endpoint for Meta's webhook registration: echo ``hub.challenge`` when
    ``hub.verify_token`` matches ``expected()`` (constant-time), else 403."""

    async def verify(
        mode: Annotated[str, Query(alias="hub.mode")] = "",
        token: Annotated[str, Query(alias="hub.verify_token")] = "",
        challenge: Annotated[str, Query(alias="hub.challenge")] = "",
    ) -> PlainTextResponse:
        secret = expected()
        if (
            mode != "subscribe"
            or secret is None
            or not hmac.compare_digest(token.encode(), secret.get_secret_value().encode())
        ):
            raise HTTPException(403, {"error": "forbidden", "message": "verification failed"})
        return PlainTextResponse(challenge[:100])

    return verify
