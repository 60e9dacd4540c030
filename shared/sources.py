"""Who may send what: API keys bound to a source system, its formats and home area.

Keys are stored as SHA-256 hashes in a YAML file (``config/api_keys.yaml``), never in
clear. The same registry serves gateway callbacks: Kannel passes its key in the MO URL
(``?key=``), Telegram in ``X-Telegram-Bot-Api-Secret-Token``; WhatsApp signs the body with
the app secret (``X-Hub-Signature-256``).

Over Kafka a source is its own topic, ``reports.raw.<source>``: a record carries no
trustworthy sender, so the broker's ACLs let only the source's ``kafka_principal`` (its
SCRAM user) write there, and ingest takes the source from the topic, never from a header.
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
    kafka_principal: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="The SCRAM user that may write this source's topic reports.raw.<source>",
    )


class KeyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[SourceKey]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# The development keys whose clear text the README prints (config/api_keys.yaml): known
# to anyone who read it, so a production registry that holds one refuses to load.
DEV_KEYS = (
    "dev-key-apoa",
    "dev-key-polres",
    "dev-key-kanim",
    "dev-key-kannel",
    "dev-key-telegram",
    "dev-key-whatsapp",
)
DEV_KEY_HASHES = frozenset(hash_key(k) for k in DEV_KEYS)


class KeyRegistry:
    def __init__(self, sources: list[SourceKey]) -> None:
        self._by_hash = {s.key_sha256: s for s in sources}
        self._by_source = {s.source: s for s in sources}

    @classmethod
    def from_file(cls, path: Path, *, production: bool = False) -> KeyRegistry:
        """The registry in ``path``; in production one holding a development key (whose
        clear text is public, in the README) is refused."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        sources = KeyFile.model_validate(data).sources
        public = sorted(s.source for s in sources if s.key_sha256 in DEV_KEY_HASHES)
        if production and public:
            raise ValueError(
                f"{path}: development API keys (printed in the README) for "
                f"{', '.join(public)}: refused in production; give each source its own key"
            )
        return cls(sources)

    def authenticate(self, presented: str | None) -> SourceKey | None:
        """The source a presented key belongs to, or None (compared as hashes)."""
        if not presented:
            return None
        return self._by_hash.get(hash_key(presented))

    def source(self, name: str) -> SourceKey | None:
        return self._by_source.get(name)

    @property
    def sources(self) -> list[SourceKey]:
        return list(self._by_source.values())
