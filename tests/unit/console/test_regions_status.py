"""The region status (CLI ``timpora regions status`` and the console's /regions page):
decrees in step or not, and the teams whose area code the data lacks."""

from __future__ import annotations

from pathlib import Path

from console_service.regions_plan import TeamRef
from console_service.regions_status import StaleTeam, region_status
from shared.jurisdiction import SHIPPED_DECREE
from shared.jurisdiction.data import Regions
from shared.jurisdiction.decree import load_regions_file

DECREE_2026 = Path(__file__).resolve().parents[2] / "samples" / "regions" / "kepmendagri-2026.yaml"
TEAMS = [
    TeamRef("timpora-63.10.12", "Tim Teluk Kepayang", "63.10.12"),  # merged away in 2026
    TeamRef("timpora-63.10.04", "Tim Satui", "63.10.04"),
    TeamRef("timpora-63.10", "Tim Tanah Bumbu", "63.10"),
]


def test_in_step_with_the_shipped_data() -> None:
    shipped = Regions()
    status = region_status(
        SHIPPED_DECREE, shipped.decree, TEAMS, shipped.exists, shipped.former_name
    )
    assert status.agree
    assert status.healthy
    assert status.stale == []


def test_a_new_decree_not_yet_migrated_and_a_team_left_on_an_abolished_code() -> None:
    new = Regions(load_regions_file(DECREE_2026))
    status = region_status(SHIPPED_DECREE, new.decree, TEAMS, new.exists, new.former_name)
    assert not status.agree
    assert status.stale == [
        StaleTeam("timpora-63.10.12", "Tim Teluk Kepayang", "63.10.12", "Teluk Kepayang")
    ]
    migrated = region_status(new.decree, new.decree, TEAMS[1:], new.exists, new.former_name)
    assert migrated.healthy
