"""The PII scanner of the end-to-end tests: every passport number and full name a test
submits is looked for in everything that leaves the system but e-mail bodies (which carry
the full details on purpose): the services' log lines (at DEBUG) and every message the
fake providers received (SMS, Telegram, WhatsApp, webhook payloads, e-mail subjects).

Needles are found in the test's own requests to ingest (JSON fields by the names the
formats accept, CSV columns, CAP parameters), then matched in their clear forms whatever
the spelling: case, spaces and hyphens inside a passport number ("e 1234-5678"), spacing
and case of a name. A masked value ("E12****78", "Z. W. M.") is not a hit.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from devtools import Sinks

PASSPORT_KEYS = {"passport_number", "nomor_paspor", "no_paspor", "paspor", "passport"}
NAME_KEYS = {"full_name", "nama_lengkap", "nama_tamu", "guest_name"}
CAP_VALUE = re.compile(
    r"<valueName>\s*(passport_number|full_name|nomor_paspor|nama_lengkap)\s*</valueName>"
    r"\s*<value>([^<]+)</value>",
    re.IGNORECASE,
)


def _squash(text: str) -> str:
    """Letters and digits only, lower-case: how a passport number is compared."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _words(text: str) -> str:
    return " ".join(re.findall(r"[0-9a-z]+", text.lower()))


@dataclass
class Submitted:
    """What a test submitted: the needles the scan looks for."""

    passports: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def record(self, request: httpx.Request) -> None:
        """An httpx request hook: remember the personal values in the body."""
        body = request.content or b""
        kind = request.headers.get("content-type", "")
        if b"<alert" in body[:400]:
            for key, value in CAP_VALUE.findall(body.decode("utf-8", "replace")):
                self._add(key.lower(), value)
        elif "csv" in kind or request.url.path.endswith("/csv"):
            for row in csv.DictReader(io.StringIO(body.decode("utf-8", "replace"))):
                for key, value in row.items():
                    self._add((key or "").strip().lower(), value or "")
        else:
            try:
                self._walk(orjson.loads(body))
            except orjson.JSONDecodeError:
                return

    def add(self, body: Any) -> None:
        """A report the test submitted by other means (a JSON value)."""
        self._walk(body)

    def _walk(self, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str):
                    self._add(str(key).lower(), item)
                else:
                    self._walk(item)
        elif isinstance(value, list):
            for item in value:
                self._walk(item)

    def _add(self, key: str, value: str) -> None:
        if key in PASSPORT_KEYS and len(_squash(value)) >= 6:
            self.passports.add(_squash(value))
        elif key in NAME_KEYS and len(_words(value).split()) >= 2:
            self.names.add(_words(value))

    def hits(self, where: str, texts: Iterable[str]) -> list[str]:
        """``where: needle`` for every clear value found in ``texts``."""
        out: list[str] = []
        for text in texts:
            squashed, words = _squash(text), f" {_words(text)} "
            out += [f"{where}: passport {p}" for p in self.passports if p in squashed]
            out += [f"{where}: name {n!r}" for n in self.names if f" {n} " in words]
        return out


def provider_texts(sinks: Sinks) -> dict[str, list[str]]:
    """What each fake provider's recipients read, but e-mail bodies (full details there
    by design): SMS and chat texts, webhook payloads, e-mail subjects."""
    out: dict[str, list[str]] = {}
    for message in sinks.received:
        shown = [message.subject] if message.channel == "email" else [message.text]
        if message.meta:
            shown.append(orjson.dumps(message.meta, default=str).decode())
        out.setdefault(message.channel, []).extend(shown)
    return out
