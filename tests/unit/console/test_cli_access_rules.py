"""The CLI's pure access rules (``console_service.web.access``): which topic records and
dead letters belong to a user's area, and when a command is refused."""

from __future__ import annotations

from console_service.web.access import cli_refusal, record_in_scope, source_in_scope

ALERT = {"jurisdiction_code": "63.10", "place_code": "63.10.06", "report": {"text": "x"}}
REPORT = {"report": {"resolution": {"code": "72.71.01.1001", "routing_code": "72.71.01"}}}


def test_a_record_belongs_where_it_names_a_place() -> None:
    assert record_in_scope(["63.10"], ALERT)
    assert record_in_scope(["63.10.06"], ALERT)  # the report's place
    assert not record_in_scope(["63.02"], ALERT)
    assert record_in_scope(["72"], REPORT)
    assert not record_in_scope(["63"], REPORT)
    assert not record_in_scope(["63.1"], ALERT)  # dot boundaries: 63.1 is not 63.10


def test_a_record_naming_no_place_is_for_the_whole_country_only() -> None:
    for value in ({"alert_id": "A", "member_id": "m1"}, None, "text", [1, 2]):
        assert not record_in_scope(["63"], value)
        assert record_in_scope(["*"], value)


def test_a_deeply_nested_record_stops_the_search() -> None:
    value: dict[str, object] = {"jurisdiction_code": "63.10"}
    for _ in range(10):
        value = {"inner": value}
    assert not record_in_scope(["63"], value)


def test_a_sources_dead_letters_belong_to_its_home_area() -> None:
    assert source_in_scope(["63.10"], ("63.10", "63.02"))
    assert not source_in_scope(["72"], ("63.10", "63.02"))
    assert not source_in_scope(["63.10"], ())  # unknown source: administrators only
    assert source_in_scope(["*"], ())


def test_when_the_cli_refuses() -> None:
    assert cli_refusal(as_user=False, production=False, role=None, acts=True) is None
    assert "give --as" in (cli_refusal(as_user=False, production=True, role=None, acts=False) or "")
    assert cli_refusal(as_user=True, production=True, role="viewer", acts=False) is None
    assert cli_refusal(as_user=True, production=True, role="viewer", acts=True)
    assert cli_refusal(as_user=True, production=True, role="operator", acts=True) is None
