"""Who may read an office's CAP feed: a key per subscribing agency (a Polres, a Pemda),
bound to one office, stored as a SHA-256 hash in a YAML file (``CONSOLE_FEED_KEYS_FILE``,
``config/feed_keys.yaml`` in development), never in clear, as the sources' API keys
(:mod:`shared.sources`). ``timpora feeds new-key`` makes one, prints it once and appends
only its hash.

The repository's file holds development keys whose clear text docs/cap-feed.md prints;
with ``TIMPORA_ENV=production`` a file holding one is refused, as is the repository's
file itself or no explicit ``CONSOLE_FEED_KEYS_FILE`` (:class:`shared.settings.ConsoleSettings`).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.offices import OFFICE_ID
from shared.sources import hash_key

SUBSCRIBER = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class FeedKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subscriber: str = Field(pattern=SUBSCRIBER, description="The agency reading the feed")
    office: str = Field(pattern=OFFICE_ID, description="The office whose feed it reads")
    description: str = ""
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    rate_limit_per_minute: int | None = Field(None, ge=1)


class FeedKeyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscribers: list[FeedKey] = Field(default_factory=list)


# Clear text printed in docs/cap-feed.md (config/feed_keys.yaml): refused in production.
DEV_FEED_KEYS = ("dev-feed-polres-tanbu", "dev-feed-pemkab-tanbu")
DEV_FEED_KEY_HASHES = frozenset(hash_key(k) for k in DEV_FEED_KEYS)


def parse(text: str) -> list[FeedKey]:
    """The subscribers of a key file's text (raises yaml.YAMLError, ValidationError)."""
    subscribers = FeedKeyFile.model_validate(yaml.safe_load(text) or {}).subscribers
    names = [s.subscriber for s in subscribers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"subscriber(s) listed twice: {', '.join(repeated)}")
    return subscribers


class FeedKeyRegistry:
    def __init__(self, subscribers: list[FeedKey]) -> None:
        self._by_hash = {s.key_sha256: s for s in subscribers}
        self.subscribers = list(subscribers)

    @classmethod
    def from_file(cls, path: Path, *, production: bool = False) -> FeedKeyRegistry:
        """The registry in ``path`` (an absent file: no subscriber); in production one
        holding a development key is refused."""
        if not path.exists():
            if production:
                raise ValueError(f"{path}: no such feed key file")
            return cls([])
        subscribers = parse(path.read_text(encoding="utf-8"))
        public = sorted(s.subscriber for s in subscribers if s.key_sha256 in DEV_FEED_KEY_HASHES)
        if production and public:
            raise ValueError(
                f"{path}: development feed keys (printed in docs/cap-feed.md) for "
                f"{', '.join(public)}: refused in production; run timpora feeds new-key"
            )
        return cls(subscribers)

    def authenticate(self, presented: str | None) -> FeedKey | None:
        """The subscriber a presented key belongs to, or None (compared as hashes)."""
        if not presented or len(presented) > 200:
            return None
        return self._by_hash.get(hash_key(presented))


def new_entry(subscriber: str, office: str, key: str, description: str) -> str:
    """The key file entry of a new subscriber, as YAML text to append under
    ``subscribers:`` (validated: raises ValidationError)."""
    entry = FeedKey(
        subscriber=subscriber, office=office, description=description, key_sha256=hash_key(key)
    ).model_dump(mode="json", exclude_none=True)
    if not entry["description"]:
        del entry["description"]
    text = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False)
    return "".join("  " + line + "\n" for line in text.splitlines())
