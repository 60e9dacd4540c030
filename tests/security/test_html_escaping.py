"""The attack (#17 item 9, last part): values an upstream system or a source controls (the
report's text, the place, a rule name, the ack code) rendered into HTML could carry a
script into an operator's or a member's browser.

Every page is a Jinja2 template with autoescaping (``.html``) and nothing marks a value
safe; an alert full of markup is shown as text on the list, the story and the state part.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.schemas import Location
from tests.integration.console.conftest import (
    USERS,
    Console,
    console,  # noqa: F401 (fixture)
    console_factory,  # noqa: F401 (fixture)
    routed_alert,
)
from tests.rows import seed_alert

CONSOLE = Path(__file__).resolve().parents[2] / "console_service"
SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(2)">'


def test_every_template_is_autoescaped_and_nothing_is_marked_safe() -> None:
    templates = list((CONSOLE / "web" / "templates").iterdir())
    assert templates
    assert all(t.suffix == ".html" for t in templates), templates  # select_autoescape: on
    for path in [*templates, *CONSOLE.rglob("*.py")]:
        text = path.read_text()
        for unsafe in ("|safe", "| safe", "Markup(", "autoescape false", "autoescape=False"):
            assert unsafe not in text, (path, unsafe)


@pytest.mark.kafka
@pytest.mark.postgres
async def test_markup_in_an_alert_is_shown_as_text(console: Console) -> None:  # noqa: F811
    alert = routed_alert("63.10.06", "C7654321")
    alert.ack_code = "<i>K7Q2</i>"  # the column holds 12 characters
    alert.matched_rules = [IMAGE]
    alert.report.text = f"Orang asing {SCRIPT} di {IMAGE}"
    alert.report.location = Location(kecamatan_code="63.10.06", address=IMAGE)
    await seed_alert(console.database_url, alert)
    assert USERS["ops-a"][2] == ["63.10", "63.02"]
    await console.login("ops-a")
    pages = [
        await console.client.get("/alerts"),
        await console.client.get(f"/alerts/{alert.alert_id}"),
        await console.client.get(f"/alerts/{alert.alert_id}/state"),
    ]
    for page in pages:
        assert page.status_code == 200, page.url
        assert "<script>alert" not in page.text, page.url
        assert "<img src=x" not in page.text, page.url
        assert "<i>K7Q2" not in page.text, page.url
    story = pages[1].text
    assert "&lt;script&gt;" in story  # there, as text
    assert "&lt;i&gt;K7Q2" in story
    assert re.search(r"&lt;img src=x onerror=(&#34;|&quot;)alert\(2\)", story)
