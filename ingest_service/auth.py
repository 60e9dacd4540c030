"""Who may send what: API keys bound to a source system, its formats and home area.

Keys are stored as SHA-256 hashes in a YAML file (``config/api_keys.yaml``), never in
clear. The same registry serves gateway callbacks: Kannel passes its key in the MO URL
(``?key=``), Telegram in ``X-Telegram-Bot-Api-Secret-Token``; WhatsApp signs the body with
the app secret (``X-Hub-Signature-256``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.schemas import SourceFormat


class SourceKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    description: str = ""
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    formats: frozenset[SourceFormat]
    home_area: tuple[str, ...] = ()
    rate_limit_per_minute: int | None = Field(None, ge=1)


class KeyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[SourceKey]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyRegistry:
    def __init__(self, sources: list[SourceKey]) -> None:
        self._by_hash = {s.key_sha256: s for s in sources}
        self._by_source = {s.source: s for s in sources}

    @classmethod
    def from_file(cls, path: Path) -> KeyRegistry:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(KeyFile.model_validate(data).sources)

    def authenticate(self, presented: str | None) -> SourceKey | None:
        """The source a presented key belongs to, or None (compared as hashes)."""
        if not presented:
            return None
        return self._by_hash.get(hash_key(presented))

    def source(self, name: str) -> SourceKey | None:
        return self._by_source.get(name)
