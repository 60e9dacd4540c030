"""The checks an office import, an office edit and a new console user go through
(``console_service.office_ops``, pure), and the offices form (``web.office_pages``)."""

from __future__ import annotations

import pytest

from console_service.office_ops import default_scopes, office_problems, user_office_problem
from console_service.web.office_pages import changed, form_of, parsed
from shared.offices import Office

A = Office(id="a", name="A", home_area=["63.10", "63.02"], fallback_team="timpora-63.10")
B = Office(id="b", name="B", home_area=["63.71"], fallback_team="timpora-63.71")


def test_an_import_is_checked_against_the_directory_users_and_routing() -> None:
    assert office_problems([A, B], ["timpora-63.10", "timpora-63.71"], ["a", "b"]) == []
    found = office_problems([A], ["timpora-63.10"], ["a", "b"])
    assert found == ["users belong to office 'b', which would no longer exist"]
    lost = office_problems([A, B], ["timpora-63.10"], [])
    assert lost == ["office 'b': its fallback team 'timpora-63.71' is not in the directory"]
    bad = A.model_copy(update={"defaults": {"escalate_after": "soon"}})
    assert (
        "office 'a': defaults: escalate_after" in office_problems([bad], ["timpora-63.10"], [])[0]
    )


def test_a_user_belongs_to_an_office_inside_its_area() -> None:
    assert user_office_problem([], "anything", "operator", ["31"]) is None  # no records yet
    assert user_office_problem([A, B], "a", "operator", ["63.10.04"]) is None
    assert "outside the home area" in (
        user_office_problem([A, B], "a", "operator", ["63.71"]) or ""
    )
    assert user_office_problem([A, B], "a", "admin", ["*"]) is None
    assert "no office 'c'" in (user_office_problem([A, B], "c", "viewer", ["63.10"]) or "")
    assert default_scopes([A, B], "a") == ["63.10", "63.02"]


def test_the_office_form_round_trips() -> None:
    office = A.model_copy(update={"defaults": {"escalate_after": None, "group_window": "1h"}})
    fields = form_of(office)
    assert fields["escalate_after"] == "never"
    assert fields["group_key"] == ""
    again = parsed(fields)
    assert again == office
    assert changed(office, again) == []
    assert changed(A, again) == ["defaults"]
    with pytest.raises(ValueError, match="home_area"):
        parsed({**fields, "home_area": ""})
