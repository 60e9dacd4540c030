"""The topics and lag page reads the real broker: this deployment's topics (its prefix)
and the lag of its consumer groups, nobody else's."""

from __future__ import annotations

import pytest

from shared import topics
from tests.integration.console.conftest import Console

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_topics_and_lag(console: Console) -> None:
    assert (await console.client.get("/topics")).status_code == 303  # a session first
    await console.login("view-a")
    page = await console.client.get("/topics")
    assert page.status_code == 200
    prefix = console.settings.topic_prefix
    for spec in topics.TOPICS:
        assert f"<code>{prefix}{spec.name}</code>" in page.text
    assert "<code>t" not in page.text.replace(f"<code>{prefix}", "")  # no other prefix
