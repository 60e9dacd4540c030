"""Hand-written fakes shared by the test tiers (no mocks): in-process stand-ins that speak
the real port's API and record what a person would have received.

Fake *providers* (real servers speaking Kannel's, Telegram's... protocols) live in
``devtools/``; the fakes here replace a port inside the process.
"""

from __future__ import annotations

from collections.abc import Iterable

from notify_service.channels.base import OutgoingMessage, SendResult


class FakeChannel:
    """A delivery channel (:class:`notify_service.channels.base.Channel`) that records
    every message instead of sending it; the provider message id is ``<name>-<n>``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[OutgoingMessage] = []
        self.closed = False

    async def send(self, msg: OutgoingMessage) -> SendResult:
        self.sent.append(msg)
        return SendResult(provider_message_id=f"{self.name}-{len(self.sent)}")

    async def aclose(self) -> None:
        self.closed = True

    def addresses(self) -> list[str]:
        """Who received a message, in sending order (one entry per message)."""
        return [m.to_address for m in self.sent]


def fake_channels(names: Iterable[str]) -> dict[str, FakeChannel]:
    """One recording channel per name, keyed as ``build_channels`` keys real ones."""
    return {name: FakeChannel(name) for name in names}
