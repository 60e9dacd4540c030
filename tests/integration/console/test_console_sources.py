"""The sources page: an administrator sees every source and feed subscriber and what does
not fit the office records; an operator only their office's; no key hash is ever shown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from shared.db import make_engine, make_sessionmaker, transaction
from shared.offices import save_office
from shared.sources import hash_key
from tests.integration.console.conftest import Console
from tests.integration.console.test_console_offices import BATULICIN, seed

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SOURCE_HASH = hash_key("source-key-of-the-test")
FEED_HASH = hash_key("feed-key-of-the-test")
SOURCES = f"""
sources:
  - source: apoa-kalsel
    description: Lodging guest reports (APOA)
    key_sha256: {SOURCE_HASH}
    formats: [lodging, canonical]
    home_area: ["63.10"]
  - source: simkim
    description: National immigration system
    key_sha256: {SOURCE_HASH}
    formats: [canonical]
"""
FEEDS = f"""
subscribers:
  - subscriber: polres-tanbu
    office: batulicin
    description: Polres Tanah Bumbu
    key_sha256: {FEED_HASH}
  - subscriber: pemkot-banjarmasin
    office: banjarmasin
    key_sha256: {FEED_HASH}
    rate_limit_per_minute: 5
  - subscriber: polres-gone
    office: kotabaru
    key_sha256: {FEED_HASH}
"""


@pytest.fixture
async def console(
    console_factory: Callable[..., AbstractAsyncContextManager[Console]], tmp_path: Path
) -> AsyncIterator[Console]:
    """The console on these key files; Batulicin's record owns apoa-kalsel and a source
    the key file lacks."""
    (tmp_path / "api_keys.yaml").write_text(SOURCES, encoding="utf-8")
    (tmp_path / "feed_keys.yaml").write_text(FEEDS, encoding="utf-8")
    files = {
        "sources_file": tmp_path / "api_keys.yaml",
        "feed_keys_file": tmp_path / "feed_keys.yaml",
    }
    async with console_factory(**files) as console:
        await seed(console.database_url)
        engine = make_engine(console.database_url)
        async with transaction(make_sessionmaker(engine)) as session:
            owned = BATULICIN.model_copy(update={"sources": ["apoa-kalsel", "sms-gone"]})
            await save_office(session, owned)
        await engine.dispose()
        yield console


async def test_an_operator_sees_their_offices_sources_and_subscribers(console: Console) -> None:
    assert (await console.client.get("/sources")).status_code == 303
    await console.login("ops-a")
    page = (await console.client.get("/sources?lang=en")).text
    assert 'data-source="apoa-kalsel"' in page
    assert "Lodging guest reports" in page
    assert 'data-source="simkim"' not in page  # no office's: administrators only
    assert 'data-subscriber="polres-tanbu"' in page
    assert "/v1/feeds/batulicin/cap.atom" in page
    assert "pemkot-banjarmasin" not in page
    assert "polres-gone" not in page
    assert 'id="problems"' not in page
    assert SOURCE_HASH not in page
    assert FEED_HASH not in page

    await console.login("ops-b")
    other = (await console.client.get("/sources?lang=en")).text
    assert "apoa-kalsel" not in other
    assert "polres-tanbu" not in other
    assert 'data-subscriber="pemkot-banjarmasin"' in other
    assert "5</td>" in other


async def test_an_administrator_sees_everything_and_what_does_not_fit(console: Console) -> None:
    await console.login("root")
    page = (await console.client.get("/sources?lang=en")).text
    for name in ("apoa-kalsel", "simkim", "polres-tanbu", "pemkot-banjarmasin", "polres-gone"):
        assert f'"{name}"' in page
    assert "national (no office)" in page  # simkim
    assert "60 (default)" in page  # polres-tanbu's feed rate
    assert "office &#39;batulicin&#39; owns source &#39;sms-gone&#39;" in page
    assert "reads office &#39;kotabaru&#39;, which no office record has" in page
    assert SOURCE_HASH not in page
    assert FEED_HASH not in page
