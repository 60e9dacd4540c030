"""Schema-driven masking of structured data (pure): ``pii_paths``, ``mask_json``, mask_report."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.pii import mask_json, mask_passport, mask_report
from shared.schemas import (
    AlertRouted,
    Level,
    Member,
    Reason,
    Report,
    ReportRejected,
    Subject,
    Team,
    pii_paths,
)
from tests.unit.pii.factories import CLEAR, clear_values, full_alert, full_report


def _at_path(obj: Any, path: str) -> list[Any]:
    """Every value at a ``pii_paths`` path (lists marked with ``[]``)."""
    nodes = [obj]
    for part in path.split("."):
        key = part.removesuffix("[]")
        nxt: list[Any] = []
        for node in nodes:
            if not isinstance(node, dict) or node.get(key) is None:
                continue
            nxt += node[key] if part.endswith("[]") else [node[key]]
        nodes = nxt
    return nodes


def test_pii_paths_cover_the_schema() -> None:
    assert set(pii_paths(Report)) == {
        "subjects[].full_name",
        "subjects[].passport_number",
        "subjects[].date_of_birth",
        "subjects[].permit_number",
        "reporter.name",
        "reporter.phone",
        "reporter.email",
    }
    assert pii_paths(AlertRouted) == [f"report.{p}" for p in pii_paths(Report)]
    assert set(pii_paths(Team)) == {
        "members[].name",
        "members[].phone",
        "members[].email",
        "members[].whatsapp",
    }


@pytest.mark.parametrize("kind", ["report", "alert"])
def test_mask_json_masks_every_pii_path(kind: str) -> None:
    model = full_report() if kind == "report" else full_alert()
    clear = model.model_dump(mode="json")
    masked = mask_json(copy.deepcopy(clear))
    paths = pii_paths(type(model))
    assert paths
    for path in paths:
        before, after = _at_path(clear, path), _at_path(masked, path)
        assert before, f"the fixture leaves {path} empty"
        assert len(after) == len(before)
        for b, a in zip(before, after, strict=True):
            assert a != b, f"{path} not masked"
    text = json.dumps(masked, ensure_ascii=False)
    for value in clear_values():
        assert value not in text, f"{value!r} survived masking"
    for passport in CLEAR["passport_number"]:
        assert mask_passport(passport) in text
    for dob in CLEAR["date_of_birth"]:
        assert dob[:4] in text  # the year of birth stays
    # everything that is not personal data is left alone
    report_part = masked if kind == "report" else masked["report"]
    assert report_part["subjects"][0]["nationality"] == "CHN"
    assert report_part["subjects"][0]["employer"] == "PT Tambang Contoh"
    assert report_part["reporter"]["organisation"] == "Hotel Ebony"
    clear_report = clear if kind == "report" else clear["report"]
    assert report_part["report_id"] == clear_report["report_id"]
    assert report_part["location"] == clear_report["location"]
    if kind == "alert":
        assert masked["alert_id"] == clear["alert_id"]
        assert masked["ack_code"] == clear["ack_code"]


def test_mask_json_leaves_its_input_alone_and_accepts_missing_parts() -> None:
    alert = full_alert().model_dump(mode="json")
    alert["report"]["reporter"] = None
    alert["report"]["subjects"][1]["passport_number"] = None
    before = copy.deepcopy(alert)
    masked = mask_json(alert)
    assert masked["report"]["reporter"] is None
    assert masked["report"]["subjects"][1]["passport_number"] is None
    assert masked["report"]["subjects"][0]["passport_number"] == "E12****78"
    assert alert == before  # a masked copy: the decoded message itself is untouched
    assert mask_json([1, 2]) == [1, 2]
    assert mask_json("E12345678") == "E12345678"
    assert mask_json({"unrelated": "E12345678"}) == {"unrelated": "E12345678"}


def test_mask_json_with_explicit_paths() -> None:
    obj = {"members": [{"name": "Siti Contoh", "phone": "+6281200000101"}]}
    masked = mask_json(obj, ["members[].name", "members[].phone"])
    assert masked == {"members": [{"name": "S. C.", "phone": "+62812****01"}]}


def test_mask_json_masks_a_team_directory_entry() -> None:
    team = Team(
        team_id="timpora-63.10.04",
        name="Timpora Kecamatan Satui",
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        members=[
            Member(
                member_id="m0010",
                name="Siti Contoh",
                phone="+6281200000101",
                email="camat.satui@example.org",
                whatsapp="+6281200000102",
                telegram_chat_id="700000101",
            )
        ],
    )
    masked = mask_json(team.model_dump(mode="json"), pii_paths(Team))
    member = masked["members"][0]
    assert member["name"] == "S. C."
    assert member["phone"] == "+62812****01"
    assert member["whatsapp"] == "+62812****02"
    assert member["email"] == "c***@example.org"
    assert member["member_id"] == "m0010"
    assert masked["name"] == "Timpora Kecamatan Satui"  # a team name is no personal data


def test_mask_json_hides_original_bytes_of_a_rejection() -> None:
    rejection = ReportRejected(
        source="apoa-tanbu",
        reasons=[Reason(code="invalid_field", message="bad")],
        original_b64="eyJwYXNzcG9ydCI6ICJFMTIzNDU2NzgifQ==",
    )
    masked = mask_json(rejection.model_dump(mode="json"))
    assert masked["original_b64"] == "<original bytes hidden>"
    assert masked["source"] == "apoa-tanbu"
    assert masked["reasons"] == [
        {"code": "invalid_field", "message": "bad", "path": None, "index": None}
    ]


def test_mask_report_returns_a_valid_masked_report() -> None:
    report = full_report()
    report.text = "Paspor E12345678 atas nama Zhang Wei Ming, HP +6281200009876"
    masked = mask_report(report)
    assert isinstance(masked, Report)
    assert masked.report_id == report.report_id
    assert [s.passport_number for s in masked.subjects] == ["E12****78", "C76****21"]
    assert [s.full_name for s in masked.subjects] == ["Z. W. M.", "N. V. A."]
    assert [s.permit_number for s in masked.subjects] == ["2C1****67", "ITA****77"]
    # a date field cannot hold "1985-**-**": the masked report has no date of birth
    assert [s.date_of_birth for s in masked.subjects] == [None, None]
    assert masked.reporter is not None
    assert masked.reporter.phone == "+62812****76"
    assert masked.reporter.email == "f***@example.org"
    assert masked.reporter.name == "R. H. E."
    dumped = masked.model_dump_json()
    for value in [*clear_values(), "Zhang", "6281200009876"]:
        assert value not in dumped, value
    assert report.subjects[0].passport_number == "E12345678"  # the input is untouched


# ------------------------------------------------------------------------- properties


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"\A[A-Z][0-9]{7,8}\Z", fullmatch=True),
            st.from_regex(r"\A[A-Z][a-z]{2,8}( [A-Z][a-z]{2,8}){1,2}\Z", fullmatch=True),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    )
)
def test_mask_json_never_lets_a_subject_passport_through(people: list[tuple[str, str]]) -> None:
    report = Report(
        source="apoa-tanbu",
        subjects=[Subject(full_name=name, passport_number=pp) for pp, name in people],
    )
    text = json.dumps(mask_json(report.model_dump(mode="json")))
    for passport, name in people:
        assert passport not in text
        assert name not in text


def test_a_broken_json_original_is_masked_by_its_keys() -> None:
    """A dead letter's original that is not JSON (truncated) still hides the values of
    its personal keys, not only what free-text scrubbing recognises."""
    from shared.pii import mask_original

    raw = b'{"subjects": [{"full_name": "Nguyen Van An", "passport_number": "C7654321", '
    raw += b'"nationality": "VNM", "phone": "+6281234567890"'
    shown = mask_original(raw)
    for secret in ("Nguyen Van An", "C7654321", "6281234567890"):
        assert secret not in shown
    assert '"nationality": "VNM"' in shown
